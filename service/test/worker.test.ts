import assert from 'node:assert/strict';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { after, before, describe, it } from 'node:test';
import {
  eventually,
  json,
  login,
  metricSum,
  putItem,
  TestEnv,
  type RunningApi,
  type RunningWorker,
} from './helpers/env.js';
import { TcpProxy } from './helpers/proxy.js';
import { integrationSkip, PG_HOST, PG_PORT } from './helpers/servers.js';
import { shardIndexFor } from '../src/db/routing.js';

const skip = await integrationSkip();

describe('work queue and worker', { skip }, () => {
  let env: TestEnv;
  let api: RunningApi;
  let worker: RunningWorker;
  let cookie: string;

  const item = async (id: string) => json(await fetch(`${api.url}/api/items/${id}`));
  const enqueue = (body: Record<string, unknown>, as = cookie) =>
    fetch(`${api.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: as },
      body: JSON.stringify(body),
    });

  before(async () => {
    env = await TestEnv.create({ maxReceiveCount: 3 });
    // Functional test: no event-loop shedding on a busy machine (shedding.test.ts covers it).
    api = await env.startApi('a', { NEAR_CACHE_TTL_MS: '60000', MAX_EVENT_LOOP_DELAY_MS: '0' });
    cookie = await login(api.url, 'jobs');
  });
  after(async () => {
    await env.cleanup();
  });

  it('POST /api/jobs enqueues a job message', async () => {
    const res = await enqueue({ type: 'item.increment', itemId: 'j-0', by: 2, idempotencyKey: 'enqueue-only' });
    assert.equal(res.status, 202);
    assert.equal((await json(res)).jobId, 'enqueue-only');
    const [message] = await env.receive(env.queues.work.queueUrl);
    assert.ok(message);
    const body = JSON.parse(message.Body ?? '');
    assert.deepEqual(
      { ...body, enqueuedAt: undefined },
      { id: 'enqueue-only', type: 'item.increment', itemId: 'j-0', by: 2, userId: 'jobs', enqueuedAt: undefined },
    );
    assert.equal((await enqueue({ type: 'nope' })).status, 400);
    // Purge it: the worker tests below start from an empty queue.
    env.fauxqs.reset();
  });

  it('processes a job, deletes it, and evicts the cached item everywhere', async () => {
    env.fauxqs.spy.clear();
    assert.equal((await putItem(api.url, cookie, 'j-1', { name: 'counted' })).status, 200);
    assert.equal((await item('j-1')).counter, 0, 'cached with counter 0 (near TTL 60 s)');
    worker = await env.startWorker('a');
    assert.equal((await enqueue({ type: 'item.increment', itemId: 'j-1', by: 5 })).status, 202);
    await eventually(async () => (await item('j-1')).counter === 5, 5000);
    await env.fauxqs.spy.waitForMessage({ service: 'sqs', queueName: 'work' }, 'consumed', 2000);
  });

  it('is idempotent: the same dedupe key is applied once however often it is delivered', async () => {
    env.fauxqs.spy.clear();
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await enqueue({ type: 'item.increment', itemId: 'j-1', by: 10, idempotencyKey: 'pay-42' })).status,
        202,
      );
    }
    await env.fauxqs.spy.waitForMessages(
      { service: 'sqs', queueName: 'work' },
      { count: 3, status: 'consumed', timeout: 5000 },
    );
    await eventually(async () => (await item('j-1')).counter === 15, 3000);
    await worker.worker.core.metrics.flush();
    assert.equal(metricSum(worker.metricLines, 'JobsProcessed', { Outcome: 'succeeded' }), 2);
    assert.equal(metricSum(worker.metricLines, 'JobsProcessed', { Outcome: 'duplicate' }), 2);
    const { rows } = await env.admin.query(
      `SELECT job_id FROM "${env.schema(0)}".processed_jobs UNION ALL SELECT job_id FROM "${env.schema(1)}".processed_jobs`,
    );
    assert.equal(rows.filter((r) => r.job_id === 'pay-42').length, 1);
  });

  it('scopes the dedupe key to the item: one idempotencyKey for two items on the same shard applies to both', async () => {
    env.fauxqs.spy.clear();
    // Two ids the jump hash puts on the same shard, so they share one processed_jobs table.
    const first = 'scope-0';
    const second = Array.from({ length: 50 }, (_, i) => `scope-${i + 1}`).find(
      (id) => shardIndexFor(id, env.shardCount) === shardIndexFor(first, env.shardCount),
    ) as string;
    for (const id of [first, second]) assert.equal((await putItem(api.url, cookie, id, { name: id })).status, 200);
    for (const id of [first, second]) {
      assert.equal(
        (await enqueue({ type: 'item.increment', itemId: id, by: 7, idempotencyKey: 'same-key' })).status,
        202,
      );
    }
    await env.fauxqs.spy.waitForMessages(
      { service: 'sqs', queueName: 'work' },
      { count: 2, status: 'consumed', timeout: 5000 },
    );
    await eventually(async () => (await item(first)).counter === 7 && (await item(second)).counter === 7, 3000);
  });

  it('scopes the dedupe key to the user: one idempotencyKey from two users for one item applies both', async () => {
    env.fauxqs.spy.clear();
    const other = await login(api.url, 'jobs-other');
    assert.equal(
      (await enqueue({ type: 'item.increment', itemId: 'scope-0', by: 1, idempotencyKey: 'per-user' })).status,
      202,
    );
    assert.equal(
      (await enqueue({ type: 'item.increment', itemId: 'scope-0', by: 1, idempotencyKey: 'per-user' }, other)).status,
      202,
    );
    await env.fauxqs.spy.waitForMessages(
      { service: 'sqs', queueName: 'work' },
      { count: 2, status: 'consumed', timeout: 5000 },
    );
    await eventually(async () => (await item('scope-0')).counter === 9, 3000);
  });

  it('a dedupe key stored before the key was scoped still counts as taken for every item', async () => {
    env.fauxqs.spy.clear();
    const shard = shardIndexFor('scope-0', env.shardCount);
    // What migration 004 leaves of a row written by the unscoped worker.
    await env.admin.query(`INSERT INTO "${env.schema(shard)}".processed_jobs (job_id) VALUES ('before-upgrade')`);
    assert.equal(
      (await enqueue({ type: 'item.increment', itemId: 'scope-0', by: 1, idempotencyKey: 'before-upgrade' })).status,
      202,
    );
    await env.fauxqs.spy.waitForMessage({ service: 'sqs', queueName: 'work' }, 'consumed', 5000);
    assert.equal((await item('scope-0')).counter, 9, 'treated as a duplicate');
  });

  it('moves a message that can never succeed (not JSON, not a job) to the DLQ at once, without a retry', async () => {
    env.fauxqs.spy.clear();
    const failedBefore = metricSum(worker.metricLines, 'JobsProcessed', { Outcome: 'failed' });
    await env.sqs.send(new SendMessageCommand({ QueueUrl: env.queues.work.queueUrl, MessageBody: 'not json' }));
    await env.sqs.send(
      new SendMessageCommand({
        QueueUrl: env.queues.work.queueUrl,
        MessageBody: '{"type":"item.decrement","itemId":"j-1"}',
      }),
    );
    const dead = await env.receiveAtLeast(env.queues.workDlq.queueUrl, 2, 10000);
    assert.deepEqual(dead.map((m) => m.Body).sort(), ['not json', '{"type":"item.decrement","itemId":"j-1"}']);
    const reasons = dead.map((m) => m.MessageAttributes?.DeadLetterReason?.StringValue ?? '').sort();
    assert.match(reasons[0] ?? '', /^not JSON/);
    assert.match(reasons[1] ?? '', /^not a job/);
    assert.ok(
      dead.every((m) => m.MessageAttributes?.SourceMessageId?.StringValue),
      'the source message id travels along',
    );
    await eventually(() => env.fauxqs.inspectQueue('work')?.messages.inflight.length === 0, 3000);
    await worker.worker.core.metrics.flush();
    assert.equal(metricSum(worker.metricLines, 'JobsProcessed', { Outcome: 'dead_lettered' }), 2);
    assert.equal(
      metricSum(worker.metricLines, 'JobsProcessed', { Outcome: 'failed' }) - failedBefore,
      0,
      'received once, not retried',
    );
    // Purge the DLQ copies: the next case counts what reaches it.
    await env.remove(env.queues.workDlq.queueUrl, dead);
  });

  it('dead-letters at once a job the database refuses for good (a counter beyond the bigint range)', async () => {
    env.fauxqs.spy.clear();
    assert.equal((await putItem(api.url, cookie, 'j-max', { name: 'at the top' })).status, 200);
    await env.admin.query(
      `UPDATE "${env.schema(shardIndexFor('j-max', env.shardCount))}".items SET counter = 9223372036854775807 WHERE id = 'j-max'`,
    );
    const failedBefore = metricSum(worker.metricLines, 'JobsProcessed', { Outcome: 'failed' });
    assert.equal(
      (await enqueue({ type: 'item.increment', itemId: 'j-max', by: 1, idempotencyKey: 'overflow' })).status,
      202,
    );
    const dead = await env.receiveAtLeast(env.queues.workDlq.queueUrl, 1, 10000);
    assert.equal(JSON.parse(dead[0]?.Body ?? '').id, 'overflow');
    assert.match(dead[0]?.MessageAttributes?.DeadLetterReason?.StringValue ?? '', /out of range/);
    await worker.worker.core.metrics.flush();
    assert.equal(
      metricSum(worker.metricLines, 'JobsProcessed', { Outcome: 'failed' }) - failedBefore,
      0,
      'not retried',
    );
    await env.remove(env.queues.workDlq.queueUrl, dead);
  });

  it('retries a job that may still succeed (its item is missing) and leaves it to the redrive policy after maxReceiveCount attempts', async () => {
    env.fauxqs.spy.clear();
    const failedBefore = metricSum(worker.metricLines, 'JobsProcessed', { Outcome: 'failed' });
    assert.equal(
      (await enqueue({ type: 'item.increment', itemId: 'no-such-item', by: 1, idempotencyKey: 'ghost' })).status,
      202,
    );
    // Visibility timeout is 1 s: three receives take about three seconds.
    await env.fauxqs.spy.waitForMessages(
      { service: 'sqs', queueName: 'work' },
      { count: 1, status: 'dlq', timeout: 10000 },
    );
    const dead = await env.receive(env.queues.workDlq.queueUrl);
    assert.deepEqual(
      dead.map((m) => JSON.parse(m.Body ?? '').id),
      ['ghost'],
    );
    await worker.worker.core.metrics.flush();
    assert.equal(
      metricSum(worker.metricLines, 'JobsProcessed', { Outcome: 'failed' }) - failedBefore,
      3,
      'failed maxReceiveCount = 3 times',
    );
    const { rows } = await env.admin.query(
      `SELECT job_id FROM "${env.schema(0)}".processed_jobs WHERE job_id = 'ghost' UNION ALL SELECT job_id FROM "${env.schema(1)}".processed_jobs WHERE job_id = 'ghost'`,
    );
    assert.equal(rows.length, 0, 'a failed job leaves no dedupe key behind');
  });

  it('on stop, stops polling but finishes the job in hand (and deletes it)', async () => {
    await worker.stop();
    // A slow database path keeps the job in flight long enough to stop the worker mid-job.
    const slowDb = await TcpProxy.start(PG_HOST, PG_PORT);
    slowDb.delayMs = 150;
    const slow = await env.startWorker('a', { SHARD_MAP: env.shardMap({ port: slowDb.port }) });
    try {
      env.fauxqs.spy.clear();
      assert.equal(
        (await enqueue({ type: 'item.increment', itemId: 'j-1', by: 100, idempotencyKey: 'in-hand' })).status,
        202,
      );
      await eventually(() => slow.worker.poller.handling === 1, 3000, 5);
      await slow.stop();
      const { rows } = await env.admin.query(
        `SELECT counter FROM "${env.schema(0)}".items WHERE id = 'j-1' UNION ALL SELECT counter FROM "${env.schema(1)}".items WHERE id = 'j-1'`,
      );
      assert.equal(Number(rows[0].counter), 115, 'the job in hand committed before stop() resolved');
      await env.fauxqs.spy.waitForMessage({ service: 'sqs', queueName: 'work', status: 'consumed' }, 'consumed', 100);
      assert.equal(env.fauxqs.inspectQueue('work')?.messages.ready.length, 0);
    } finally {
      await slowDb.close();
    }
  });
  it('keeps a poison message the dead-letter queue refuses: the redrive policy moves it later, nothing is lost', async () => {
    // The worker of the earlier cases has stopped; this one names a DLQ that does not exist.
    const refusing = await env.startWorker('a', { WORK_DLQ_URL: `${env.fauxqs.address}/000000000000/no-such-dlq` });
    try {
      env.fauxqs.spy.clear();
      await env.sqs.send(new SendMessageCommand({ QueueUrl: env.queues.work.queueUrl, MessageBody: 'still not json' }));
      await env.fauxqs.spy.waitForMessages(
        { service: 'sqs', queueName: 'work' },
        { count: 1, status: 'dlq', timeout: 10000 },
      );
      const dead = await env.receive(env.queues.workDlq.queueUrl);
      assert.deepEqual(
        dead.map((m) => m.Body),
        ['still not json'],
      );
      await refusing.worker.core.metrics.flush();
      assert.equal(
        metricSum(refusing.metricLines, 'JobsProcessed', { Outcome: 'failed' }),
        3,
        'kept on each of maxReceiveCount = 3 receives',
      );
      assert.equal(metricSum(refusing.metricLines, 'JobsProcessed', { Outcome: 'dead_lettered' }), 0);
    } finally {
      await refusing.stop();
    }
  });
});
