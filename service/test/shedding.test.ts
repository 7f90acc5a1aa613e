import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, json, metricSum, parseEmf, TestEnv } from './helpers/env.js';
import { TcpProxy } from './helpers/proxy.js';
import { integrationSkip, PG_HOST, PG_PORT } from './helpers/servers.js';

const skip = await integrationSkip();

interface Timed {
  status: number;
  ms: number;
  retryAfter: string | null;
}

async function timedGet(url: string): Promise<Timed> {
  const started = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started, retryAfter: res.headers.get('retry-after') };
}

describe('load shedding', { skip }, () => {
  let env: TestEnv;
  let slowDb: TcpProxy;

  before(async () => {
    env = await TestEnv.create();
    slowDb = await TcpProxy.start(PG_HOST, PG_PORT);
    slowDb.delayMs = 150;
  });
  after(async () => {
    await slowDb.close();
    await env.cleanup();
  });

  /** 24 concurrent reads of distinct cold keys: each needs a slow database round trip. */
  async function burst(url: string, tag: string): Promise<Timed[]> {
    return Promise.all(Array.from({ length: 24 }, (_, i) => timedGet(`${url}/api/items/${tag}-${i}`)));
  }

  it('over MAX_IN_FLIGHT: excess requests get a fast 503 + Retry-After, admitted ones keep their latency', async () => {
    // A held query or connection must not time out into a 503 "unavailable" however long a
    // busy machine takes to send the burst: both timeouts are far above the test's own.
    const common = {
      SHARD_MAP: env.shardMap({ port: slowDb.port }),
      DB_POOL_MAX: '4',
      DB_STATEMENT_TIMEOUT_MS: '120000',
      DB_CONNECT_TIMEOUT_MS: '60000',
    };
    const shedding = await env.startApi('a', { ...common, MAX_IN_FLIGHT: '4' });
    const queueing = await env.startApi('a', { ...common, MAX_IN_FLIGHT: '10000' });
    try {
      // Fill the pools so both compare request latency, not connection set-up.
      for (const api of [shedding, queueing]) {
        await Promise.all(
          api.api.core.router.shards.flatMap((s) =>
            Array.from({ length: 4 }, () => s.reader.query('SELECT pg_sleep(0.05)')),
          ),
        );
      }
      // One request first, so that no request of the burst pays for the first one's set-up.
      await timedGet(`${shedding.url}/api/items/baseline`);

      // The database answers nothing until released: however slowly this machine sends the
      // burst, the admitted requests are still in flight when the last one arrives.
      slowDb.hold();
      const answered: Timed[] = [];
      const shedding24 = Array.from({ length: 24 }, (_, i) =>
        timedGet(`${shedding.url}/api/items/shed-${i}`).then((r) => (answered.push(r), r)),
      );
      await eventually(() => answered.length >= 20, 60_000);
      assert.equal(answered.length, 20);
      assert.equal(shedding.api.shedder.inFlight, 4, 'exactly MAX_IN_FLIGHT admitted');
      // Rejections are answered while the admitted requests wait for the database: at once,
      // not queued behind them.
      assert.ok(
        answered.every((r) => r.status === 503 && r.retryAfter === '1'),
        JSON.stringify(answered.map((r) => r.status)),
      );
      assert.equal((await timedGet(`${shedding.url}/healthz`)).status, 200, 'health checks are never shed');
      slowDb.release();
      const shed = await Promise.all(shedding24);
      assert.equal(shed.filter((r) => r.status === 404).length, 4, 'the admitted requests complete');

      // Admitted requests never wait for a connection: MAX_IN_FLIGHT (4) is within each shard's
      // pool (DB_POOL_MAX 4). Without the limit, the busiest shard's reads queue for its pool, so
      // the last waits at least one delayed round trip per pool-full of reads before it: a lower
      // bound that a slow machine only raises (no ratio of timings to flake).
      const queued = await burst(queueing.url, 'queued');
      assert.ok(
        queued.every((r) => r.status === 404),
        'without a limit everything queues and is served late',
      );
      const readsPerShard = new Map<string, number>();
      for (let i = 0; i < queued.length; i++) {
        const shard = queueing.api.core.router.shardFor(`queued-${i}`).config.name;
        readsPerShard.set(shard, (readsPerShard.get(shard) ?? 0) + 1);
      }
      const rounds = Math.ceil(Math.max(...readsPerShard.values()) / Number(common.DB_POOL_MAX));
      const slowestQueued = Math.max(...queued.map((r) => r.ms));
      assert.ok(rounds >= 3, `${rounds} rounds: the burst must overfill a pool`);
      assert.ok(
        slowestQueued >= rounds * slowDb.delayMs,
        `queued ${slowestQueued.toFixed(0)} ms < ${rounds} rounds of ${slowDb.delayMs} ms`,
      );

      await shedding.api.core.metrics.flush();
      assert.equal(metricSum(shedding.metricLines, 'LoadShed', { Reason: 'in_flight' }), 20);
    } finally {
      slowDb.release();
      await shedding.stop();
      await queueing.stop();
    }
  });

  it('when the event loop stalls: requests get 503 until it recovers, health checks still answer', async () => {
    const api = await env.startApi('a', { MAX_EVENT_LOOP_DELAY_MS: '50', SHED_SAMPLE_INTERVAL_MS: '50' });
    let shed = 0;
    const get = async () => {
      const r = await timedGet(`${api.url}/api/items/loop-1`);
      if (r.status === 503) shed++;
      return r;
    };
    try {
      // A busy machine can lag by itself: wait for an admitted answer rather than expect one.
      await eventually(async () => (await get()).status === 404, 10_000);
      // A real stall (this test shares the server's event loop), repeated until a request sent
      // right after one is shed: a busy machine may deliver it only after the next sample.
      let during: Timed | undefined;
      let health: Timed | undefined;
      for (let attempt = 0; attempt < 20 && during?.status !== 503; attempt++) {
        const until = performance.now() + 300;
        while (performance.now() < until);
        [during, health] = await Promise.all([get(), timedGet(`${api.url}/readyz`)]);
        assert.equal(health.status, 200, 'health checks are never shed');
      }
      assert.equal(during?.status, 503);
      assert.equal(during?.retryAfter, '1');
      await eventually(async () => (await get()).status === 404, 10_000);
      await api.api.core.metrics.flush();
      assert.equal(metricSum(api.metricLines, 'LoadShed', { Reason: 'event_loop' }), shed);
      assert.ok(
        parseEmf(api.metricLines).some((d) => typeof d.EventLoopDelay === 'number'),
        'EventLoopDelay reported',
      );
      assert.equal((await json(await fetch(`${api.url}/healthz`))).status, 'ok');
    } finally {
      await api.stop();
    }
  });
});
