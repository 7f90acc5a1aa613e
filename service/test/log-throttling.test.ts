import assert from 'node:assert/strict';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ApiService, WorkerService } from '../src/runtime.js';
import { eventually, metricSum, TestEnv } from './helpers/env.js';
import { closedPort, TcpProxy } from './helpers/proxy.js';
import { integrationSkip, PG_HOST, PG_PORT } from './helpers/servers.js';

const skip = await integrationSkip();

/** A logger that keeps its lines, parsed, for the test to count. */
function capturingLogger() {
  const lines: Array<{ level: string | number; msg: string; suppressed?: number }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { log: pino({ level: 'warn', base: undefined }, stream), lines };
}

describe('repeated warnings are throttled', { skip }, () => {
  let env: TestEnv;

  before(async () => {
    env = await TestEnv.create();
  });
  after(async () => {
    await env.cleanup();
  });

  it('a database outage logs one line per shard and interval, not one per idle connection', async () => {
    const proxy = await TcpProxy.start(PG_HOST, PG_PORT);
    const { log, lines } = capturingLogger();
    const api = new ApiService(
      env.config('a', {
        SHARD_MAP: env.shardMap({ port: proxy.port }),
        INVALIDATION_TOPIC_ARN: '',
        INVALIDATION_QUEUE_URL: '',
      }),
      {
        log,
        metricsSink: () => {},
      },
    );
    try {
      await api.start();
      let poolErrors = 0;
      for (const shard of api.core.router.shards) {
        for (const pool of [shard.writer, shard.reader]) {
          pool.on('error', () => poolErrors++);
          // Five connections at once, then idle in the pool.
          await Promise.all(Array.from({ length: 5 }, () => pool.query('SELECT pg_sleep(0.05)')));
          assert.equal(pool.idleCount, 5);
        }
      }
      proxy.cut();
      await eventually(() => poolErrors === 20, 5000);
      const warned = lines.filter((l) => l.msg === 'idle database connection failed');
      assert.ok(warned.length >= 1, 'the outage is logged');
      assert.ok(warned.length <= env.shardCount, `${warned.length} lines for ${poolErrors} failed idle connections`);
    } finally {
      await api.stop();
      await proxy.close();
    }
  });

  it('a worker whose database is down logs one line per cause and interval, not one per message', async () => {
    const { log, lines } = capturingLogger();
    const metricLines: string[] = [];
    // No relay: its backlog gauge would fail every flush while the database is down.
    const config = env.config('a', {
      SHARD_MAP: env.shardMap({ port: await closedPort() }),
      INVALIDATION_TOPIC_ARN: '',
      INVALIDATION_QUEUE_URL: '',
    });
    const worker = new WorkerService(config, { log, metricsSink: (l) => metricLines.push(l) });
    let stopped = false;
    try {
      for (let i = 0; i < 10; i++) {
        const body = JSON.stringify({
          id: `outage-${i}`,
          type: 'item.increment',
          itemId: `o-${i}`,
          by: 1,
          enqueuedAt: new Date().toISOString(),
        });
        await env.sqs.send(new SendMessageCommand({ QueueUrl: env.queues.work.queueUrl, MessageBody: body }));
      }
      await worker.start();
      await eventually(
        async () => {
          await worker.core.metrics.flush();
          return metricSum(metricLines, 'JobsProcessed', { Outcome: 'failed' }) >= 10;
        },
        10000,
        100,
      );
      await worker.stop();
      stopped = true;
      const failures = metricSum(metricLines, 'JobsProcessed', { Outcome: 'failed' });
      const warned = lines.filter((l) => l.msg === 'message handling failed; it will be retried');
      assert.ok(warned.length >= 1, 'the failures are logged');
      assert.ok(warned.length < failures / 2, `${warned.length} lines for ${failures} failed messages`);
      assert.ok(
        warned.every((l) => l.level === 40),
        "a dependency failure is a warning: the dependency's own alarm pages",
      );
    } finally {
      if (!stopped) await worker.stop();
    }
  });
});
