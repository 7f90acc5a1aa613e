import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import pg from "pg";
import { pino } from "pino";
import { loadConfig, type Config } from "../src/config.js";
import {
  CredentialsError,
  CredentialsProvider,
  SecretsManagerSource,
  type CredentialsProviderOptions,
  type CredentialsSource,
  type DbCredentials,
} from "../src/db/credentials.js";
import { loginFor, Shard, ShardRouter } from "../src/db/shards.js";
import { DependencyError } from "../src/errors.js";
import { Metrics } from "../src/metrics.js";
import { eventually, metricSum } from "./helpers/env.js";
import { findPgUser, integrationSkip, PG_DATABASE, PG_HOST, PG_PORT } from "./helpers/servers.js";

const skip = await integrationSkip();

// The SDK refuses to sign without some credentials; the local server ignores them.
process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";

/** A secret source the test controls: what it answers, whether it fails, how long it takes, how often it was asked. */
class TestSource implements CredentialsSource {
  readonly description = "test-source";
  calls = 0;
  delayMs = 0;
  failure: Error | undefined;

  constructor(public value: DbCredentials) {}

  async fetch(): Promise<DbCredentials> {
    this.calls++;
    if (this.delayMs > 0) await sleep(this.delayMs);
    if (this.failure) throw this.failure;
    // A new object each time, as a real fetch returns.
    return { ...this.value };
  }
}

/** A logger and a metrics instance whose output the test reads. */
function observed() {
  const logLines: string[] = [];
  const metricLines: string[] = [];
  const log = pino({ level: "info", base: undefined }, { write: (line: string) => logLines.push(line) });
  const metrics = new Metrics("Test", "credentials-test", (line) => metricLines.push(line));
  return { log, metrics, logLines, metricLines };
}

function provider(source: CredentialsSource, options: Partial<CredentialsProviderOptions> = {}) {
  const o = observed();
  const p = new CredentialsProvider(source, { name: "shard-0", maxAgeMs: 600_000, log: o.log, metrics: o.metrics, ...options });
  return { provider: p, ...o };
}

const A = { username: "app_a", password: "password-a" };
const B = { username: "app_b", password: "password-b" };

describe("credentials provider", () => {
  it("concurrent callers share one fetch, and the value is cached afterwards", async () => {
    const source = new TestSource(A);
    source.delayMs = 50;
    const { provider: p } = provider(source);
    const results = await Promise.all(Array.from({ length: 50 }, () => p.get()));
    assert.equal(source.calls, 1, "50 concurrent first calls: one fetch");
    assert.ok(results.every((r) => r === results[0] && r.username === "app_a"));
    await p.get();
    assert.equal(source.calls, 1, "then answered from the cache");
  });

  it("a refused login refreshes once for all the connections that saw it, and only if nothing newer arrived", async () => {
    const source = new TestSource(A);
    const { provider: p } = provider(source, { minRefreshIntervalMs: 0 });
    const old = await p.get();
    source.value = B;
    source.delayMs = 30;
    const retried = await Promise.all(Array.from({ length: 20 }, () => p.rejected(old)));
    assert.equal(source.calls, 2, "20 refused connections: one refresh");
    assert.ok(retried.every((c) => c.username === "app_b"));
    // A refusal reported late, for credentials already replaced, does not fetch again.
    assert.equal((await p.rejected(old)).username, "app_b");
    assert.equal(source.calls, 2);
  });

  it("refreshes in the background once the value is older than the max age, answering the cached one meanwhile", async () => {
    const source = new TestSource(A);
    const { provider: p } = provider(source, { maxAgeMs: 100, minRefreshIntervalMs: 0 });
    assert.equal((await p.get()).username, "app_a");
    source.value = B;
    assert.equal((await p.get()).username, "app_a", "younger than the max age: no fetch");
    assert.equal(source.calls, 1);
    await sleep(120);
    source.delayMs = 50;
    assert.equal((await p.get()).username, "app_a", "stale: answered at once, refresh started");
    assert.equal(source.calls, 2);
    await eventually(async () => (await p.get()).username === "app_b", 2000);
    assert.equal(source.calls, 2, "one background refresh");
  });

  it("a failing fetch keeps the last good credentials, logs without the secret and counts DependencyErrors{secrets}", async () => {
    const source = new TestSource(A);
    const { provider: p, logLines, metrics, metricLines } = provider(source, { maxAgeMs: 50, minRefreshIntervalMs: 0 });
    const good = await p.get();
    source.failure = new Error("AccessDeniedException: not authorized to perform secretsmanager:GetSecretValue");
    await sleep(60);
    assert.equal(await p.get(), good, "stale and failing: still the last good value");
    assert.equal(await p.rejected(good), good, "refused and failing: still the last good value");
    assert.equal(p.current, good);
    assert.ok(source.calls >= 2, "the refusal joined or followed the background refresh");
    await metrics.flush();
    assert.equal(metricSum(metricLines, "DependencyErrors", { Dependency: "secrets" }), source.calls - 1);
    assert.ok(logLines.some((l) => /keeping the last good ones/.test(l) && /AccessDeniedException/.test(l)));
    assert.ok(!logLines.some((l) => l.includes("password-a")), "the password never reaches a log line");
    // Back to normal once the source answers again.
    source.failure = undefined;
    source.value = B;
    assert.equal((await p.rejected(good)).username, "app_b");
  });

  it("without any good credentials yet, a failing fetch is a `secrets` dependency error, retried at most once per refresh floor", async () => {
    const source = new TestSource(A);
    source.failure = new Error("connect ETIMEDOUT");
    const { provider: p, metrics, metricLines } = provider(source, { minRefreshIntervalMs: 200 });
    const isSecretsError = (err: unknown) => err instanceof DependencyError && err.dependency === "secrets" && /ETIMEDOUT/.test(err.message);
    await assert.rejects(p.get(), isSecretsError);
    source.failure = undefined;
    await assert.rejects(p.get(), isSecretsError, "within the floor: the last failure again, without a call");
    assert.equal(source.calls, 1);
    await metrics.flush();
    assert.equal(metricSum(metricLines, "DependencyErrors", { Dependency: "secrets" }), 1);
    await sleep(220);
    assert.equal((await p.get()).username, "app_a", "after the floor, the next call reads the secret again");
    assert.equal(source.calls, 2);
  });

  it("a database that keeps refusing costs at most one fetch per minimum refresh interval", async () => {
    const source = new TestSource(A);
    const { provider: p } = provider(source, { minRefreshIntervalMs: 300 });
    const value = await p.get();
    for (let i = 0; i < 20; i++) await p.rejected(value);
    assert.equal(source.calls, 1, "the first fetch just ended: refusals within the interval reuse it");
    await sleep(320);
    await p.rejected(value);
    assert.equal(source.calls, 2);
  });

  it("a pool's password function reads the provider's current password at each connection", async () => {
    const source = new TestSource(A);
    const { provider: p } = provider(source, { minRefreshIntervalMs: 0 });
    const shard = loadConfig(serviceEnv("unused")).shards[0]!;
    const login = loginFor(shard, p, "app_a");
    assert.equal(login.user, "app_a");
    assert.equal(typeof login.password, "function");
    const password = login.password as () => Promise<string>;
    assert.equal(await password(), "password-a");
    source.value = { username: "app_a", password: "password-a2" };
    await p.rejected(p.current!);
    assert.equal(await password(), "password-a2", "a password-only rotation needs no new pool");
  });
});

/** A stand-in for the Secrets Manager endpoint speaking the AWS JSON 1.1 protocol of GetSecretValue. */
class FakeSecretsManager {
  readonly requests: Array<{ target: string | undefined; contentType: string | undefined; signed: boolean; body: { SecretId?: string } }> = [];
  readonly secrets = new Map<string, string>();
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        const parsed = JSON.parse(body || "{}") as { SecretId?: string };
        const target = req.headers["x-amz-target"] as string | undefined;
        this.requests.push({ target, contentType: req.headers["content-type"], signed: /^AWS4-HMAC-SHA256 /.test(req.headers.authorization ?? ""), body: parsed });
        const secret = parsed.SecretId === undefined ? undefined : this.secrets.get(parsed.SecretId);
        const reply = (status: number, payload: unknown) => {
          res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "00000000-0000-0000-0000-000000000000" });
          res.end(JSON.stringify(payload));
        };
        if (target !== "secretsmanager.GetSecretValue") return reply(400, { __type: "UnknownOperationException", message: `unknown ${target}` });
        if (secret === undefined) return reply(400, { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." });
        reply(200, {
          ARN: parsed.SecretId,
          Name: "app/shard-0/master",
          VersionId: "8d4bd5a1-0000-4000-8000-000000000001",
          SecretString: secret,
          VersionStages: ["AWSCURRENT"],
          CreatedDate: 1767225600,
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server?.close((err) => (err ? reject(err) : resolve())));
  }
}

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/shard-0/master-AbCdEf";

describe("Secrets Manager source through the SDK", () => {
  const fake = new FakeSecretsManager();
  let client: SecretsManagerClient;

  before(async () => {
    const endpoint = await fake.start();
    client = new SecretsManagerClient({ region: "us-east-1", endpoint, maxAttempts: 1, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  });
  after(async () => {
    client.destroy();
    await fake.stop();
  });

  it("sends a signed GetSecretValue for the secret and maps its SecretString to username and password", async () => {
    // An RDS secret: more fields than the service needs.
    fake.secrets.set(SECRET_ARN, JSON.stringify({ engine: "postgres", host: "h", port: 5432, username: "postgres", password: "s3cr3t" }));
    const source = new SecretsManagerSource(client, SECRET_ARN);
    assert.deepEqual(await source.fetch(), { username: "postgres", password: "s3cr3t" });
    const request = fake.requests.at(-1)!;
    assert.equal(request.target, "secretsmanager.GetSecretValue");
    assert.equal(request.contentType, "application/x-amz-json-1.1");
    assert.ok(request.signed, "SigV4-signed");
    assert.deepEqual(request.body, { SecretId: SECRET_ARN }, "the AWSCURRENT version: no stage or version id");
    assert.equal(source.description, SECRET_ARN);
  });

  it("passes a missing secret on as the SDK's typed error", async () => {
    const source = new SecretsManagerSource(client, SECRET_ARN.replace("shard-0", "shard-9"));
    await assert.rejects(source.fetch(), (err: unknown) => err instanceof ResourceNotFoundException);
  });

  it("refuses a secret that is not an RDS secret, naming the secret but never quoting its value", async () => {
    for (const value of ["password=hunter2", JSON.stringify({ user: "x", password: "hunter2" }), JSON.stringify({ username: "x", password: "" })]) {
      fake.secrets.set(SECRET_ARN, value);
      await assert.rejects(new SecretsManagerSource(client, SECRET_ARN).fetch(), (err: unknown) => {
        assert.ok(err instanceof CredentialsError);
        assert.ok(err.message.includes(SECRET_ARN));
        assert.ok(!err.message.includes("hunter2"), err.message);
        return true;
      });
    }
  });
});

/** The environment of a one-shard service whose shard reads its credentials from a secret. */
function serviceEnv(schema: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_REGION: "us-east-1",
    SHARD_MAP: JSON.stringify([{ name: "shard-0", writerHost: PG_HOST, port: PG_PORT, database: PG_DATABASE, schema }]),
    SHARD_0_SECRET_ARN: SECRET_ARN,
    DB_SSL: "disable",
    DB_POOL_MAX: "2",
    DB_CONNECT_TIMEOUT_MS: "2000",
    REDIS_URL: "redis://127.0.0.1:6379",
    SESSION_SECRET: "x".repeat(32),
    WORK_QUEUE_URL: "http://127.0.0.1:1/queue/work",
    ...overrides,
  };
}

describe("rotation against a real PostgreSQL", { skip }, () => {
  // Trust auth checks no password, so a rotation is played with the username: the secret moves
  // from role A to role B while A loses its right to log in (SQLSTATE 28000), as an
  // alternating-users rotation or a wrong secret would look to the service.
  const roleA = `rotation_a_${process.pid}`;
  const roleB = `rotation_b_${process.pid}`;
  const schema = `rotation_${process.pid}`;
  let admin: pg.Pool;
  let config: Config;
  const opened: Shard[] = [];

  const shardWith = (source: CredentialsSource, options: Partial<CredentialsProviderOptions> = {}) => {
    const o = provider(source, options);
    const shard = new Shard(config.shards[0]!, config, o.provider, o.log, o.metrics);
    opened.push(shard);
    return { shard, ...o };
  };

  before(async () => {
    const user = await findPgUser();
    admin = new pg.Pool({ host: PG_HOST, port: PG_PORT, database: PG_DATABASE, user, max: 2 });
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.probe (id int PRIMARY KEY)`);
    await admin.query(`INSERT INTO ${schema}.probe VALUES (1)`);
    for (const role of [roleA, roleB]) {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
      await admin.query(`GRANT SELECT ON ${schema}.probe TO ${role}`);
    }
    config = loadConfig(serviceEnv(schema));
  });
  after(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename IN ($1, $2)`, [roleA, roleB]);
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    for (const role of [roleA, roleB]) {
      // DROP OWNED removes the role's grants, which DROP ROLE would otherwise refuse over.
      await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
    }
    await admin.end();
  });

  const WHO = `SELECT current_user AS who FROM probe WHERE id = 1`;

  it("a new connection refused after the rotation refreshes the secret once and succeeds as the new role", async () => {
    const source = new TestSource({ username: roleA, password: "a" });
    // No refresh floor: the start-up fetch has just ended (the floor has its own test).
    const { shard, logLines, metrics, metricLines } = shardWith(source, { minRefreshIntervalMs: 0 });
    await shard.start();
    assert.equal((await shard.read<{ who: string }>(WHO)).rows[0]?.who, roleA);
    const before = { writer: shard.writer, reader: shard.reader, calls: source.calls };

    await admin.query(`ALTER ROLE ${roleA} NOLOGIN`);
    source.value = { username: roleB, password: "b" };
    // The writer pool has no connection yet: this query opens one, as A, and is refused.
    const res = await shard.write<{ who: string }>(WHO);
    assert.equal(res.rows[0]?.who, roleB);
    assert.equal(source.calls - before.calls, 1, "exactly one refresh");
    assert.equal(shard.queries, 2, "the retry is the same query, counted once");
    assert.ok(logLines.some((l) => /refused the credentials/.test(l) && /"code":"28000"/.test(l)));
    assert.ok(logLines.some((l) => /replacing the shard's pools/.test(l)));

    // Both pools now log in as B; the replaced ones are ended.
    assert.notEqual(shard.writer, before.writer);
    assert.equal((await shard.read<{ who: string }>(WHO)).rows[0]?.who, roleB);
    await eventually(() => before.writer.ended && before.reader.ended, 3000);
    await metrics.flush();
    assert.equal(metricSum(metricLines, "DependencyErrors"), 0, "nothing failed as seen from the caller");
  });

  it("when the secret still names the refused role, the retry fails too and the query fails as a `db` dependency error", async () => {
    const source = new TestSource({ username: roleA, password: "a" });
    const { shard, metrics, metricLines } = shardWith(source, { minRefreshIntervalMs: 0 });
    await assert.rejects(shard.read(WHO), (err: unknown) => err instanceof DependencyError && err.dependency === "db");
    assert.equal(source.calls, 2, "the first fetch, then one refresh for the retry");
    await metrics.flush();
    assert.equal(metricSum(metricLines, "DependencyErrors", { Dependency: "db" }), 1);
    await assert.rejects(shard.ping("writer"), /not permitted to log in/, "readiness probes take the same path");
  });

  it("a username change found by the max-age refresh moves new queries to new pools; a query in flight on the old pool completes", async () => {
    await admin.query(`ALTER ROLE ${roleA} LOGIN`);
    const source = new TestSource({ username: roleA, password: "a" });
    const { shard, provider: p } = shardWith(source, { maxAgeMs: 200, minRefreshIntervalMs: 0 });
    await shard.start();
    const oldReader = shard.reader;
    const slow = shard.read<{ who: string }>(`SELECT pg_sleep(0.6), current_user AS who`);
    source.value = { username: roleB, password: "b" };
    await sleep(250);
    // Past the max age: this query is answered with A's pools and starts the refresh.
    assert.equal((await shard.read<{ who: string }>(WHO)).rows[0]?.who, roleA);
    await eventually(() => p.current?.username === roleB, 2000);
    assert.equal((await shard.read<{ who: string }>(WHO)).rows[0]?.who, roleB);
    assert.notEqual(shard.reader, oldReader);
    assert.equal(oldReader.ended, false, "the old pool waits for its query in flight");
    assert.equal((await slow).rows[0]?.who, roleA, "the query in flight finished on its own connection");
    await eventually(() => oldReader.ended, 3000);
  });

  it("a single-flight fetch serves every shard query waiting for the first credentials", async () => {
    const source = new TestSource({ username: roleB, password: "b" });
    source.delayMs = 100;
    const { shard } = shardWith(source);
    const results = await Promise.all(Array.from({ length: 10 }, () => shard.read<{ who: string }>(WHO)));
    assert.equal(source.calls, 1);
    assert.ok(results.every((r) => r.rows[0]?.who === roleB));
  });

  it("the service reads its shard's secret through the SDK at start-up (AWS_ENDPOINT_URL_SECRETS_MANAGER)", async () => {
    const fake = new FakeSecretsManager();
    const endpoint = await fake.start();
    fake.secrets.set(SECRET_ARN, JSON.stringify({ username: roleB, password: "b" }));
    const saved = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = endpoint;
    const o = observed();
    const router = new ShardRouter(config, o.log, o.metrics);
    try {
      await router.start();
      assert.equal(fake.requests.length, 1);
      assert.equal((await router.shards[0]!.read<{ who: string }>(WHO)).rows[0]?.who, roleB);
    } finally {
      await router.close();
      await fake.stop();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = saved;
    }
  });
});
