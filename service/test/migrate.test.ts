import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { migrateAll } from '../src/db/migrate.js';
import { TestEnv, testLogger } from './helpers/env.js';
import { integrationSkip } from './helpers/servers.js';

const skip = await integrationSkip();

describe('migrations', { skip }, () => {
  let env: TestEnv;

  before(async () => {
    // TestEnv.create has applied every migration once already.
    env = await TestEnv.create({ shards: 2 });
  });
  after(async () => {
    await env.cleanup();
  });

  it('are applied once per shard and are idempotent on re-run', async () => {
    for (let s = 0; s < 2; s++) {
      const { rows } = await env.admin.query<{ name: string }>(
        `SELECT name FROM "${env.schema(s)}".schema_migrations ORDER BY name`,
      );
      assert.deepEqual(
        rows.map((r) => r.name),
        ['001_items.sql', '002_outbox.sql', '003_processed_jobs.sql', '004_processed_jobs_scope.sql'],
      );
      const tables = await env.admin.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [env.schema(s)],
      );
      assert.deepEqual(
        tables.rows.map((r) => r.table_name),
        ['items', 'outbox', 'processed_jobs', 'schema_migrations'],
      );
    }
    const again = await migrateAll(env.config('a'), testLogger());
    assert.deepEqual(again, [
      { shard: 'shard-0', applied: [] },
      { shard: 'shard-1', applied: [] },
    ]);
  });

  it('tolerate concurrent start-ups (advisory lock) on fresh shards', async () => {
    const fresh = env.config('a', {
      SHARD_MAP: JSON.stringify(
        [0, 1].map((i) => ({
          name: `fresh-${i}`,
          writerHost: '127.0.0.1',
          database: 'test',
          schema: `${env.runId}_fresh${i}`,
        })),
      ),
    });
    try {
      const results = await Promise.all([1, 2, 3].map(() => migrateAll(fresh, testLogger())));
      const appliedPerShard = [0, 1].map((s) => results.flatMap((r) => r[s]?.applied ?? []));
      for (const applied of appliedPerShard)
        assert.deepEqual(applied.sort(), [
          '001_items.sql',
          '002_outbox.sql',
          '003_processed_jobs.sql',
          '004_processed_jobs_scope.sql',
        ]);
    } finally {
      for (const i of [0, 1]) await env.admin.query(`DROP SCHEMA IF EXISTS "${env.runId}_fresh${i}" CASCADE`);
    }
  });

  it('run as a one-off command (node dist/migrate.js equivalent) and exit 0', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/migrate.ts'], {
      env: { PATH: process.env.PATH, ...env.rawEnv('a'), LOG_LEVEL: 'info' },
      encoding: 'utf8',
      timeout: 20000,
    });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /"msg":"migrations complete"/);
  });
});
