import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import pg from "pg";
import { pino } from "pino";
import { loadConfig, type Config } from "../src/config.js";
import {
  CredentialsError,
  CredentialsProvider,
  isAuthFailure,
  SecretsManagerSource,
  StaticSource,
  withFreshCredentials,
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

/**
 * A secret source the test controls: what it answers, whether it fails, how long it takes, how
 * often it was asked; the same for its pending version (none unless `pending` is set).
 */
class TestSource implements CredentialsSource {
  readonly description = "test-source";
  calls = 0;
  delayMs = 0;
  failure: Error | undefined;
  pending: DbCredentials | undefined;
  pendingCalls = 0;
  pendingFailure: Error | undefined;

  constructor(public value: DbCredentials) {}

  async fetch(): Promise<DbCredentials> {
    this.calls++;
    if (this.delayMs > 0) await sleep(this.delayMs);
    if (this.failure) throw this.failure;
    // A new object each time, as a real fetch returns.
    return { ...this.value };
  }

  async fetchPending(): Promise<DbCredentials | undefined> {
    this.pendingCalls++;
    if (this.delayMs > 0) await sleep(this.delayMs);
    if (this.pendingFailure) throw this.pendingFailure;
    return this.pending && { ...this.pending };
  }
}

/** The error pg rejects with when the server refuses a login. */
function refusal(code = "28P01"): pg.DatabaseError {
  const err = new pg.DatabaseError("password authentication failed for user", 0, "error");
  err.code = code;
  return err;
}

/**
 * A stand-in for a database that checks passwords: an attempt logs in with the password a pool
 * would send (the provider's `password()`), and is refused unless it is in `accepted`.
 */
function database(p: CredentialsProvider, ...accepted: string[]) {
  const sent: Array<string | undefined> = [];
  const attempt = async (credentials: DbCredentials) => {
    const password = await p.password();
    sent.push(password);
    if (password === undefined || !accepted.includes(password)) throw refusal();
    return credentials.username;
  };
  return { sent, attempt, accepted };
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

// A single-user rotation between setSecret and finishSecret: the database takes only the
// AWSPENDING password while the secret's AWSCURRENT version still holds the old one.
const PENDING = { username: "app_a", password: "password-pending" };

describe("credentials provider during a rotation (pending version)", () => {
  it("a login refused with the freshly refreshed current credentials is retried once with the pending version, which stays cached", async () => {
    const source = new TestSource(A);
    source.pending = PENDING;
    const { provider: p, logLines, metrics, metricLines } = provider(source, { minRefreshIntervalMs: 0 });
    await p.get();
    const db = database(p, "password-pending");
    assert.equal(await withFreshCredentials(p, db.attempt), "app_a");
    assert.deepEqual(db.sent, ["password-a", "password-pending"], "no second try with the refused password: it is still AWSCURRENT");
    assert.equal(source.calls, 2, "the start-up fetch, one refresh");
    assert.equal(source.pendingCalls, 1, "one lookup of the pending version");
    assert.deepEqual(p.current, PENDING);
    assert.equal(await p.password(), "password-pending", "new connections log in with it from now on");

    // The next query logs in at once, and nothing is read until the max age.
    assert.equal(await withFreshCredentials(p, db.attempt), "app_a");
    assert.deepEqual(db.sent.slice(2), ["password-pending"]);
    assert.equal(source.calls + source.pendingCalls, 3);
    assert.ok(logLines.some((l) => /retrying with its pending version/.test(l)));
    assert.ok(logLines.some((l) => /logged in with the secret's pending version/.test(l)));
    assert.ok(!logLines.some((l) => l.includes("password-")), "no password reaches a log line");
    await metrics.flush();
    assert.equal(metricSum(metricLines, "DependencyErrors"), 0);
  });

  it("when the refresh gives other credentials that are refused too, the pending version is tried next", async () => {
    const source = new TestSource(A);
    source.pending = PENDING;
    const { provider: p } = provider(source, { minRefreshIntervalMs: 0 });
    await p.get();
    source.value = { username: "app_a", password: "password-a2" };
    const db = database(p, "password-pending");
    assert.equal(await withFreshCredentials(p, db.attempt), "app_a");
    assert.deepEqual(db.sent, ["password-a", "password-a2", "password-pending"]);
    assert.equal(source.pendingCalls, 1);
    assert.deepEqual(p.current, PENDING);
  });

  it("with no pending version, or one equal to the refused credentials, the refusal stands and no `secrets` error is counted", async () => {
    const source = new TestSource(A);
    const { provider: p, metrics, metricLines } = provider(source, { minRefreshIntervalMs: 0 });
    await p.get();
    const db = database(p, "password-b");
    await assert.rejects(withFreshCredentials(p, db.attempt), (err: unknown) => isAuthFailure(err));
    assert.equal(source.pendingCalls, 1);
    source.pending = A;
    await assert.rejects(withFreshCredentials(p, db.attempt), (err: unknown) => isAuthFailure(err));
    assert.equal(source.pendingCalls, 2);
    assert.deepEqual(db.sent, ["password-a", "password-a"], "one login per query: nothing else to try");
    assert.equal(p.current?.password, "password-a");
    await metrics.flush();
    assert.equal(metricSum(metricLines, "DependencyErrors", { Dependency: "secrets" }), 0);
  });

  it("a failed lookup of the pending version counts DependencyErrors{secrets}, logs without the secret, and the refusal stands", async () => {
    const source = new TestSource(A);
    source.pendingFailure = new Error("AccessDeniedException: not authorized to perform secretsmanager:GetSecretValue");
    const { provider: p, logLines, metrics, metricLines } = provider(source, { minRefreshIntervalMs: 0 });
    await p.get();
    const db = database(p, "password-pending");
    await assert.rejects(withFreshCredentials(p, db.attempt), (err: unknown) => isAuthFailure(err));
    await metrics.flush();
    assert.equal(metricSum(metricLines, "DependencyErrors", { Dependency: "secrets" }), 1);
    assert.ok(logLines.some((l) => /pending version failed/.test(l) && /AccessDeniedException/.test(l)));
    assert.ok(!logLines.some((l) => l.includes("password-")));
  });

  it("no pending lookup when the refresh of the current version failed", async () => {
    const source = new TestSource(A);
    source.pending = PENDING;
    const { provider: p } = provider(source, { minRefreshIntervalMs: 0 });
    await p.get();
    source.failure = new Error("connect ETIMEDOUT");
    await assert.rejects(withFreshCredentials(p, database(p, "password-pending").attempt), (err: unknown) => isAuthFailure(err));
    assert.equal(source.calls, 2);
    assert.equal(source.pendingCalls, 0, "Secrets Manager is failing: the last good credentials are all there is");
  });

  it("concurrent refusals share one refresh and one pending lookup", async () => {
    const source = new TestSource(A);
    source.pending = PENDING;
    const { provider: p } = provider(source, { minRefreshIntervalMs: 0 });
    await p.get();
    source.delayMs = 30;
    const db = database(p, "password-pending");
    const results = await Promise.all(Array.from({ length: 20 }, () => withFreshCredentials(p, db.attempt)));
    assert.ok(results.every((r) => r === "app_a"));
    assert.equal(source.calls, 2, "one refresh");
    assert.equal(source.pendingCalls, 1, "one lookup");
    assert.equal(db.sent.filter((s) => s === "password-pending").length, 20, "each query retried once with the pending password");
  });

  it("a database that keeps refusing costs at most one pending lookup per minimum refresh interval", async () => {
    const source = new TestSource(A);
    source.pending = PENDING;
    const { provider: p } = provider(source, { minRefreshIntervalMs: 300 });
    await p.get();
    const db = database(p);
    for (let i = 0; i < 10; i++) await assert.rejects(withFreshCredentials(p, db.attempt), (err: unknown) => isAuthFailure(err));
    assert.equal(source.calls, 1, "within the floor after the start-up fetch");
    assert.equal(source.pendingCalls, 1, "the first lookup is not delayed; the others reuse its answer");
    assert.equal(p.current?.password, "password-a", "a pending version that was refused is not cached");
    await sleep(320);
    await assert.rejects(withFreshCredentials(p, db.attempt));
    assert.equal(source.calls, 2);
    assert.equal(source.pendingCalls, 2);
  });

  it("only the retry logs in with the pending password: other requests' connections, and callbacks outliving it, read the cached one", async () => {
    const source = new TestSource(A);
    source.pending = PENDING;
    const { provider: p } = provider(source, { minRefreshIntervalMs: 0 });
    await p.get();
    // Another request, waiting outside the retry, opens a connection while the retry runs.
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const otherRequest = gate.then(() => p.password());
    let duringRetry: string | undefined;
    let afterRetry: Promise<string | undefined> | undefined;
    const attempt = async (): Promise<string> => {
      if ((await p.password()) === "password-pending") {
        openGate();
        duringRetry = await otherRequest;
        // A timer set during the retry (as a pool sets them) that fires after it ended.
        afterRetry = new Promise((resolve) => setTimeout(() => resolve(p.password()), 20));
      }
      throw refusal();
    };
    await assert.rejects(withFreshCredentials(p, attempt), (err: unknown) => isAuthFailure(err));
    assert.equal(duringRetry, "password-a", "another request's connection");
    assert.ok(afterRetry, "the retry ran with the pending password");
    assert.equal(await afterRetry, "password-a", "the retry is over: its password no longer applies");
  });

  it("the environment has no pending version: a refused login fails at once", async () => {
    const p = new CredentialsProvider(new StaticSource(A), { name: "shard-0", maxAgeMs: 600_000, log: observed().log, initial: A });
    let attempts = 0;
    await assert.rejects(
      withFreshCredentials(p, async () => {
        attempts++;
        throw refusal("28000");
      }),
      (err: unknown) => isAuthFailure(err),
    );
    assert.equal(attempts, 1, "the refresh gave the same credentials and there is nothing else to try");
  });
});

type GetSecretValueBody = { SecretId?: string; VersionStage?: string; VersionId?: string };

/**
 * A stand-in for the Secrets Manager endpoint speaking the AWS JSON 1.1 protocol of GetSecretValue:
 * `secrets` holds each secret's AWSCURRENT version, `pending` its AWSPENDING version if any.
 */
class FakeSecretsManager {
  readonly requests: Array<{ target: string | undefined; contentType: string | undefined; signed: boolean; body: GetSecretValueBody }> = [];
  readonly secrets = new Map<string, string>();
  readonly pending = new Map<string, string>();
  /** An error type answered to AWSPENDING requests, if set. */
  pendingError: string | undefined;
  private server: Server | undefined;

  /** The GetSecretValue requests for a version stage (undefined: AWSCURRENT by default). */
  requestsFor(stage: string | undefined) {
    return this.requests.filter((r) => r.body.VersionStage === stage);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        const parsed = JSON.parse(body || "{}") as GetSecretValueBody;
        const target = req.headers["x-amz-target"] as string | undefined;
        this.requests.push({ target, contentType: req.headers["content-type"], signed: /^AWS4-HMAC-SHA256 /.test(req.headers.authorization ?? ""), body: parsed });
        const stage = parsed.VersionStage ?? "AWSCURRENT";
        const versions = stage === "AWSPENDING" ? this.pending : this.secrets;
        const secret = parsed.SecretId === undefined ? undefined : versions.get(parsed.SecretId);
        const reply = (status: number, payload: unknown) => {
          res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "00000000-0000-0000-0000-000000000000" });
          res.end(JSON.stringify(payload));
        };
        if (target !== "secretsmanager.GetSecretValue") return reply(400, { __type: "UnknownOperationException", message: `unknown ${target}` });
        if (stage === "AWSPENDING" && this.pendingError) return reply(400, { __type: this.pendingError, message: `${this.pendingError} (test)` });
        if (secret === undefined) {
          const message =
            stage === "AWSCURRENT" ? "Secrets Manager can't find the specified secret." : `Secrets Manager can't find the specified secret value for staging label: ${stage}`;
          return reply(400, { __type: "ResourceNotFoundException", message });
        }
        reply(200, {
          ARN: parsed.SecretId,
          Name: "app/shard-0/master",
          VersionId: stage === "AWSPENDING" ? "8d4bd5a1-0000-4000-8000-000000000002" : "8d4bd5a1-0000-4000-8000-000000000001",
          SecretString: secret,
          VersionStages: [stage],
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

  it("asks for the AWSPENDING version by stage, and answers undefined when no rotation is in progress", async () => {
    fake.secrets.set(SECRET_ARN, JSON.stringify({ username: "postgres", password: "current" }));
    fake.pending.set(SECRET_ARN, JSON.stringify({ engine: "postgres", username: "postgres", password: "pending" }));
    const source = new SecretsManagerSource(client, SECRET_ARN);
    assert.deepEqual(await source.fetchPending(), { username: "postgres", password: "pending" });
    const request = fake.requests.at(-1)!;
    assert.equal(request.target, "secretsmanager.GetSecretValue");
    assert.ok(request.signed);
    assert.deepEqual(request.body, { SecretId: SECRET_ARN, VersionStage: "AWSPENDING" });

    // No version has the label: Secrets Manager answers ResourceNotFoundException.
    fake.pending.delete(SECRET_ARN);
    const before = fake.requests.length;
    assert.equal(await source.fetchPending(), undefined);
    assert.equal(fake.requests.length, before + 1, "asked, and told there is none");
    // Any other failure is one.
    fake.pendingError = "AccessDeniedException";
    try {
      await assert.rejects(source.fetchPending(), (err: unknown) => (err as Error).name === "AccessDeniedException");
    } finally {
      fake.pendingError = undefined;
    }
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

  it("when the secret still names the refused role (and no rotation is pending), the refusal stands: the query fails as a `db` dependency error", async () => {
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

  /** A local Secrets Manager and an SDK client for it. */
  const localSecretsManager = async () => {
    const fake = new FakeSecretsManager();
    const endpoint = await fake.start();
    const client = new SecretsManagerClient({ region: "us-east-1", endpoint, maxAttempts: 1, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    const stop = async () => {
      client.destroy();
      await fake.stop();
    };
    return { fake, source: new SecretsManagerSource(client, SECRET_ARN), stop };
  };

  // A single-user rotation between setSecret and finishSecret, played with usernames: AWSCURRENT
  // names role A, which may no longer log in, and AWSPENDING names role B.

  it("during a rotation (the database refuses AWSCURRENT), a query succeeds at its first retry, with AWSPENDING, which stays cached", async () => {
    await admin.query(`ALTER ROLE ${roleA} NOLOGIN`);
    const sm = await localSecretsManager();
    try {
      sm.fake.secrets.set(SECRET_ARN, JSON.stringify({ username: roleA, password: "current-password" }));
      sm.fake.pending.set(SECRET_ARN, JSON.stringify({ username: roleB, password: "pending-password" }));
      const { shard, provider: p, logLines, metrics, metricLines } = shardWith(sm.source, { minRefreshIntervalMs: 0 });
      await shard.start();
      assert.equal(sm.fake.requests.length, 1, "the start-up read");

      // The writer pool has no connection yet: this query opens one, as A, and is refused.
      assert.equal((await shard.write<{ who: string }>(WHO)).rows[0]?.who, roleB);
      assert.equal(sm.fake.requestsFor(undefined).length, 2, "one refresh of AWSCURRENT after the start-up read");
      assert.equal(sm.fake.requestsFor("AWSPENDING").length, 1, "one read of AWSPENDING");
      assert.equal(logLines.filter((l) => /refused the credentials/.test(l)).length, 1, "refused once: the retry with AWSPENDING logged in");
      assert.equal(shard.queries, 1);
      assert.equal(p.current?.username, roleB);

      // Cached: new connections of both pools log in as B, without reading the secret again.
      assert.equal((await shard.read<{ who: string }>(WHO)).rows[0]?.who, roleB);
      assert.equal((await shard.write<{ who: string }>(WHO)).rows[0]?.who, roleB);
      assert.equal(sm.fake.requests.length, 3);
      assert.ok(!logLines.some((l) => l.includes("current-password") || l.includes("pending-password")), "no password in the logs");
      await metrics.flush();
      assert.equal(metricSum(metricLines, "DependencyErrors"), 0, "nothing failed as seen from the caller");
    } finally {
      await sm.stop();
    }
  });

  it("with no rotation in progress (no AWSPENDING version), a query refused with AWSCURRENT fails as before: `db`, and no `secrets` error", async () => {
    await admin.query(`ALTER ROLE ${roleA} NOLOGIN`);
    const sm = await localSecretsManager();
    try {
      sm.fake.secrets.set(SECRET_ARN, JSON.stringify({ username: roleA, password: "current-password" }));
      const { shard, metrics, metricLines } = shardWith(sm.source, { minRefreshIntervalMs: 0 });
      await shard.start();
      await assert.rejects(
        shard.write(WHO),
        (err: unknown) => err instanceof DependencyError && err.dependency === "db" && /not permitted to log in/.test(err.message),
      );
      assert.equal(sm.fake.requestsFor("AWSPENDING").length, 1, "asked, and Secrets Manager answered ResourceNotFoundException");
      await metrics.flush();
      assert.equal(metricSum(metricLines, "DependencyErrors", { Dependency: "db" }), 1);
      assert.equal(metricSum(metricLines, "DependencyErrors", { Dependency: "secrets" }), 0, "no pending version is no failure");
    } finally {
      await sm.stop();
    }
  });

  it("many queries refused at once during a rotation share one refresh and one read of the pending version", async () => {
    await admin.query(`ALTER ROLE ${roleA} NOLOGIN`);
    const source = new TestSource({ username: roleA, password: "a" });
    source.pending = { username: roleB, password: "b" };
    // The default refresh floor (1 s), waited out after the start-up fetch so that the refusals do refresh.
    const { shard, provider: p, metrics, metricLines } = shardWith(source, { minRefreshIntervalMs: 1000 });
    await shard.start();
    await sleep(1050);
    // Reads that take a while, so that later refusals find them in flight.
    source.delayMs = 50;
    const results = await Promise.all(Array.from({ length: 12 }, () => shard.write<{ who: string }>(WHO)));
    assert.deepEqual(
      results.map((r) => r.rows[0]?.who),
      Array.from({ length: 12 }, () => roleB),
    );
    assert.equal(source.calls, 2, "the start-up fetch and one refresh");
    assert.equal(source.pendingCalls, 1, "one read of the pending version");
    assert.equal(p.current?.username, roleB);
    await metrics.flush();
    assert.equal(metricSum(metricLines, "DependencyErrors"), 0);
  });
});

/**
 * A PostgreSQL server that checks passwords, which the test PostgreSQL (trust auth) does not: it
 * asks for a cleartext password, refuses any not in `accepted` with SQLSTATE 28P01, and answers
 * every query with an empty result.
 */
class PasswordCheckingServer {
  readonly received: string[] = [];
  readonly accepted = new Set<string>();
  private server: TcpServer | undefined;
  private readonly sockets = new Set<Socket>();

  async start(): Promise<number> {
    this.server = createTcpServer((socket) => this.serve(socket));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => undefined);
    const message = (type: string, body: Buffer) => {
      const header = Buffer.alloc(5);
      header.write(type, 0, "latin1");
      header.writeInt32BE(body.length + 4, 1);
      return Buffer.concat([header, body]);
    };
    const int32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n);
      return b;
    };
    const readyForQuery = message("Z", Buffer.from("I"));
    let buffer = Buffer.alloc(0);
    let started = false;
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          // The startup message: length, protocol, parameters; no type byte.
          if (buffer.length < 4 || buffer.length < buffer.readInt32BE(0)) return;
          buffer = buffer.subarray(buffer.readInt32BE(0));
          started = true;
          socket.write(message("R", int32(3))); // AuthenticationCleartextPassword
          continue;
        }
        if (buffer.length < 5 || buffer.length < 1 + buffer.readInt32BE(1)) return;
        const type = String.fromCharCode(buffer[0]!);
        const body = buffer.subarray(5, 1 + buffer.readInt32BE(1));
        buffer = buffer.subarray(1 + buffer.readInt32BE(1));
        if (type === "p") {
          const password = body.subarray(0, body.length - 1).toString("utf8");
          this.received.push(password);
          if (!this.accepted.has(password)) {
            socket.end(message("E", Buffer.from(`SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "app"\0\0`)));
            return;
          }
          socket.write(Buffer.concat([message("R", int32(0)), readyForQuery])); // AuthenticationOk
        } else if (type === "Q") {
          socket.write(Buffer.concat([message("C", Buffer.from("SELECT 0\0")), readyForQuery]));
        } else if (type === "X") {
          socket.end();
          return;
        }
      }
    });
  }
}

describe("rotation against a database that checks passwords", () => {
  it("between setSecret and finishSecret, the retry sends the AWSPENDING password, and new connections send it afterwards", async () => {
    const server = new PasswordCheckingServer();
    const port = await server.start();
    // setSecret has run: the database takes the pending password only.
    server.accepted.add("pending-password");
    const config = loadConfig(serviceEnv("unused", { SHARD_MAP: JSON.stringify([{ name: "shard-0", writerHost: "127.0.0.1", port, database: "test" }]) }));
    const source = new TestSource({ username: "app", password: "current-password" });
    source.pending = { username: "app", password: "pending-password" };
    const o = provider(source, { minRefreshIntervalMs: 0 });
    const shard = new Shard(config.shards[0]!, config, o.provider, o.log, o.metrics);
    try {
      await shard.start();
      const writer = shard.writer;
      await shard.ping("writer");
      assert.deepEqual(server.received, ["current-password", "pending-password"], "one refusal, then the pending password");
      assert.equal(shard.writer, writer, "a password-only rotation keeps the pools");
      await shard.ping("reader");
      assert.deepEqual(server.received.slice(2), ["pending-password"], "a new connection of the other pool: the cached pending password");

      assert.equal(o.provider.current?.password, "pending-password");
      await o.metrics.flush();
      assert.equal(metricSum(o.metricLines, "DependencyErrors"), 0);
    } finally {
      await shard.close();
      await server.stop();
    }
  });
});
