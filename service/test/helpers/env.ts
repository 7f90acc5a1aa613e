import { randomBytes } from 'node:crypto';
import { DeleteMessageCommand, SQSClient, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { migrateAll } from '../../src/db/migrate.js';
import type { Logger } from '../../src/log.js';
import { ApiService, WorkerService } from '../../src/runtime.js';
import { findPgUser, PG_DATABASE, PG_HOST, PG_PORT, REDIS_HOST, REDIS_PORT } from './servers.js';

// The emulator ignores credentials, but the SDK refuses to sign without some.
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export type RegionName = 'a' | 'b';
type Fauxqs = Awaited<ReturnType<typeof startFauxqs>>;

/** Logs stay quiet unless TEST_LOG_LEVEL is set (they then go to stderr, outside the TAP stream). */
export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent', base: undefined }, pino.destination(2));
}

export interface RunningApi {
  api: ApiService;
  url: string;
  /** EMF lines written by this instance. */
  metricLines: string[];
  stop(): Promise<void>;
}

export interface RunningWorker {
  worker: WorkerService;
  metricLines: string[];
  stop(): Promise<void>;
}

/**
 * Everything one test file needs against real servers: its own PostgreSQL schemas (one per
 * shard), its own Redis key prefix, and its own in-process SNS/SQS emulator with two
 * "regions" (a and b) whose topics fan out to each other's invalidation queues.
 */
export class TestEnv {
  readonly runId = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  readonly admin: pg.Pool;
  readonly redis: Redis;
  readonly sqs: SQSClient;
  private running = new Set<{ stop(): Promise<void> }>();

  private constructor(
    readonly pgUser: string,
    readonly shardCount: number,
    readonly fauxqs: Fauxqs,
    readonly queues: {
      work: { queueUrl: string; queueArn: string };
      workDlq: { queueUrl: string; queueArn: string };
      invA: { queueUrl: string };
      invB: { queueUrl: string };
      topicA: string;
      topicB: string;
    },
  ) {
    this.admin = new pg.Pool({ host: PG_HOST, port: PG_PORT, database: PG_DATABASE, user: pgUser, max: 3 });
    this.redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT, lazyConnect: false });
    this.sqs = new SQSClient({ region: 'us-east-1', endpoint: fauxqs.address, maxAttempts: 1 });
  }

  static async create(options: { shards?: number; maxReceiveCount?: number } = {}): Promise<TestEnv> {
    const user = await findPgUser();
    if (!user) throw new Error('no PostgreSQL user accepted');
    const fauxqs = await startFauxqs({ port: 0, logger: false, messageSpies: { bufferSize: 2000 } });
    const workDlq = fauxqs.createQueue('work-dlq');
    const work = fauxqs.createQueue('work', {
      attributes: {
        VisibilityTimeout: '1',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: workDlq.queueArn,
          maxReceiveCount: String(options.maxReceiveCount ?? 3),
        }),
      },
    });
    const topicA = fauxqs.createTopic('invalidation-a').topicArn;
    const topicB = fauxqs.createTopic('invalidation-b').topicArn;
    const invA = fauxqs.createQueue('invalidation-queue-a', { attributes: { VisibilityTimeout: '1' } });
    const invB = fauxqs.createQueue('invalidation-queue-b', { attributes: { VisibilityTimeout: '1' } });
    // Each region's queue gets the other region's events; a's queue also gets a's own, which
    // the consumer must ignore.
    fauxqs.subscribe({ topic: 'invalidation-a', queue: 'invalidation-queue-b' });
    fauxqs.subscribe({ topic: 'invalidation-b', queue: 'invalidation-queue-a' });
    fauxqs.subscribe({ topic: 'invalidation-a', queue: 'invalidation-queue-a' });
    const env = new TestEnv(user, options.shards ?? 2, fauxqs, { work, workDlq, invA, invB, topicA, topicB });
    await migrateAll(env.config('a'), testLogger());
    return env;
  }

  schema(index: number): string {
    return `${this.runId}_s${index}`;
  }

  shardMap(overrides: { port?: number; writerHost?: string } = {}): string {
    return JSON.stringify(
      Array.from({ length: this.shardCount }, (_, i) => ({
        name: `shard-${i}`,
        writerHost: overrides.writerHost ?? PG_HOST,
        readerHost: overrides.writerHost ?? PG_HOST,
        port: overrides.port ?? PG_PORT,
        database: PG_DATABASE,
        schema: this.schema(i),
      })),
    );
  }

  redisPrefix(region: RegionName): string {
    return `${this.runId}:${region}:`;
  }

  /** Environment of one region's service, as ECS would pass it, with test-friendly timings. */
  rawEnv(region: RegionName, overrides: Record<string, string> = {}): Record<string, string> {
    return {
      AWS_REGION: 'us-east-1',
      REGION: `region-${region}`,
      AWS_ENDPOINT_URL: this.fauxqs.address,
      SHARD_MAP: this.shardMap(),
      DB_USERNAME: this.pgUser,
      DB_SSL: 'disable',
      DB_POOL_MAX: '5',
      DB_CONNECT_TIMEOUT_MS: '1000',
      DB_STATEMENT_TIMEOUT_MS: '3000',
      REDIS_URL: `redis://${REDIS_HOST}:${REDIS_PORT}/0`,
      REDIS_KEY_PREFIX: this.redisPrefix(region),
      REDIS_CONNECT_TIMEOUT_MS: '500',
      SESSION_SECRET: 'test-secret-test-secret-test-secret-0123',
      COOKIE_SECURE: 'false',
      // Far above what a functional test sends from its one address; abuse.test.ts tests the limits.
      LOGIN_RATE_LIMIT_PER_MINUTE: '10000',
      JOBS_RATE_LIMIT_PER_MINUTE: '10000',
      WORK_QUEUE_URL: this.queues.work.queueUrl,
      WORK_DLQ_URL: this.queues.workDlq.queueUrl,
      INVALIDATION_TOPIC_ARN: region === 'a' ? this.queues.topicA : this.queues.topicB,
      INVALIDATION_QUEUE_URL: region === 'a' ? this.queues.invA.queueUrl : this.queues.invB.queueUrl,
      INVALIDATION_WAIT_SECONDS: '1',
      WORKER_WAIT_SECONDS: '1',
      OUTBOX_POLL_INTERVAL_MS: '100',
      OUTBOX_RETRY_BASE_MS: '100',
      OUTBOX_RETRY_MAX_MS: '400',
      METRICS_FLUSH_INTERVAL_MS: '600000',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      SHUTDOWN_TIMEOUT_MS: '10000',
      // Functional tests must not depend on idle CPUs: event-loop shedding stays off unless a
      // test turns it on (shedding.test.ts, with a stall it makes itself).
      MAX_EVENT_LOOP_DELAY_MS: '0',
      ...overrides,
    };
  }

  config(region: RegionName, overrides: Record<string, string> = {}): Config {
    return loadConfig(this.rawEnv(region, overrides));
  }

  async startApi(region: RegionName = 'a', overrides: Record<string, string> = {}): Promise<RunningApi> {
    const metricLines: string[] = [];
    const api = new ApiService(this.config(region, overrides), {
      log: testLogger(),
      metricsSink: (l) => metricLines.push(l),
    });
    const port = await api.start();
    const handle = {
      stop: async () => {
        if (this.running.delete(handle)) await api.stop();
      },
    };
    this.running.add(handle);
    return { api, url: `http://127.0.0.1:${port}`, metricLines, stop: handle.stop };
  }

  async startWorker(region: RegionName = 'a', overrides: Record<string, string> = {}): Promise<RunningWorker> {
    const metricLines: string[] = [];
    const worker = new WorkerService(this.config(region, overrides), {
      log: testLogger(),
      metricsSink: (l) => metricLines.push(l),
    });
    await worker.start();
    const handle = {
      stop: async () => {
        if (this.running.delete(handle)) await worker.stop();
      },
    };
    this.running.add(handle);
    return { worker, metricLines, stop: handle.stop };
  }

  /** Receives up to 10 messages (no delete) from a queue. */
  async receive(queueUrl: string, waitSeconds = 1): Promise<Message[]> {
    const res = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        WaitTimeSeconds: waitSeconds,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return res.Messages ?? [];
  }
  /** Receives from `queueUrl` (no delete) until at least `count` messages arrived, within `timeoutMs`. */
  async receiveAtLeast(queueUrl: string, count: number, timeoutMs: number): Promise<Message[]> {
    const received: Message[] = [];
    await eventually(async () => {
      received.push(...(await this.receive(queueUrl)));
      return received.length >= count;
    }, timeoutMs);
    return received;
  }
  /** Deletes `messages`, received from `queueUrl`, so that a later case counts only its own. */
  async remove(queueUrl: string, messages: readonly Message[]): Promise<void> {
    for (const m of messages) {
      await this.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle as string }));
    }
  }

  async cleanup(): Promise<void> {
    for (const r of [...this.running]) await r.stop();
    await this.fauxqs.stop();
    this.sqs.destroy();
    for (let i = 0; i < this.shardCount; i++)
      await this.admin.query(`DROP SCHEMA IF EXISTS "${this.schema(i)}" CASCADE`);
    await this.admin.end();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.runId}:*`, 'COUNT', 1000);
      if (keys.length > 0) await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await this.redis.quit();
  }
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 5000,
  intervalMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      last = new Error(`condition still false: ${String(v)}`);
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw last;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function parseEmf(lines: string[]): Array<
  Record<string, unknown> & {
    _aws: {
      Timestamp: number;
      CloudWatchMetrics: Array<{
        Namespace: string;
        Dimensions: string[][];
        Metrics: Array<{ Name: string; Unit: string }>;
      }>;
    };
  }
> {
  return lines.map((l) => JSON.parse(l));
}

/** Sum of a metric across EMF lines whose dimension values match `dims`. */
export function metricSum(lines: string[], name: string, dims: Record<string, string> = {}): number {
  let sum = 0;
  for (const doc of parseEmf(lines)) {
    if (!(name in doc)) continue;
    if (!Object.entries(dims).every(([k, v]) => doc[k] === v)) continue;
    const value = doc[name];
    if (typeof value === 'number') sum += value;
    else if (value && typeof value === 'object' && 'Counts' in value)
      sum += (value as { Counts: number[] }).Counts.reduce((a, b) => a + b, 0);
  }
  return sum;
}

export async function login(url: string, userId: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie');
  if (!setCookie) throw new Error('login set no cookie');
  return setCookie.split(';')[0] as string;
}

export async function putItem(
  url: string,
  cookie: string,
  id: string,
  body: Record<string, unknown>,
): Promise<Response> {
  return fetch(`${url}/api/items/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify(body),
  });
}

// Response bodies are asserted field by field, so an untyped view is the honest one.
export async function json(res: Response): Promise<any> {
  return res.json();
}
