import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../src/config.js";

const base = {
  AWS_REGION: "eu-west-1",
  SHARD_MAP: JSON.stringify([
    { name: "shard-0", writerHost: "w0.example", readerHost: "r0.example", port: 5432, database: "app" },
    { name: "shard-1", writerHost: "w1.example", database: "app" },
  ]),
  SHARD_0_USERNAME: "app0",
  SHARD_0_PASSWORD: "pw0",
  SHARD_1_USERNAME: "app1",
  SHARD_1_PASSWORD: "pw1",
  REDIS_URL: "rediss://cache.example:6379",
  SESSION_SECRET: "x".repeat(32),
  WORK_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/work",
};

describe("config", () => {
  it("applies documented defaults and per-shard credentials", () => {
    const c = loadConfig(base);
    assert.equal(c.PORT, 8080);
    assert.equal(c.REGION, "eu-west-1", "REGION defaults to AWS_REGION");
    assert.equal(c.DB_SSL, "require");
    assert.equal(c.MAX_IN_FLIGHT, 100);
    assert.equal(c.NEAR_CACHE_TTL_MS, 1000);
    assert.equal(c.CACHE_TTL_SECONDS, 60);
    assert.equal(c.SHUTDOWN_TIMEOUT_MS, 25000);
    assert.equal(c.METRICS_NAMESPACE, "Blueprint/Service");
    assert.equal(c.MIGRATE_ON_START, false);
    assert.equal(c.COOKIE_SECURE, true);
    assert.deepEqual([c.HTTP_KEEP_ALIVE_TIMEOUT_MS, c.HTTP_HEADERS_TIMEOUT_MS, c.HTTP_REQUEST_TIMEOUT_MS], [65000, 10000, 30000]);
    assert.deepEqual(
      c.shards.map((s) => [s.index, s.name, s.writerHost, s.readerHost, s.port, s.credentials]),
      [
        [0, "shard-0", "w0.example", "r0.example", 5432, { source: "environment", username: "app0", password: "pw0" }],
        [1, "shard-1", "w1.example", "w1.example", 5432, { source: "environment", username: "app1", password: "pw1" }],
      ],
    );
    assert.equal(c.DB_SECRET_MAX_AGE_MS, 600000);
  });

  it("reads a shard's credentials from its secret when SHARD_<i>_SECRET_ARN is set, ahead of any username", () => {
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/shard-0/master-AbCdEf";
    // A secondary region's replica, addressed by name: a partial ARN.
    const partial = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/shard-1/master";
    const c = loadConfig({ ...base, SHARD_0_SECRET_ARN: arn, SHARD_1_SECRET_ARN: partial, SHARD_1_USERNAME: undefined, SHARD_1_PASSWORD: undefined, DB_SECRET_MAX_AGE_MS: "60000" });
    assert.deepEqual(
      c.shards.map((s) => s.credentials),
      [
        { source: "secretsManager", secretArn: arn },
        { source: "secretsManager", secretArn: partial },
      ],
    );
    assert.equal(c.DB_SECRET_MAX_AGE_MS, 60000);
  });

  it("falls back to DB_USERNAME and DB_PASSWORD for a shard without its own credentials", () => {
    const c = loadConfig({ ...base, SHARD_1_USERNAME: undefined, SHARD_1_PASSWORD: undefined, DB_USERNAME: "dev", DB_PASSWORD: "devpw" });
    assert.deepEqual(c.shards[1]?.credentials, { source: "environment", username: "dev", password: "devpw" });
  });

  it("parses numbers and booleans from strings", () => {
    const c = loadConfig({ ...base, PORT: "9000", MIGRATE_ON_START: "true", COOKIE_SECURE: "0", REGION: "primary" });
    assert.equal(c.PORT, 9000);
    assert.equal(c.MIGRATE_ON_START, true);
    assert.equal(c.COOKIE_SECURE, false);
    assert.equal(c.REGION, "primary");
  });

  const bad: Array<[string, Record<string, string | undefined>, RegExp]> = [
    ["missing secret", { SESSION_SECRET: undefined }, /SESSION_SECRET/],
    ["short secret", { SESSION_SECRET: "short" }, /SESSION_SECRET: must be at least 32/],
    ["bad redis url", { REDIS_URL: "http://x" }, /REDIS_URL/],
    ["shard map not JSON", { SHARD_MAP: "[{" }, /SHARD_MAP: invalid JSON/],
    ["shard map empty", { SHARD_MAP: "[]" }, /SHARD_MAP/],
    ["shard without host", { SHARD_MAP: '[{"name":"s","database":"d"}]' }, /SHARD_MAP\.0\.writerHost/],
    ["duplicate shard", { SHARD_MAP: '[{"name":"s","writerHost":"h","database":"d"},{"name":"s","writerHost":"h","database":"d"}]', SHARD_1_USERNAME: "u" }, /duplicate/],
    ["no credentials", { SHARD_1_USERNAME: undefined }, /SHARD_1_USERNAME/],
    ["secret ARN of another service", { SHARD_0_SECRET_ARN: "arn:aws:ssm:eu-west-1:123456789012:parameter/db" }, /SHARD_0_SECRET_ARN: not a Secrets Manager secret ARN/],
    ["secret max age below 1 s", { DB_SECRET_MAX_AGE_MS: "10" }, /DB_SECRET_MAX_AGE_MS/],
    ["port out of range", { PORT: "70000" }, /PORT/],
    ["headers timeout above the request timeout", { HTTP_HEADERS_TIMEOUT_MS: "40000" }, /^HTTP_HEADERS_TIMEOUT_MS: 40000 must not exceed HTTP_REQUEST_TIMEOUT_MS \(30000\)$/],
    ["zero keep-alive timeout", { HTTP_KEEP_ALIVE_TIMEOUT_MS: "0" }, /HTTP_KEEP_ALIVE_TIMEOUT_MS/],
    ["queue url without topic", { INVALIDATION_QUEUE_URL: "https://sqs.x/1/q" }, /INVALIDATION_TOPIC_ARN/],
    ["verify-full without CA", { DB_SSL: "verify-full" }, /DB_SSL_CA_FILE/],
  ];
  for (const [label, patch, pattern] of bad) {
    it(`rejects ${label} with a one-line message`, () => {
      const env: Record<string, string | undefined> = { ...base, ...patch };
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => err instanceof ConfigError && pattern.test(err.message) && !err.message.includes("\n"),
      );
    });
  }

  for (const entry of ["src/api.ts", "src/worker.ts", "src/migrate.ts"]) {
    it(`${entry} exits 1 with one stderr line on a bad environment`, () => {
      const res = spawnSync(process.execPath, ["--import", "tsx", entry], {
        env: { PATH: process.env.PATH, ...base, REDIS_URL: "nope" },
        encoding: "utf8",
        timeout: 20000,
      });
      assert.equal(res.status, 1);
      const lines = res.stderr.trim().split("\n");
      assert.equal(lines.length, 1, res.stderr);
      assert.match(lines[0] as string, /^invalid configuration: REDIS_URL: must start with redis:\/\/ or rediss:\/\//);
      assert.equal(res.stdout, "");
    });
  }
});
