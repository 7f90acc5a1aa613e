import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { json, metricSum, parseEmf, TestEnv } from "./helpers/env.js";
import { TcpProxy } from "./helpers/proxy.js";
import { integrationSkip, PG_HOST, PG_PORT } from "./helpers/servers.js";

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
  return { status: res.status, ms: performance.now() - started, retryAfter: res.headers.get("retry-after") };
}

describe("load shedding", { skip }, () => {
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

  it("over MAX_IN_FLIGHT: excess requests get a fast 503 + Retry-After, admitted ones keep their latency", async () => {
    const common = { SHARD_MAP: env.shardMap({ port: slowDb.port }), DB_POOL_MAX: "4", MAX_EVENT_LOOP_DELAY_MS: "0" };
    const shedding = await env.startApi("a", { ...common, MAX_IN_FLIGHT: "4" });
    const queueing = await env.startApi("a", { ...common, MAX_IN_FLIGHT: "10000" });
    try {
      // Fill the pools so both compare request latency, not connection set-up.
      for (const api of [shedding, queueing]) {
        await Promise.all(api.api.core.router.shards.flatMap((s) => Array.from({ length: 4 }, () => s.reader.query("SELECT pg_sleep(0.05)"))));
      }
      // One request first, so that no request of the burst pays for the first one's set-up.
      await timedGet(`${shedding.url}/api/items/baseline`);

      const healthDuringOverload = timedGet(`${shedding.url}/healthz`);
      const shed = await burst(shedding.url, "shed");
      const queued = await burst(queueing.url, "queued");

      const admitted = shed.filter((r) => r.status === 404);
      const rejected = shed.filter((r) => r.status === 503);
      assert.equal(admitted.length + rejected.length, shed.length);
      assert.equal(admitted.length, 4, "exactly MAX_IN_FLIGHT admitted");
      for (const r of rejected) assert.equal(r.retryAfter, "1");
      const slowestRejection = Math.max(...rejected.map((r) => r.ms));
      const fastestAdmitted = Math.min(...admitted.map((r) => r.ms));
      assert.ok(slowestRejection < fastestAdmitted, `rejections answered at once (${slowestRejection.toFixed(0)} ms) rather than queued`);
      // Admitted requests never wait for a connection: MAX_IN_FLIGHT (4) is within each shard's
      // pool (DB_POOL_MAX 4). Without the limit, the busiest shard's reads queue for its pool, so
      // the last waits at least one delayed round trip per pool-full of reads before it: a lower
      // bound that a slow machine only raises (no ratio of timings to flake).
      assert.ok(queued.every((r) => r.status === 404), "without a limit everything queues and is served late");
      const readsPerShard = new Map<string, number>();
      for (let i = 0; i < queued.length; i++) {
        const shard = queueing.api.core.router.shardFor(`queued-${i}`).config.name;
        readsPerShard.set(shard, (readsPerShard.get(shard) ?? 0) + 1);
      }
      const rounds = Math.ceil(Math.max(...readsPerShard.values()) / Number(common.DB_POOL_MAX));
      const slowestQueued = Math.max(...queued.map((r) => r.ms));
      assert.ok(rounds >= 3, `${rounds} rounds: the burst must overfill a pool`);
      assert.ok(slowestQueued >= rounds * slowDb.delayMs, `queued ${slowestQueued.toFixed(0)} ms < ${rounds} rounds of ${slowDb.delayMs} ms`);
      assert.equal((await healthDuringOverload).status, 200, "health checks are never shed");

      await shedding.api.core.metrics.flush();
      assert.equal(metricSum(shedding.metricLines, "LoadShed", { Reason: "in_flight" }), rejected.length);
    } finally {
      await shedding.stop();
      await queueing.stop();
    }
  });

  it("when the event loop stalls: requests get 503 until it recovers, health checks still answer", async () => {
    const api = await env.startApi("a", { MAX_EVENT_LOOP_DELAY_MS: "50", SHED_SAMPLE_INTERVAL_MS: "50" });
    try {
      assert.equal((await timedGet(`${api.url}/api/items/loop-1`)).status, 404);
      // A real stall: this test shares the server's event loop.
      const until = performance.now() + 300;
      while (performance.now() < until);
      const [during, health] = await Promise.all([timedGet(`${api.url}/api/items/loop-1`), timedGet(`${api.url}/readyz`)]);
      assert.equal(during.status, 503);
      assert.equal(health.status, 200);
      await sleep(200);
      assert.equal((await timedGet(`${api.url}/api/items/loop-1`)).status, 404, "admitted again once the loop is responsive");
      await api.api.core.metrics.flush();
      assert.equal(metricSum(api.metricLines, "LoadShed", { Reason: "event_loop" }), 1);
      assert.ok(parseEmf(api.metricLines).some((d) => typeof d.EventLoopDelay === "number"), "EventLoopDelay reported");
      assert.equal((await json(await fetch(`${api.url}/healthz`))).status, "ok");
    } finally {
      await api.stop();
    }
  });
});
