import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { eventually, json, login, metricSum, putItem, TestEnv, type RunningApi } from './helpers/env.js';
import { TcpProxy } from './helpers/proxy.js';
import { integrationSkip, PG_HOST, PG_PORT } from './helpers/servers.js';

const skip = await integrationSkip();
// These tests count database reads under bursts of concurrent requests; load shedding (its own
// tests are in shedding.test.ts) would answer part of a burst with 503 on a busy machine.
const NO_SHEDDING = { MAX_IN_FLIGHT: '1000', MAX_EVENT_LOOP_DELAY_MS: '0' };

describe('cache-aside reads', { skip }, () => {
  let env: TestEnv;
  let a: RunningApi;
  let cookie: string;

  before(async () => {
    env = await TestEnv.create();
    a = await env.startApi('a', { ...NO_SHEDDING, NEAR_CACHE_TTL_MS: '300' });
    cookie = await login(a.url, 'cache-user');
  });
  after(async () => {
    await env.cleanup();
  });

  it('misses once, then serves from the near-cache, then from Redis after the near TTL', async () => {
    assert.equal((await putItem(a.url, cookie, 'c1', { name: 'first', data: { n: 1 } })).status, 200);
    const items = a.api.core.items;
    const before = items.dbReads;

    const miss = await fetch(`${a.url}/api/items/c1`);
    assert.equal(miss.status, 200);
    assert.match(miss.headers.get('content-type') ?? '', /application\/json/);
    const item = await json(miss);
    assert.equal(item.name, 'first');
    assert.deepEqual(item.data, { n: 1 });
    assert.equal(item.version, 1);
    assert.equal(item.updatedBy, 'cache-user');
    assert.equal(items.dbReads, before + 1, 'first read goes to the database');

    for (let i = 0; i < 20; i++) assert.equal((await fetch(`${a.url}/api/items/c1`)).status, 200);
    assert.equal(items.dbReads, before + 1, 'repeat reads are cache hits');

    // Twice the near TTL: a background refresh started by a late repeat (refresh-ahead) has
    // expired too, however slowly it ran, so this read is Redis's.
    await sleep(600);
    assert.deepEqual(await (await fetch(`${a.url}/api/items/c1`)).json(), item);
    assert.equal(items.dbReads, before + 1, 'after the near TTL the value comes from Redis, not the database');

    await a.api.core.metrics.flush();
    // On a busy machine some of the 20 repeats may come after the near TTL: they are then Redis
    // hits. Either way none reaches the database, and the read after the sleep is a Redis hit.
    const near = metricSum(a.metricLines, 'CacheHits', { Tier: 'near' });
    const redis = metricSum(a.metricLines, 'CacheHits', { Tier: 'redis' });
    assert.equal(near + redis, 21);
    assert.ok(near >= 1 && redis >= 1, `near ${near}, redis ${redis}`);
    assert.equal(metricSum(a.metricLines, 'CacheMisses'), 1);
    const ratio = metricSum(a.metricLines, 'CacheHitRatio');
    assert.ok(Math.abs(ratio - (100 * 21) / 22) < 0.01, `hit ratio ${ratio}`);
  });

  it("refresh-ahead: a read late in a near copy's life gets it at once and reloads it in the background", async () => {
    // A long near TTL, so that the copy below is in its last quarter however slow the machine.
    const long = await env.startApi('a', { ...NO_SHEDDING, NEAR_CACHE_TTL_MS: '60000' });
    assert.equal((await putItem(long.url, cookie, 'ra1', { name: 'current', data: {} })).status, 200);
    assert.equal((await fetch(`${long.url}/api/items/ra1`)).status, 200, 'fills Redis and the near-cache');
    const { cache, items } = long.api.core;
    const dbReads = items.dbReads;
    // A near copy stored 50 of its 60 s ago (due for refresh, 10 s from expiry), with a body Redis
    // does not have, to tell which copy a read gets.
    cache.near.set('ra1', '{"copy":"near"}', Date.now() - 50_000, Infinity, cache.near.epoch);
    assert.deepEqual(await (await fetch(`${long.url}/api/items/ra1`)).json(), { copy: 'near' }, 'no wait');
    await eventually(() => cache.near.get('ra1', Date.now())?.body?.includes('"current"') === true, 10_000);
    assert.equal(items.dbReads, dbReads, 'reloaded from Redis');
    await long.api.core.metrics.flush();
    assert.equal(metricSum(long.metricLines, 'CacheHits', { Tier: 'redis' }), 0, 'a refresh is not a read');
  });

  it('a near-cache hit answered before routing is the answer of the route itself', async () => {
    assert.equal((await putItem(a.url, cookie, 'fast1', { name: 'fast', data: { n: 1 } })).status, 200);
    for (const id of ['fast1', 'missing-fast']) {
      await fetch(`${a.url}/api/items/${id}`); // fills the near-cache
      // A query string takes fastify's route, which finds the same near-cache copy.
      const [early, routed] = await Promise.all([
        fetch(`${a.url}/api/items/${id}`),
        fetch(`${a.url}/api/items/${id}?via=route`),
      ]);
      assert.equal(early.status, routed.status);
      for (const h of ['content-type', 'content-length', 'cache-control', 'set-cookie'])
        assert.equal(early.headers.get(h), routed.headers.get(h), `${id}: ${h}`);
      assert.equal(await early.text(), await routed.text());
    }
  });

  it('caches not-found answers too (negative cache)', async () => {
    const before = a.api.core.items.dbReads;
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${a.url}/api/items/missing-1`);
      assert.equal(res.status, 404);
      assert.deepEqual(await res.json(), { error: 'not_found', message: 'No item has this id.' });
    }
    assert.equal(a.api.core.items.dbReads, before + 1);
  });

  it('rejects malformed ids without touching the cache or database', async () => {
    const before = a.api.core.items.dbReads;
    const res = await fetch(`${a.url}/api/items/${encodeURIComponent('bad id!')}`);
    assert.equal(res.status, 400);
    assert.equal(a.api.core.items.dbReads, before);
  });

  it('stampede: 200 concurrent reads of a cold key in one task cost one database query', async () => {
    assert.equal((await putItem(a.url, cookie, 'hot-1', { name: 'hot' })).status, 200);
    const before = a.api.core.items.dbReads;
    const results = await Promise.all(
      Array.from({ length: 200 }, () => fetch(`${a.url}/api/items/hot-1`).then((r) => r.status)),
    );
    assert.deepEqual(new Set(results), new Set([200]));
    assert.equal(a.api.core.items.dbReads - before, 1);
  });

  it('stampede across tasks: a cold key read by two tasks at once hits the database once', async () => {
    // A slow database path makes the two tasks' misses overlap for real.
    const slowDb = await TcpProxy.start(PG_HOST, PG_PORT);
    slowDb.delayMs = 150;
    const map = env.shardMap({ port: slowDb.port });
    const t1 = await env.startApi('a', { ...NO_SHEDDING, SHARD_MAP: map });
    const t2 = await env.startApi('a', { ...NO_SHEDDING, SHARD_MAP: map });
    try {
      assert.equal((await putItem(a.url, cookie, 'hot-2', { name: 'hot' })).status, 200);
      const reads = () => t1.api.core.items.dbReads + t2.api.core.items.dbReads;
      const before = reads();
      const all = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          fetch(`${(i % 2 ? t1 : t2).url}/api/items/hot-2`).then(async (r) => [r.status, (await json(r)).name]),
        ),
      );
      assert.ok(all.every(([s, n]) => s === 200 && n === 'hot'));
      assert.equal(reads() - before, 1, 'only the lock holder read the database');
    } finally {
      await t1.stop();
      await t2.stop();
      await slowDb.close();
    }
  });
});
