import type { Redis } from 'ioredis';
import { waitReady } from '../cache/redis.js';
import { ThrottledLog, type Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

/**
 * Region-local fan-out over Redis pub/sub: every task of the region evicts its near-cache
 * when any task writes or applies a remote invalidation. Best effort by design; a missed
 * message leaves a near entry stale for at most the near-cache TTL.
 */
export class LocalInvalidationBus {
  private throttled: ThrottledLog;
  private onMessage = (channel: string, key: string) => {
    if (channel === this.channel) this.evict(key);
  };

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly evict: (key: string) => void,
    log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.throttled = new ThrottledLog(log);
  }

  /**
   * Subscribes once the connection is ready (subscribing earlier breaks ioredis's ready
   * check); ioredis re-subscribes by itself after reconnects. Resolves true once subscribed,
   * false if Redis is not reachable within `timeoutMs` (the subscription then happens later).
   */
  async start(timeoutMs: number): Promise<boolean> {
    this.subscriber.on('message', this.onMessage);
    const subscribe = () => this.subscriber.subscribe(this.channel);
    if (!(await waitReady(this.subscriber, timeoutMs))) {
      this.subscriber.once('ready', () => {
        subscribe().catch((err: unknown) => this.failed(err, 'subscribe'));
      });
      return false;
    }
    try {
      await subscribe();
      return true;
    } catch (err) {
      this.failed(err, 'subscribe');
      return false;
    }
  }

  async publish(key: string): Promise<void> {
    try {
      await this.publisher.publish(this.channel, key);
    } catch (err) {
      this.failed(err, 'publish');
    }
  }

  private failed(err: unknown, op: string): void {
    this.metrics.count('DependencyErrors', 1, { Dependency: 'cache' });
    this.throttled.warn(`bus:${op}`, err, `near-cache invalidation ${op} failed`);
  }

  stop(): void {
    this.subscriber.off('message', this.onMessage);
  }
}
