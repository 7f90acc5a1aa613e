import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ShardConfig } from '../src/config.js';
import { migrateAll } from '../src/db/migrate.js';
import { Shard } from '../src/db/shards.js';
import { type Lookup, writerHostFor } from '../src/db/writer-route.js';
import { Metrics } from '../src/metrics.js';
import { TestEnv, testLogger } from './helpers/env.js';
import { integrationSkip, PG_HOST } from './helpers/servers.js';

const SHARD: ShardConfig = {
  index: 0,
  name: 'shard-0',
  writerHost: 'template-writer.example',
  readerHost: 'reader.eu-west-1.example',
  globalWriterHost: 'app-shard-0.global-abc.global.rds.amazonaws.com',
  clusterHost: 'app-shard-0.cluster-xyz.eu-west-1.rds.amazonaws.com',
  port: 5432,
  database: 'app',
  schema: undefined,
  login: { method: 'iam', username: 'app_service' },
  migrationSecretArn: undefined,
};

/** A resolver over a fixed table; a name missing from it fails as ENOTFOUND would. */
function table(entries: Record<string, string[]>): Lookup {
  return async (host) => {
    const addresses = entries[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses;
  };
}

describe('writer route (global switchover without a deploy)', () => {
  it("writes to this region's cluster endpoint while the global writer endpoint resolves to it", async () => {
    const lookup = table({ [SHARD.globalWriterHost!]: ['10.20.3.7'], [SHARD.clusterHost!]: ['10.20.3.7'] });
    assert.equal(await writerHostFor(SHARD, lookup), SHARD.clusterHost);
  });

  it('forwards writes through the reader endpoint while the writer is in another region', async () => {
    const lookup = table({ [SHARD.globalWriterHost!]: ['10.10.1.4'], [SHARD.clusterHost!]: ['10.20.3.7'] });
    assert.equal(await writerHostFor(SHARD, lookup), SHARD.readerHost);
  });

  it("forwards writes when this region's cluster endpoint does not resolve (a secondary)", async () => {
    const lookup = table({ [SHARD.globalWriterHost!]: ['10.10.1.4'] });
    assert.equal(await writerHostFor(SHARD, lookup), SHARD.readerHost);
  });

  it("keeps the template's writer when the global name does not resolve", async () => {
    const lookup = table({ [SHARD.clusterHost!]: ['10.20.3.7'] });
    assert.equal(await writerHostFor(SHARD, lookup), SHARD.writerHost);
  });

  it("keeps the template's writer without discovery names (local runs)", async () => {
    const lookup: Lookup = async () => assert.fail('no lookup expected');
    const local = { ...SHARD, globalWriterHost: undefined, clusterHost: undefined };
    assert.equal(await writerHostFor(local, lookup), SHARD.writerHost);
  });
});

describe('a shard follows its writer (PostgreSQL)', { skip: await integrationSkip() }, () => {
  let env: TestEnv;
  before(async () => {
    env = await TestEnv.create();
  });
  after(async () => {
    await env.cleanup();
  });

  it('forwards while the writer is elsewhere, then swaps the writer pool when it moves to this region', async () => {
    const config = env.config('a');
    const discovery: ShardConfig = {
      ...config.shards[0]!,
      writerHost: PG_HOST,
      readerHost: 'localhost',
      clusterHost: PG_HOST,
      globalWriterHost: 'global.example',
    };
    const shard = new Shard(discovery, config, undefined, testLogger(), new Metrics('test', 'test', () => {}));
    try {
      let writerAddress = '10.10.1.4';
      const lookup: Lookup = async (host) => (host === 'global.example' ? [writerAddress] : ['127.0.0.1']);

      // Another region holds the writer: writes are forwarded through the reader endpoint.
      assert.equal(await shard.refreshWriter(lookup), true);
      assert.equal(shard.writerHost, 'localhost');
      assert.equal(await shard.refreshWriter(lookup), false);
      const forwarded = shard.writer;
      assert.equal((await shard.write<{ one: number }>('SELECT 1 AS one')).rows[0]?.one, 1);

      // A switchover promotes this region: the next check writes to its own cluster endpoint.
      writerAddress = '127.0.0.1';
      assert.equal(await shard.refreshWriter(lookup), true);
      assert.equal(shard.writerHost, PG_HOST);
      assert.notEqual(shard.writer, forwarded);
      assert.equal((await shard.write<{ one: number }>('SELECT 1 AS one')).rows[0]?.one, 1);
      // The replaced pool was closed.
      assert.equal(forwarded.ending, true);
    } finally {
      await shard.close();
    }
  });

  it('skips migrations while the writer is in another region (DDL is not forwarded), and runs them when it is here', async () => {
    const config = env.config('a');
    // IP literals resolve to themselves: no DNS needed to place the writer.
    const withWriterAt = (address: string) => ({
      ...config,
      shards: config.shards.map((shard) => ({ ...shard, clusterHost: PG_HOST, globalWriterHost: address })),
    });
    const elsewhere = await migrateAll(withWriterAt('10.255.255.1'), testLogger());
    assert.deepEqual(
      elsewhere.map((r) => r.applied),
      config.shards.map(() => []),
    );
    const here = await migrateAll(withWriterAt(PG_HOST), testLogger());
    assert.deepEqual(
      here.map((r) => r.shard),
      config.shards.map((s) => s.name),
    );
  });
});
