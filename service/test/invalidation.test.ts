import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { eventually, json, login, metricSum, putItem, TestEnv, type RunningApi } from './helpers/env.js';
import { integrationSkip } from './helpers/servers.js';

const skip = await integrationSkip();

async function version(api: RunningApi, id: string): Promise<number> {
  const res = await fetch(`${api.url}/api/items/${id}`);
  assert.equal(res.status, 200);
  return (await json(res)).version;
}

describe('invalidation', { skip }, () => {
  let env: TestEnv;
  let a1: RunningApi;
  let a2: RunningApi;
  let b1: RunningApi;
  let cookie: string;

  before(async () => {
    env = await TestEnv.create();
    // Long TTLs: any fresh read below must come from an eviction, not from an expiry.
    const long = { NEAR_CACHE_TTL_MS: '60000', CACHE_TTL_SECONDS: '600' };
    a1 = await env.startApi('a', long);
    a2 = await env.startApi('a', long);
    b1 = await env.startApi('b', long);
    cookie = await login(a1.url, 'writer');
  });
  after(async () => {
    await env.cleanup();
  });

  it("a write evicts the key from Redis and from every task's near-cache in the region", async () => {
    assert.equal((await putItem(a1.url, cookie, 'inv-1', { name: 'v1' })).status, 200);
    assert.equal(await version(a2, 'inv-1'), 1);
    assert.equal(await version(a1, 'inv-1'), 1);
    const redisKey = `${env.redisPrefix('a')}{item:inv-1}`;
    assert.ok(await env.redis.exists(redisKey), 'value cached in Redis');

    const res = await putItem(a1.url, cookie, 'inv-1', { name: 'v2' });
    assert.equal((await json(res)).version, 2);
    assert.equal(await env.redis.exists(redisKey), 0, 'writer evicted the Redis copy');
    assert.equal(await env.redis.get(`${redisKey}:fence`), '2', 'and fenced older versions out');
    assert.equal(await version(a1, 'inv-1'), 2, 'the writing task reads its own write');
    await eventually(async () => (await version(a2, 'inv-1')) === 2, 2000);
  });

  it('publishes an event through the outbox that the other region consumes to evict its copy', async () => {
    assert.equal((await putItem(a1.url, cookie, 'inv-2', { name: 'v1' })).status, 200);
    assert.equal(await version(b1, 'inv-2'), 1);
    const bKey = `${env.redisPrefix('b')}{item:inv-2}`;
    // Region b may still be consuming the event of the first write; wait until b's copy stays.
    await eventually(async () => (await version(b1, 'inv-2')) === 1 && (await env.redis.exists(bKey)) === 1, 5000);

    assert.equal((await putItem(a1.url, cookie, 'inv-2', { name: 'v2' })).status, 200);
    await eventually(async () => (await version(b1, 'inv-2')) === 2, 5000);

    await eventually(async () => {
      const outbox = await env.admin.query(
        `SELECT count(*)::int AS n FROM "${env.schema(0)}".outbox UNION ALL SELECT count(*)::int FROM "${env.schema(1)}".outbox`,
      );
      return outbox.rows.every((r) => r.n === 0);
    });
    await a1.api.core.metrics.flush();
    await b1.api.core.metrics.flush();
    assert.ok(metricSum(a1.metricLines, 'InvalidationsPublished') >= 2);
    assert.ok(metricSum(b1.metricLines, 'InvalidationsApplied') >= 1);
    assert.ok(metricSum(b1.metricLines, 'InvalidationLag') >= 1, 'lag distribution recorded');
  });

  it("ignores its own region's events", async () => {
    // Queue a is subscribed to topic a too (see TestEnv): a's consumers receive a's own events
    // and must drop (delete) them without applying anything.
    const spy = env.fauxqs.spy;
    await spy.waitForMessage({ service: 'sqs', queueName: 'invalidation-queue-a' }, 'published', 5000);
    await spy.waitForMessage({ service: 'sqs', queueName: 'invalidation-queue-a' }, 'consumed', 5000);
    await a1.api.core.metrics.flush();
    await a2.api.core.metrics.flush();
    assert.equal(metricSum([...a1.metricLines, ...a2.metricLines], 'InvalidationsApplied'), 0);
  });

  it('fences out a fill from a lagging replica after an invalidation', async () => {
    const itemCache = b1.api.core.cache;
    await itemCache.invalidate('lagging', 7);
    // The replica still returns version 6: served, but not cached.
    const stale = await itemCache.get('lagging', async () => ({ body: '{"version":6}', version: 6 }));
    assert.equal(stale, '{"version":6}');
    assert.equal(await env.redis.exists(`${env.redisPrefix('b')}{item:lagging}`), 0);
    itemCache.near.clear();
    const fresh = await itemCache.get('lagging', async () => ({ body: '{"version":7}', version: 7 }));
    assert.equal(fresh, '{"version":7}');
    assert.ok((await env.redis.get(`${env.redisPrefix('b')}{item:lagging}`))?.endsWith('|{"version":7}'));
  });

  it('split brain: with invalidation events held back, a stale read lasts at most the cache TTL', async () => {
    const ttlSeconds = 2;
    // A region-b task that receives no events (its consumer is off).
    const isolated = await env.startApi('b', {
      INVALIDATION_QUEUE_URL: '',
      REDIS_KEY_PREFIX: `${env.runId}:isolated:`,
      CACHE_TTL_SECONDS: String(ttlSeconds),
      NEAR_CACHE_TTL_MS: '1000',
    });
    try {
      assert.equal((await putItem(a1.url, cookie, 'split-1', { name: 'v1' })).status, 200);
      assert.equal(await version(isolated, 'split-1'), 1);
      const cachedAt = Date.now();
      assert.equal((await putItem(a1.url, cookie, 'split-1', { name: 'v2' })).status, 200);
      assert.equal(await version(isolated, 'split-1'), 1, 'stale while the event is held back');
      let freshAt = 0;
      while (Date.now() - cachedAt < ttlSeconds * 1000 + 1500) {
        if ((await version(isolated, 'split-1')) === 2) {
          freshAt = Date.now();
          break;
        }
        await sleep(50);
      }
      assert.ok(freshAt > 0, 'eventually fresh');
      const staleFor = freshAt - cachedAt;
      assert.ok(staleFor <= ttlSeconds * 1000 + 200, `stale for ${staleFor} ms with a ${ttlSeconds} s TTL`);
      assert.ok(staleFor >= ttlSeconds * 1000 - 200, `fresh only through expiry (${staleFor} ms)`);
    } finally {
      await isolated.stop();
    }
  });
});
