import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { ItemCache } from './cache/itemCache.js';
import { closeRedis, createRedis, waitReady } from './cache/redis.js';
import type { Config } from './config.js';
import { migrateAll } from './db/migrate.js';
import { ShardRouter } from './db/shards.js';
import { Readiness } from './health.js';
import { LocalInvalidationBus } from './invalidation/bus.js';
import { createInvalidationConsumer } from './invalidation/consumer.js';
import { OutboxRelay } from './invalidation/outboxRelay.js';
import { ItemService } from './items/service.js';
import { createJobHandler, pruneProcessedJobs } from './jobs/processor.js';
import { createLogger, type Logger } from './log.js';
import { Metrics, stdoutSink, type MetricsSink } from './metrics.js';
import { createSnsClient, createSqsClient } from './queue/aws.js';
import { QueuePoller } from './queue/poller.js';
import { buildServer, type ApiServer } from './server.js';
import { ActiveUsers, SessionStore } from './sessions.js';
import { LoadShedder } from './shedding.js';

export interface RuntimeOptions {
  log?: Logger;
  metricsSink?: MetricsSink;
}

interface CoreOptions extends RuntimeOptions {
  /** Receive near-cache evictions: only processes that serve reads need them. */
  subscribe: boolean;
}

/** What the api and the worker share: pools, Redis, caches, invalidation publishing, metrics. */
class Core {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly router: ShardRouter;
  readonly redis: Redis;
  readonly subscriber: Redis;
  readonly cache: ItemCache;
  readonly bus: LocalInvalidationBus;
  readonly sns: SNSClient | undefined;
  readonly relay: OutboxRelay | undefined;
  readonly items: ItemService;

  constructor(
    readonly config: Config,
    private readonly options: CoreOptions,
  ) {
    this.log = options.log ?? createLogger(config.LOG_LEVEL, config.SERVICE_NAME);
    this.metrics = new Metrics(config.METRICS_NAMESPACE, config.SERVICE_NAME, options.metricsSink ?? stdoutSink);
    this.router = new ShardRouter(config, this.log, this.metrics);
    this.redis = createRedis(config, this.log, 'commands');
    this.subscriber = createRedis(config, this.log, 'subscriber');
    this.cache = new ItemCache(
      this.redis,
      {
        prefix: config.REDIS_KEY_PREFIX,
        ttlSeconds: config.CACHE_TTL_SECONDS,
        negativeTtlSeconds: config.NEGATIVE_CACHE_TTL_SECONDS,
        nearTtlMs: config.NEAR_CACHE_TTL_MS,
        nearMaxEntries: config.NEAR_CACHE_MAX_ENTRIES,
        lockTtlMs: config.CACHE_LOCK_TTL_MS,
        lockWaitMs: config.CACHE_LOCK_WAIT_MS,
      },
      this.metrics,
      this.log,
    );
    this.bus = new LocalInvalidationBus(
      this.redis,
      this.subscriber,
      `${config.REDIS_KEY_PREFIX}invalidate`,
      (key) => this.cache.near.delete(key),
      this.log,
      this.metrics,
    );
    const topicArn = config.INVALIDATION_TOPIC_ARN;
    if (topicArn) {
      this.sns = createSnsClient(config, { requestTimeoutMs: 3000, maxAttempts: 2 });
      this.relay = new OutboxRelay(
        this.router.shards,
        this.sns,
        {
          topicArn,
          region: config.REGION,
          pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
          batchSize: config.OUTBOX_BATCH_SIZE,
          retryBaseMs: config.OUTBOX_RETRY_BASE_MS,
          retryMaxMs: config.OUTBOX_RETRY_MAX_MS,
        },
        this.log,
        this.metrics,
      );
    }
    this.items = new ItemService(
      this.router,
      this.cache,
      this.bus,
      this.relay,
      topicArn ? { region: config.REGION } : undefined,
      this.metrics,
    );
  }

  async prepare(): Promise<void> {
    if (this.config.MIGRATE_ON_START) await migrateAll(this.config, this.log);
    // Start even without Redis: reads fall back to the database; readiness answers 503 until it is back.
    // Subscribing before serving means this task never misses a near-cache eviction.
    const [ready, subscribed] = await Promise.all([
      waitReady(this.redis, this.config.REDIS_CONNECT_TIMEOUT_MS),
      this.options.subscribe ? this.bus.start(this.config.REDIS_CONNECT_TIMEOUT_MS) : true,
    ]);
    if (!ready || !subscribed)
      this.log.warn('redis not reachable at start-up; serving reads from the database, not ready until it is back');
  }

  startBackground(): void {
    this.relay?.start();
    this.metrics.start(this.config.METRICS_FLUSH_INTERVAL_MS, (err) =>
      this.log.warn({ err }, 'metrics flush incomplete'),
    );
  }

  async close(): Promise<void> {
    await this.relay?.stop();
    this.bus.stop();
    await this.metrics.stop().catch((err: unknown) => this.log.warn({ err }, 'final metrics flush incomplete'));
    await Promise.all([closeRedis(this.redis), closeRedis(this.subscriber), this.router.close()]);
    this.sns?.destroy();
  }
}

/** The HTTP api: routes, load shedding, invalidation consumer and outbox relay. */
export class ApiService {
  readonly core: Core;
  readonly app: ApiServer;
  readonly shedder: LoadShedder;
  readonly readiness: Readiness;
  readonly sqs: SQSClient;
  readonly consumer: QueuePoller | undefined;
  private pollSqs: SQSClient | undefined;

  constructor(config: Config, options: RuntimeOptions = {}) {
    this.core = new Core(config, { ...options, subscribe: true });
    const { log, metrics } = this.core;
    this.sqs = createSqsClient(config, { requestTimeoutMs: 3000, maxAttempts: 2 });
    this.shedder = new LoadShedder(
      {
        maxInFlight: config.MAX_IN_FLIGHT,
        maxEventLoopDelayMs: config.MAX_EVENT_LOOP_DELAY_MS,
        sampleIntervalMs: config.SHED_SAMPLE_INTERVAL_MS,
        retryAfterSeconds: config.SHED_RETRY_AFTER_SECONDS,
      },
      metrics,
    );
    this.readiness = new Readiness(this.core.router, this.core.redis, {
      timeoutMs: config.READY_TIMEOUT_MS,
      cacheMs: config.READINESS_CACHE_MS,
      log,
    });
    const activeUsers = new ActiveUsers(this.core.redis, config.REDIS_KEY_PREFIX, metrics, log);
    metrics.addCollector(async () => {
      metrics.gauge('DailyActiveUsers', await activeUsers.count());
      metrics.gauge('ReturningUsers7d', await activeUsers.returning());
    });
    if (config.INVALIDATION_QUEUE_URL) {
      // Long polls need a request timeout above the wait time.
      this.pollSqs = createSqsClient(config, {
        requestTimeoutMs: (config.INVALIDATION_WAIT_SECONDS + 5) * 1000,
        maxAttempts: 1,
      });
      this.consumer = createInvalidationConsumer(
        this.pollSqs,
        {
          queueUrl: config.INVALIDATION_QUEUE_URL,
          region: config.REGION,
          waitSeconds: config.INVALIDATION_WAIT_SECONDS,
          evict: (event) => this.core.items.evictRemote(event),
        },
        log,
        metrics,
      );
    }
    this.app = buildServer({
      config,
      log,
      metrics,
      items: this.core.items,
      sessions: new SessionStore(
        this.core.redis,
        config.REDIS_KEY_PREFIX,
        config.SESSION_TTL_SECONDS,
        config.SESSION_MAX_PER_USER,
      ),
      redis: this.core.redis,
      activeUsers,
      sqs: this.sqs,
      readiness: this.readiness,
      shedder: this.shedder,
    });
  }

  get config(): Config {
    return this.core.config;
  }

  /** Migrates (if configured), listens, then starts the background loops. Returns the bound port. */
  async start(): Promise<number> {
    await this.core.prepare();
    await this.app.listen({ port: this.config.PORT, host: this.config.HOST });
    this.shedder.start();
    this.core.startBackground();
    this.consumer?.start();
    const address = this.app.server.address();
    const port = typeof address === 'object' && address ? address.port : this.config.PORT;
    this.core.log.info({ port, region: this.config.REGION, shards: this.core.router.shards.length }, 'api listening');
    return port;
  }

  /**
   * Graceful stop: fail readiness, stop consuming, stop accepting, let in-flight requests
   * finish, then close pools. The caller bounds the whole sequence with SHUTDOWN_TIMEOUT_MS.
   */
  async stop(): Promise<void> {
    this.readiness.draining = true;
    this.shedder.closing = true;
    const consumerStopped = this.consumer?.stop();
    const closing = this.app.close();
    // Keep-alive sockets that finish a request after close() began would otherwise stay open
    // until their idle timeout: close them once nothing is in flight.
    while (this.shedder.inFlight > 0) await sleep(20);
    this.app.server.closeAllConnections();
    await closing;
    await consumerStopped;
    this.shedder.stop();
    await this.core.close();
    this.sqs.destroy();
    this.pollSqs?.destroy();
    this.core.log.info('api stopped');
  }
}

/** The queue worker: long-polls WORK_QUEUE_URL and processes jobs idempotently. */
export class WorkerService {
  readonly core: Core;
  readonly poller: QueuePoller;
  private sqs: SQSClient;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(config: Config, options: RuntimeOptions = {}) {
    this.core = new Core(config, { ...options, subscribe: false });
    this.sqs = createSqsClient(config, { requestTimeoutMs: (config.WORKER_WAIT_SECONDS + 5) * 1000, maxAttempts: 1 });
    this.poller = new QueuePoller(
      this.sqs,
      {
        name: 'work',
        queueUrl: config.WORK_QUEUE_URL,
        waitSeconds: config.WORKER_WAIT_SECONDS,
        batchSize: config.WORKER_BATCH_SIZE,
        handle: createJobHandler(this.core.items, this.core.log, this.core.metrics),
        deadLetterQueueUrl: config.WORK_DLQ_URL,
        onPoison: (_message, deadLettered) =>
          this.core.metrics.count('JobsProcessed', 1, { Outcome: deadLettered ? 'dead_lettered' : 'failed' }),
      },
      this.core.log,
      this.core.metrics,
    );
  }

  async start(): Promise<void> {
    await this.core.prepare();
    this.core.startBackground();
    this.poller.start();
    this.pruneTimer = setInterval(() => void this.prune(), 3600_000);
    this.pruneTimer.unref();
    void this.prune();
    this.core.log.info({ queue: this.core.config.WORK_QUEUE_URL }, 'worker polling');
  }

  private async prune(): Promise<void> {
    try {
      const removed = await pruneProcessedJobs(this.core.items, this.core.config.JOB_DEDUPE_RETENTION_DAYS);
      if (removed > 0) this.core.log.info({ removed }, 'pruned old job dedupe keys');
    } catch (err) {
      this.core.log.warn({ err }, 'pruning job dedupe keys failed; will retry in an hour');
    }
  }

  /** Stops polling, finishes the jobs already received, then closes pools. */
  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.poller.stop();
    await this.core.close();
    this.sqs.destroy();
    this.core.log.info('worker stopped');
  }
}
