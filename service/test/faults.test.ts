import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, json, login, metricSum, putItem, TestEnv, type RunningApi } from './helpers/env.js';
import { closedPort, TcpProxy } from './helpers/proxy.js';
import { integrationSkip, REDIS_HOST, REDIS_PORT } from './helpers/servers.js';

const skip = await integrationSkip();

describe('dependency faults', { skip }, () => {
  let env: TestEnv;
  let healthy: RunningApi;
  let cookie: string;

  before(async () => {
    env = await TestEnv.create();
    healthy = await env.startApi('a');
    cookie = await login(healthy.url, 'faults');
    for (const id of ['f-1', 'f-2', 'f-3', 'f-4'])
      assert.equal((await putItem(healthy.url, cookie, id, { name: id })).status, 200);
  });
  after(async () => {
    await env.cleanup();
  });

  it('Redis down: reads are served from the database; /readyz answers 503, since sessions, logins and writes need Redis', async () => {
    const noRedis = await env.startApi('a', { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    try {
      const before = noRedis.api.core.items.dbReads;
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${noRedis.url}/api/items/f-1`);
        assert.equal(res.status, 200);
        assert.equal((await json(res)).name, 'f-1');
      }
      assert.equal(noRedis.api.core.items.dbReads - before, 1, 'the near-cache still shields the database');

      const ready = await fetch(`${noRedis.url}/readyz`);
      assert.equal(ready.status, 503, 'not ready: every PUT, login and job would get 503');
      const text = await ready.text();
      assert.deepEqual(JSON.parse(text), {
        status: 'unavailable',
        db: { 'shard-0': 'up', 'shard-1': 'up' },
        cache: 'down',
      });
      assert.doesNotMatch(
        text,
        /127\.0\.0\.1|ECONNREFUSED|:\d{2,5}\b/,
        'no raw dependency error (host:port) in the public body',
      );

      // Sessions need Redis: a clean 503, not a hang or a 500.
      const loginRes = await fetch(`${noRedis.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"userId":"x"}',
      });
      assert.equal(loginRes.status, 503);
      assert.ok(loginRes.headers.get('retry-after'));
      assert.equal(
        (await json(loginRes)).dependency,
        'cache',
        'the login rate limit fails open: the session store answers',
      );
      const jobRes = await fetch(`${noRedis.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: '{"type":"item.increment","itemId":"f-1"}',
      });
      assert.equal(jobRes.status, 503, 'a job needs its session, which lives in Redis');
      assert.equal((await json(jobRes)).dependency, 'cache');

      // The daily-active-users gauge cannot be read: the flush writes what it has, then reports that.
      await assert.rejects(noRedis.api.core.metrics.flush(), /enableOfflineQueue/);
      assert.ok(metricSum(noRedis.metricLines, 'DependencyErrors', { Dependency: 'cache' }) > 0);
    } finally {
      await noRedis.stop();
    }
  });

  it('Redis lost mid-run: reads keep working, readiness degrades and recovers', async () => {
    const redisProxy = await TcpProxy.start(REDIS_HOST, REDIS_PORT);
    // Readiness uncached: each /readyz below must see the cut at once.
    const api = await env.startApi('a', {
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}/0`,
      NEAR_CACHE_TTL_MS: '0',
      READINESS_CACHE_MS: '0',
    });
    try {
      assert.equal((await json(await fetch(`${api.url}/readyz`))).status, 'ok');
      assert.equal((await fetch(`${api.url}/api/items/f-2`)).status, 200);
      redisProxy.cut();
      const started = Date.now();
      const res = await fetch(`${api.url}/api/items/f-3`);
      assert.equal(res.status, 200);
      assert.equal((await json(res)).name, 'f-3');
      assert.ok(Date.now() - started < 1500, 'falls back without waiting for Redis');
      assert.equal((await json(await fetch(`${api.url}/readyz`))).status, 'unavailable');
      redisProxy.restore();
      await eventually(async () => (await json(await fetch(`${api.url}/readyz`))).status === 'ok', 5000, 100);
    } finally {
      await api.stop();
      await redisProxy.close();
    }
  });

  it('database down: 503 with Retry-After, not a crash; cached keys are still served', async () => {
    assert.equal((await fetch(`${healthy.url}/api/items/f-4`)).status, 200, "f-4 now cached in region a's Redis");
    const noDb = await env.startApi('a', { SHARD_MAP: env.shardMap({ port: await closedPort() }) });
    try {
      const cold = await fetch(`${noDb.url}/api/items/f-never-cached`);
      assert.equal(cold.status, 503);
      assert.equal(cold.headers.get('retry-after'), '1');
      assert.deepEqual(await json(cold), {
        error: 'unavailable',
        message: 'A dependency (db) is unavailable; retry later.',
        dependency: 'db',
      });

      const write = await putItem(noDb.url, cookie, 'f-5', { name: 'x' });
      assert.equal(write.status, 503);

      const cached = await fetch(`${noDb.url}/api/items/f-4`);
      assert.equal(cached.status, 200, 'a cached read does not need the database');

      assert.equal((await fetch(`${noDb.url}/healthz`)).status, 200, 'liveness does not depend on the database');
      const ready = await fetch(`${noDb.url}/readyz`);
      assert.equal(ready.status, 503);
      const text = await ready.text();
      assert.deepEqual(JSON.parse(text), {
        status: 'unavailable',
        db: { 'shard-0': 'down', 'shard-1': 'down' },
        cache: 'up',
      });
      assert.doesNotMatch(
        text,
        /127\.0\.0\.1|ECONNREFUSED|:\d{2,5}\b/,
        'no raw dependency error (host:port) in the public body',
      );
      assert.equal((await fetch(`${noDb.url}/api/items/f-never-cached`)).status, 503, 'still serving after errors');
    } finally {
      await noDb.stop();
    }
  });

  it('queue down: the write commits, its event waits in the outbox and is published once the queue is back', async () => {
    const sqsProxy = await TcpProxy.start('127.0.0.1', Number(new URL(env.fauxqs.address).port));
    // Its own origin region, so only this task relays the event.
    const api = await env.startApi('a', {
      AWS_ENDPOINT_URL: `http://127.0.0.1:${sqsProxy.port}`,
      REGION: 'region-q',
      INVALIDATION_QUEUE_URL: '',
    });
    try {
      sqsProxy.cut();
      const res = await putItem(api.url, cookie, 'f-q', { name: 'written during the outage' });
      assert.equal(res.status, 200, 'the write does not depend on the queue');
      const shardSchemas = [env.schema(0), env.schema(1)];
      const pending = async () =>
        (
          await env.admin.query(
            shardSchemas
              .map((s) => `SELECT attempts, last_error, payload FROM "${s}".outbox WHERE origin_region = 'region-q'`)
              .join(' UNION ALL '),
          )
        ).rows;
      // attempts counts claims: a third claim means two publishes failed and were rescheduled.
      await eventually(async () => (await pending()).some((r) => r.attempts >= 3), 5000);
      const [row] = await pending();
      assert.equal(row.payload.key, 'f-q');
      assert.ok(row.last_error, 'the failure is recorded');

      const job = await fetch(`${api.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: '{"type":"item.increment","itemId":"f-q"}',
      });
      assert.equal(job.status, 503, 'enqueueing needs the queue: 503, the client retries');

      sqsProxy.restore();
      await env.fauxqs.spy.waitForMessage(
        (m) => m.service === 'sqs' && m.queueName === 'invalidation-queue-b' && m.body.includes('\\"key\\":\\"f-q\\"'),
        'published',
        5000,
      );
      await eventually(async () => (await pending()).length === 0, 3000);
      await api.api.core.metrics.flush();
      assert.ok(metricSum(api.metricLines, 'InvalidationPublishFailures') >= 2);
      assert.equal(metricSum(api.metricLines, 'InvalidationsPublished'), 1);
    } finally {
      await api.stop();
      await sqsProxy.close();
    }
  });
});
