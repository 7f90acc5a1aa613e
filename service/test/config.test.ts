import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

const base = {
  AWS_REGION: 'eu-west-1',
  SHARD_MAP: JSON.stringify([
    { name: 'shard-0', writerHost: 'w0.example', readerHost: 'r0.example', port: 5432, database: 'app' },
    { name: 'shard-1', writerHost: 'w1.example', database: 'app' },
  ]),
  SHARD_0_USERNAME: 'app0',
  SHARD_0_PASSWORD: 'pw0',
  SHARD_1_USERNAME: 'app1',
  SHARD_1_PASSWORD: 'pw1',
  REDIS_URL: 'rediss://cache.example:6379',
  SESSION_SECRET: 'x'.repeat(32),
  WORK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/work',
};

describe('config', () => {
  it('applies documented defaults and per-shard credentials', () => {
    const c = loadConfig(base);
    assert.equal(c.PORT, 8080);
    assert.equal(c.REGION, 'eu-west-1', 'REGION defaults to AWS_REGION');
    assert.equal(c.DB_SSL, 'verify-full', 'TLS verified against the RDS bundle unless a CA file is given');
    assert.equal(c.DB_SSL_CA_FILE, undefined);
    assert.equal(c.MAX_IN_FLIGHT, 100);
    assert.equal(c.NEAR_CACHE_TTL_MS, 1000);
    assert.equal(c.CACHE_TTL_SECONDS, 60);
    assert.equal(c.SHUTDOWN_TIMEOUT_MS, 25000);
    assert.equal(c.METRICS_NAMESPACE, 'Blueprint/Service');
    assert.equal(c.MIGRATE_ON_START, false);
    assert.equal(c.COOKIE_SECURE, true);
    assert.deepEqual(
      [c.HTTP_KEEP_ALIVE_TIMEOUT_MS, c.HTTP_HEADERS_TIMEOUT_MS, c.HTTP_REQUEST_TIMEOUT_MS],
      [65000, 10000, 30000],
    );
    assert.deepEqual(
      c.shards.map((s) => [s.index, s.name, s.writerHost, s.readerHost, s.port, s.login, s.migrationSecretArn]),
      [
        [
          0,
          'shard-0',
          'w0.example',
          'r0.example',
          5432,
          { method: 'password', username: 'app0', password: 'pw0' },
          undefined,
        ],
        [
          1,
          'shard-1',
          'w1.example',
          'w1.example',
          5432,
          { method: 'password', username: 'app1', password: 'pw1' },
          undefined,
        ],
      ],
    );
  });

  it('logs every shard in as DB_IAM_USER with IAM authentication, ahead of any username; migrations use SHARD_<i>_MIGRATION_SECRET_ARN', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/shard-0/master-AbCdEf';
    // A secondary region's replica, addressed by name: a partial ARN.
    const partial = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/shard-1/master';
    const c = loadConfig({
      ...base,
      DB_IAM_USER: 'app_service',
      SHARD_0_MIGRATION_SECRET_ARN: arn,
      SHARD_1_MIGRATION_SECRET_ARN: partial,
      SHARD_1_USERNAME: undefined,
    });
    assert.deepEqual(
      c.shards.map((s) => [s.login, s.migrationSecretArn]),
      [
        [{ method: 'iam', username: 'app_service' }, arn],
        [{ method: 'iam', username: 'app_service' }, partial],
      ],
    );
  });

  it('an IAM login without migration secrets is valid for a task that does not migrate (the worker, a secondary region)', () => {
    const c = loadConfig({ ...base, DB_IAM_USER: 'app_service' });
    assert.deepEqual(
      c.shards.map((s) => s.migrationSecretArn),
      [undefined, undefined],
    );
  });

  it('takes a CA file for verify-full, and DB_SSL=disable for a local database without TLS', () => {
    assert.equal(loadConfig({ ...base, DB_SSL_CA_FILE: '/etc/ssl/rds.pem' }).DB_SSL_CA_FILE, '/etc/ssl/rds.pem');
    assert.equal(loadConfig({ ...base, DB_SSL: 'disable' }).DB_SSL, 'disable');
  });

  it('falls back to DB_USERNAME and DB_PASSWORD for a shard without its own credentials', () => {
    const c = loadConfig({
      ...base,
      SHARD_1_USERNAME: undefined,
      SHARD_1_PASSWORD: undefined,
      DB_USERNAME: 'dev',
      DB_PASSWORD: 'devpw',
    });
    assert.deepEqual(c.shards[1]?.login, { method: 'password', username: 'dev', password: 'devpw' });
  });

  it('parses numbers and booleans from strings', () => {
    const c = loadConfig({ ...base, PORT: '9000', MIGRATE_ON_START: 'true', COOKIE_SECURE: '0', REGION: 'primary' });
    assert.equal(c.PORT, 9000);
    assert.equal(c.MIGRATE_ON_START, true);
    assert.equal(c.COOKIE_SECURE, false);
    assert.equal(c.REGION, 'primary');
  });

  const bad: Array<[string, Record<string, string | undefined>, RegExp]> = [
    ['missing secret', { SESSION_SECRET: undefined }, /SESSION_SECRET/],
    ['short secret', { SESSION_SECRET: 'short' }, /SESSION_SECRET: must be at least 32/],
    ['bad redis url', { REDIS_URL: 'http://x' }, /REDIS_URL/],
    ['shard map not JSON', { SHARD_MAP: '[{' }, /SHARD_MAP: invalid JSON/],
    ['shard map empty', { SHARD_MAP: '[]' }, /SHARD_MAP/],
    ['shard without host', { SHARD_MAP: '[{"name":"s","database":"d"}]' }, /SHARD_MAP\.0\.writerHost/],
    [
      'duplicate shard',
      {
        SHARD_MAP: '[{"name":"s","writerHost":"h","database":"d"},{"name":"s","writerHost":"h","database":"d"}]',
        SHARD_1_USERNAME: 'u',
      },
      /duplicate/,
    ],
    [
      'writer discovery with only one of its names',
      { SHARD_MAP: '[{"name":"s","writerHost":"h","globalWriterHost":"g","database":"d"}]' },
      /^SHARD_MAP\.0: give both globalWriterHost and clusterHost, or neither$/,
    ],
    ['writer check below a second', { DB_WRITER_CHECK_MS: '500' }, /DB_WRITER_CHECK_MS/],
    ['no credentials', { SHARD_1_USERNAME: undefined }, /SHARD_1_USERNAME/],
    [
      'migration secret ARN of another service',
      { SHARD_0_MIGRATION_SECRET_ARN: 'arn:aws:ssm:eu-west-1:123456789012:parameter/db' },
      /SHARD_0_MIGRATION_SECRET_ARN: not a Secrets Manager secret ARN/,
    ],
    ['IAM user not a plain role name', { DB_IAM_USER: 'App-Service' }, /DB_IAM_USER: lower-case identifier/],
    [
      'migrating on start with IAM and no migration secret',
      { DB_IAM_USER: 'app_service', MIGRATE_ON_START: 'true' },
      /SHARD_0_MIGRATION_SECRET_ARN: required when MIGRATE_ON_START=true and DB_IAM_USER is set/,
    ],
    ['unverified TLS (the former DB_SSL=require)', { DB_SSL: 'require' }, /DB_SSL/],
    ['port out of range', { PORT: '70000' }, /PORT/],
    [
      'headers timeout above the request timeout',
      { HTTP_HEADERS_TIMEOUT_MS: '40000' },
      /^HTTP_HEADERS_TIMEOUT_MS: 40000 must not exceed HTTP_REQUEST_TIMEOUT_MS \(30000\)$/,
    ],
    ['zero keep-alive timeout', { HTTP_KEEP_ALIVE_TIMEOUT_MS: '0' }, /HTTP_KEEP_ALIVE_TIMEOUT_MS/],
    ['queue url without topic', { INVALIDATION_QUEUE_URL: 'https://sqs.x/1/q' }, /INVALIDATION_TOPIC_ARN/],
  ];
  for (const [label, patch, pattern] of bad) {
    it(`rejects ${label} with a one-line message`, () => {
      const env: Record<string, string | undefined> = { ...base, ...patch };
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => err instanceof ConfigError && pattern.test(err.message) && !err.message.includes('\n'),
      );
    });
  }

  for (const entry of ['src/api.ts', 'src/worker.ts', 'src/migrate.ts']) {
    it(`${entry} exits 1 with one stderr line on a bad environment`, () => {
      const res = spawnSync(process.execPath, ['--import', 'tsx', entry], {
        env: { PATH: process.env.PATH, ...base, REDIS_URL: 'nope' },
        encoding: 'utf8',
        timeout: 20000,
      });
      assert.equal(res.status, 1);
      const lines = res.stderr.trim().split('\n');
      assert.equal(lines.length, 1, res.stderr);
      assert.match(lines[0] as string, /^invalid configuration: REDIS_URL: must start with redis:\/\/ or rediss:\/\//);
      assert.equal(res.stdout, '');
    });
  }
});
