import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { CredentialsError, IamTokens, parseSecretString, readSecretCredentials } from '../src/db/auth.js';
import { migrateAll } from '../src/db/migrate.js';
import { ShardRouter } from '../src/db/shards.js';
import { DependencyError } from '../src/errors.js';
import { Metrics } from '../src/metrics.js';
import { FakeSecretsManager, PasswordCheckingServer } from './helpers/aws-fakes.js';
import { json, login, metricSum, putItem, TestEnv, testLogger } from './helpers/env.js';
import { integrationSkip, PG_DATABASE, PG_HOST, PG_PORT } from './helpers/servers.js';

const skip = await integrationSkip();

const KEYS = { accessKeyId: 'AKIDTESTTESTTESTTEST', secretAccessKey: 'test-secret-key' };

/** The credentials as a provider that counts its calls: one call per signing. */
function countingCredentials() {
  const provider = Object.assign(async () => ({ ...KEYS, expiration: new Date(Date.now() + 3_600_000) }), { calls: 0 });
  return new Proxy(provider, {
    apply(target, self, args) {
      target.calls++;
      return Reflect.apply(target, self, args);
    },
  });
}

describe('IAM authentication tokens', () => {
  it("a token is a presigned rds-db:connect for the endpoint and the role, valid 15 minutes, signed for the cluster's region", async () => {
    const tokens = new IamTokens({ region: 'eu-west-1', username: 'app_service', credentials: KEYS });
    const token = await tokens.token('shard-0.cluster-abc.eu-west-1.rds.amazonaws.com', 5432);
    const url = new URL(`https://${token}`);
    assert.equal(url.host, 'shard-0.cluster-abc.eu-west-1.rds.amazonaws.com:5432');
    assert.equal(url.searchParams.get('Action'), 'connect');
    assert.equal(url.searchParams.get('DBUser'), 'app_service');
    assert.equal(url.searchParams.get('X-Amz-Expires'), '900');
    assert.match(
      url.searchParams.get('X-Amz-Credential') ?? '',
      /^AKIDTESTTESTTESTTEST\/\d{8}\/eu-west-1\/rds-db\/aws4_request$/,
    );
    assert.ok(url.searchParams.get('X-Amz-Signature'));
  });

  it("reuses an endpoint's token until refreshAfterMs, then signs a new one; each endpoint has its own", async () => {
    let now = 0;
    const credentials = countingCredentials();
    const tokens = new IamTokens({
      region: 'eu-west-1',
      username: 'app_service',
      credentials,
      refreshAfterMs: 600_000,
      now: () => now,
    });
    const first = await tokens.token('writer.example', 5432);
    now = 599_999;
    assert.equal(await tokens.token('writer.example', 5432), first, 'reused within refreshAfterMs');
    assert.equal(credentials.calls, 1);
    const reader = await tokens.token('reader.example', 5432);
    assert.notEqual(reader, first);
    assert.ok(reader.startsWith('reader.example:5432/?'));
    assert.equal(credentials.calls, 2);
    now = 600_000;
    await tokens.token('writer.example', 5432);
    assert.equal(credentials.calls, 3, 'signed again once refreshAfterMs passed');
  });

  it('concurrent connections share one signing', async () => {
    const credentials = countingCredentials();
    const tokens = new IamTokens({ region: 'eu-west-1', username: 'app_service', credentials });
    const all = await Promise.all(Array.from({ length: 20 }, () => tokens.token('writer.example', 5432)));
    assert.equal(new Set(all).size, 1);
    assert.equal(credentials.calls, 1);
  });

  it('a refused token is dropped: the next connection signs a new one', async () => {
    const credentials = countingCredentials();
    const tokens = new IamTokens({ region: 'eu-west-1', username: 'app_service', credentials });
    await tokens.token('writer.example', 5432);
    tokens.refused('writer.example', 5432);
    await tokens.token('writer.example', 5432);
    assert.equal(credentials.calls, 2);
  });

  it('without credentials to sign with, a token is a `secrets` dependency error, and the next call tries again', async () => {
    let fail = true;
    const credentials = async () => {
      if (fail) throw new Error('no task role credentials');
      return KEYS;
    };
    const tokens = new IamTokens({ region: 'eu-west-1', username: 'app_service', credentials });
    await assert.rejects(
      tokens.token('writer.example', 5432),
      (err: unknown) => err instanceof DependencyError && err.dependency === 'secrets',
    );
    fail = false;
    assert.ok(await tokens.token('writer.example', 5432), 'a failure is not cached');
  });

  it('refreshAfterMs must leave the token time to log in: between 0 and 15 minutes, exclusive', () => {
    for (const refreshAfterMs of [0, 900_000]) {
      assert.throws(
        () => new IamTokens({ region: 'eu-west-1', username: 'app_service', refreshAfterMs }),
        /refreshAfterMs = \d+ must be between 0 and 900000/,
      );
    }
  });
});

describe('IAM login against a database that checks passwords', () => {
  let server: PasswordCheckingServer;
  let port: number;
  before(async () => {
    server = new PasswordCheckingServer();
    port = await server.start();
  });
  after(async () => {
    await server.stop();
  });

  function router(): ShardRouter {
    const config = loadConfig({
      AWS_REGION: 'eu-west-1',
      SHARD_MAP: JSON.stringify([{ name: 'shard-0', writerHost: '127.0.0.1', port, database: 'app' }]),
      DB_IAM_USER: 'app_service',
      DB_SSL: 'disable',
      REDIS_URL: 'redis://127.0.0.1:6379',
      SESSION_SECRET: 'x'.repeat(32),
      WORK_QUEUE_URL: 'http://127.0.0.1:1/queue',
    });
    return new ShardRouter(config, testLogger(), new Metrics('Test', 'test', () => undefined));
  }

  it('the pools log in as DB_IAM_USER with a token for their endpoint as the password', async () => {
    server.logins.length = 0;
    server.accept = () => true;
    const r = router();
    try {
      await r.shards[0]!.read('SELECT 1');
      assert.equal(server.logins.length, 1);
      assert.equal(server.logins[0]!.user, 'app_service');
      assert.ok(server.logins[0]!.password.startsWith(`127.0.0.1:${port}/?`), 'the token is signed for the endpoint');
      assert.match(server.logins[0]!.password, /DBUser=app_service/);
    } finally {
      await r.close();
    }
  });

  it('a refused token is replaced by a newly signed one and the query retried once', async () => {
    server.logins.length = 0;
    let refusals = 1;
    server.accept = () => refusals-- <= 0;
    const r = router();
    try {
      await r.shards[0]!.read('SELECT 1');
      assert.equal(server.logins.length, 2, 'one refusal, one retry');
    } finally {
      await r.close();
    }
  });

  it('a token the database keeps refusing fails the query as a `db` dependency error (503), after one retry', async () => {
    server.logins.length = 0;
    server.accept = () => false;
    const r = router();
    try {
      await assert.rejects(
        r.shards[0]!.read('SELECT 1'),
        (err: unknown) => err instanceof DependencyError && err.dependency === 'db',
      );
      assert.equal(server.logins.length, 2);
    } finally {
      await r.close();
    }
  });
});

describe('the migration secret', () => {
  let fake: FakeSecretsManager;
  let client: SecretsManagerClient;
  const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/shard-0/master-AbCdEf';
  before(async () => {
    fake = new FakeSecretsManager();
    const endpoint = await fake.start();
    client = new SecretsManagerClient({ region: 'us-east-1', endpoint, maxAttempts: 1, credentials: KEYS });
  });
  after(async () => {
    client.destroy();
    await fake.stop();
  });

  it('is read with a signed GetSecretValue and mapped to username and password', async () => {
    fake.secrets.set(
      arn,
      JSON.stringify({ engine: 'postgres', username: 'postgres', password: 'master-pw', host: 'h' }),
    );
    assert.deepEqual(await readSecretCredentials(client, arn), { username: 'postgres', password: 'master-pw' });
    const request = fake.requests.at(-1)!;
    assert.equal(request.target, 'secretsmanager.GetSecretValue');
    assert.ok(request.signed);
    assert.deepEqual(request.body, { SecretId: arn });
  });

  it('a secret that is not an RDS secret is refused, naming the secret but never quoting its value', () => {
    for (const value of ['not json {secret-value}', JSON.stringify({ username: 'u' }), undefined]) {
      assert.throws(
        () => parseSecretString(value, arn),
        (err: unknown) =>
          err instanceof CredentialsError && err.message.startsWith(arn) && !err.message.includes('secret-value'),
      );
    }
  });
});

describe('least privilege against the real PostgreSQL', { skip }, () => {
  let env: TestEnv;
  let fake: FakeSecretsManager;
  let admin: pg.Client;
  let role: string;
  const savedEndpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/shard-0/master-AbCdEf';

  before(async () => {
    env = await TestEnv.create({ shards: 1 });
    role = `${env.runId}_app`;
    fake = new FakeSecretsManager();
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = await fake.start();
    // The master secret: the test server's superuser (trust auth ignores the password).
    fake.secrets.set(arn, JSON.stringify({ username: env.pgUser, password: 'unused-master-password' }));
    admin = new pg.Client({ host: PG_HOST, port: PG_PORT, database: PG_DATABASE, user: env.pgUser });
    await admin.connect();
  });
  after(async () => {
    await env?.cleanup();
    if (role) await admin.query(`DROP OWNED BY "${role}"`).catch(() => undefined);
    await admin?.query(`DROP ROLE IF EXISTS "${role}"`);
    await admin?.end();
    await fake?.stop();
    if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = savedEndpoint;
  });

  it("migrations log in with the migration secret and create the service's role; the api then serves as that role", async () => {
    const iam = { DB_IAM_USER: role, SHARD_0_MIGRATION_SECRET_ARN: arn };
    await migrateAll(env.config('a', iam), testLogger());
    assert.ok(
      fake.requests.some((r) => r.body.SecretId === arn),
      'the master secret was read through the SDK',
    );
    // Trust auth accepts the role without asking for the token: this checks the role's rights.
    const api = await env.startApi('a', { DB_IAM_USER: role, MAX_EVENT_LOOP_DELAY_MS: '0' });
    const cookie = await login(api.url, 'least-privilege');
    assert.equal((await putItem(api.url, cookie, 'lp-1', { name: 'one', data: { n: 1 } })).status, 200);
    const res = await fetch(`${api.url}/api/items/lp-1`, { headers: { cookie } });
    assert.equal(res.status, 200);
    assert.equal((await json(res)).name, 'one');
    assert.equal(metricSum(api.metricLines, 'DependencyErrors'), 0);
    const sessions = await admin.query<{ usename: string }>(
      "SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = 'sample-service-writer'",
    );
    assert.ok(
      sessions.rows.some((r) => r.usename === role),
      "the api's connections are the role's",
    );
  });

  it('the role reads and writes rows but cannot change the schema', async () => {
    const client = new pg.Client({
      host: PG_HOST,
      port: PG_PORT,
      database: PG_DATABASE,
      user: role,
      options: `-c search_path=${env.schema(0)}`,
    });
    await client.connect();
    try {
      await client.query('SELECT count(*) FROM items');
      const denied = async (sql: string) =>
        assert.rejects(
          client.query(sql),
          (err: unknown) => err instanceof pg.DatabaseError && err.code === '42501',
          `${sql} is refused with insufficient_privilege`,
        );
      await denied('CREATE TABLE intruder (id int)');
      await denied('DROP TABLE items');
      await denied('TRUNCATE items');
      await denied('ALTER TABLE items ADD COLUMN intruder int');
      await denied('DELETE FROM schema_migrations');
    } finally {
      await client.end();
    }
  });
});
