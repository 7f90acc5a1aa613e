import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import type { ShardRouter } from '../src/db/shards.js';
import { Readiness } from '../src/health.js';
import { json, TestEnv, type RunningApi } from './helpers/env.js';
import { TcpProxy } from './helpers/proxy.js';
import { integrationSkip, PG_HOST, PG_PORT } from './helpers/servers.js';

const skip = await integrationSkip();

/** Dependencies whose probes are counted, slowed down or failed by name ("cache", "shard-0.reader", …). */
function fakeDependencies(shardCount = 2) {
  const calls = new Map<string, number>();
  const failing = new Set<string>();
  const state = { delayMs: 30 };
  const probe = (name: string) => async () => {
    calls.set(name, (calls.get(name) ?? 0) + 1);
    await sleep(state.delayMs);
    if (failing.has(name)) throw new Error(`${name} refused`);
    return name === 'cache' ? 'PONG' : { rows: [{ '?column?': 1 }] };
  };
  const shards = Array.from({ length: shardCount }, (_, i) => ({
    name: `shard-${i}`,
    ping: (role: 'writer' | 'reader') => probe(`shard-${i}.${role}`)(),
  }));
  const router = { shards } as unknown as ShardRouter;
  const redis = { ping: probe('cache') } as unknown as Redis;
  /** Rounds of probes so far: every round probes each dependency once. */
  const rounds = () => {
    const counts = [...calls.values()];
    assert.equal(counts.length === 0 ? 0 : 1 + 2 * shardCount, counts.length, 'every round probes every dependency');
    assert.ok(
      counts.every((n) => n === counts[0]),
      `every dependency probed equally often: ${JSON.stringify([...calls])}`,
    );
    return counts[0] ?? 0;
  };
  return { router, redis, failing, state, rounds };
}

describe('readiness cache (unit)', () => {
  it('concurrent checks within the window share one round of probes', async () => {
    const deps = fakeDependencies();
    const readiness = new Readiness(deps.router, deps.redis, { timeoutMs: 1000, cacheMs: 400 });
    const first = await Promise.all(Array.from({ length: 100 }, () => readiness.check()));
    assert.ok(first.every((r) => r.status === 'ok'));
    assert.equal(deps.rounds(), 1, '100 concurrent checks: one round');
    const again = await Promise.all(Array.from({ length: 100 }, () => readiness.check()));
    assert.ok(again.every((r) => r.status === 'ok'));
    assert.equal(deps.rounds(), 1, 'within the window: answered from the last round');
    await sleep(450);
    await readiness.check();
    assert.equal(deps.rounds(), 2, 'after the window: a new round');
  });

  it('reports a failure once the window has expired, and caches the failure as well', async () => {
    const deps = fakeDependencies();
    const cacheMs = 300;
    const readiness = new Readiness(deps.router, deps.redis, { timeoutMs: 1000, cacheMs });
    assert.equal((await readiness.check()).status, 'ok');
    const roundDoneAt = Date.now();
    deps.failing.add('shard-1.reader');
    assert.equal((await readiness.check()).status, 'ok', 'inside the window the last round answers');
    let report = await readiness.check();
    while (report.status === 'ok') {
      await sleep(10);
      report = await readiness.check();
    }
    const reportedAfter = Date.now() - roundDoneAt;
    assert.equal(report.status, 'unavailable');
    assert.deepEqual(report.db, { 'shard-0': 'up', 'shard-1': 'down' });
    assert.match(report.errors['shard-1.reader'] ?? '', /refused/);
    // Expiry of the window, plus one round of probes (30 ms), plus timer slack.
    assert.ok(
      reportedAfter >= cacheMs && reportedAfter <= cacheMs + 30 + 200,
      `failure reported ${reportedAfter} ms after the last good round`,
    );
    assert.equal(deps.rounds(), 2);

    deps.failing.clear();
    const during = await Promise.all(Array.from({ length: 50 }, () => readiness.check()));
    assert.ok(
      during.every((r) => r.status === 'unavailable'),
      'the failed round answers its window too',
    );
    assert.equal(deps.rounds(), 2, 'a flood during an outage still costs no extra round');
  });

  it('the cache down is not ready either: sessions, logins and writes need it', async () => {
    const deps = fakeDependencies();
    deps.failing.add('cache');
    const report = await new Readiness(deps.router, deps.redis, { timeoutMs: 1000, cacheMs: 0 }).check();
    assert.equal(report.status, 'unavailable');
    assert.equal(report.cache, 'down');
    assert.deepEqual(report.db, { 'shard-0': 'up', 'shard-1': 'up' });
  });

  it('a probe that hangs costs one round bounded by the probe timeout, shared by every caller', async () => {
    const deps = fakeDependencies(1);
    deps.state.delayMs = 5000;
    const readiness = new Readiness(deps.router, deps.redis, { timeoutMs: 100, cacheMs: 1000 });
    const started = Date.now();
    const reports = await Promise.all(Array.from({ length: 20 }, () => readiness.check()));
    assert.ok(Date.now() - started < 1000, 'bounded by READY_TIMEOUT_MS');
    assert.ok(reports.every((r) => r.status === 'unavailable' && /timed out/.test(r.errors['shard-0.writer'] ?? '')));
    assert.equal(deps.rounds(), 1);
  });

  it('draining shows at once, without waiting for the window', async () => {
    const deps = fakeDependencies();
    const readiness = new Readiness(deps.router, deps.redis, { timeoutMs: 1000, cacheMs: 60_000 });
    assert.equal((await readiness.check()).status, 'ok');
    readiness.draining = true;
    const report = await readiness.check();
    assert.equal(report.status, 'draining');
    assert.equal(report.cache, 'up');
    assert.equal(deps.rounds(), 1);
  });

  it('READINESS_CACHE_MS=0 probes on every check, concurrent checks still share a round', async () => {
    const deps = fakeDependencies();
    const readiness = new Readiness(deps.router, deps.redis, { timeoutMs: 1000, cacheMs: 0 });
    await readiness.check();
    await readiness.check();
    assert.equal(deps.rounds(), 2);
    await Promise.all(Array.from({ length: 10 }, () => readiness.check()));
    assert.equal(deps.rounds(), 3);
  });

  it('READINESS_CACHE_MS defaults to 1000 and accepts 0', () => {
    const base = {
      AWS_REGION: 'eu-west-1',
      SHARD_MAP: '[{"name":"shard-0","writerHost":"w","database":"app"}]',
      DB_USERNAME: 'app',
      REDIS_URL: 'redis://cache:6379',
      SESSION_SECRET: 'x'.repeat(32),
      WORK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/work',
    };
    assert.equal(loadConfig(base).READINESS_CACHE_MS, 1000);
    assert.equal(loadConfig({ ...base, READINESS_CACHE_MS: '0' }).READINESS_CACHE_MS, 0);
    assert.throws(() => loadConfig({ ...base, READINESS_CACHE_MS: '-1' }), /READINESS_CACHE_MS/);
  });
});

describe('GET /readyz against real servers', { skip }, () => {
  let env: TestEnv;
  let proxy: TcpProxy;
  let api: RunningApi;
  const counts = { select1: 0, ping: 0 };
  const WINDOW_MS = 2000;

  before(async () => {
    env = await TestEnv.create();
    // The database behind a proxy the test can cut; no relay and no consumer, so the pools
    // only see what readiness sends. A 2 s window leaves room for the floods on a busy machine.
    proxy = await TcpProxy.start(PG_HOST, PG_PORT);
    api = await env.startApi('a', {
      SHARD_MAP: env.shardMap({ port: proxy.port }),
      INVALIDATION_TOPIC_ARN: '',
      INVALIDATION_QUEUE_URL: '',
      READINESS_CACHE_MS: String(WINDOW_MS),
    });
    // Spies: count the probes readiness sends, pass them through to the real servers.
    for (const shard of api.api.core.router.shards) {
      for (const pool of [shard.writer, shard.reader]) {
        const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
        pool.query = ((...args: unknown[]) => {
          if (args[0] === 'SELECT 1') counts.select1++;
          return query(...args);
        }) as typeof pool.query;
      }
    }
    const redis = api.api.core.redis;
    const ping = redis.ping.bind(redis) as (...args: unknown[]) => unknown;
    redis.ping = ((...args: unknown[]) => {
      counts.ping++;
      return ping(...args);
    }) as typeof redis.ping;
  });
  after(async () => {
    await env.cleanup();
    await proxy.close();
  });

  const flood = (n: number) =>
    Promise.all(
      Array.from({ length: n }, () =>
        fetch(`${api.url}/readyz`).then(async (r) => ({ status: r.status, body: await json(r) })),
      ),
    );

  it('N concurrent /readyz within the window cost one round of dependency checks; a failure shows after the window', async () => {
    const shards = env.shardCount;
    // The round completes between these two instants; its window starts when it completes.
    const floodStartedAt = Date.now();
    const ok = await flood(50);
    const floodEndedAt = Date.now();
    assert.ok(
      ok.every((r) => r.status === 200 && r.body.status === 'ok'),
      JSON.stringify(ok[0]),
    );
    assert.deepEqual(
      counts,
      { select1: 2 * shards, ping: 1 },
      '50 concurrent requests: one SELECT 1 per pool and one PING',
    );

    proxy.cut();
    const cutAt = Date.now();
    const cached = await flood(50);
    // Inside the window (the floods take tens of milliseconds).
    assert.ok(Date.now() - floodStartedAt < WINDOW_MS, 'still inside the window');
    assert.ok(
      cached.every((r) => r.status === 200),
      'the last round answers until the window ends',
    );
    assert.deepEqual(counts, { select1: 2 * shards, ping: 1 }, 'no probe inside the window');

    let res = await flood(1);
    while (res[0]?.status === 200 && Date.now() - cutAt < WINDOW_MS + 5000) {
      await sleep(50);
      res = await flood(1);
    }
    const reportedAt = Date.now();
    assert.equal(res[0]?.status, 503);
    assert.equal(res[0]?.body.status, 'unavailable');
    assert.deepEqual(res[0]?.body.db, { 'shard-0': 'down', 'shard-1': 'down' });
    // Window + one failing round (a reset connection fails at once; READY_TIMEOUT_MS 1000 caps
    // it) + the 50 ms poll and scheduling slack on a shared machine.
    assert.ok(
      reportedAt - floodStartedAt >= WINDOW_MS,
      `not before the window ends (${reportedAt - floodStartedAt} ms)`,
    );
    assert.ok(
      reportedAt - floodEndedAt <= WINDOW_MS + 1000 + 300,
      `failure reported ${reportedAt - floodEndedAt} ms after the last good round`,
    );
    const roundsSoFar = counts.ping;
    assert.ok(roundsSoFar >= 2, 'a new round after the window');

    const failing = await flood(50);
    assert.ok(
      failing.every((r) => r.status === 503),
      'the failed round answers its window too',
    );
    assert.equal(counts.ping, roundsSoFar, 'a flood during the outage costs no extra round');
    assert.equal(counts.select1, 2 * shards * roundsSoFar);
    proxy.restore();
  });
});
