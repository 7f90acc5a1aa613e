import type { ItemCache, Loaded } from '../cache/itemCache.js';
import type { Shard, ShardRouter } from '../db/shards.js';
import type { LocalInvalidationBus } from '../invalidation/bus.js';
import type { OutboxRelay } from '../invalidation/outboxRelay.js';
import type { Metrics } from '../metrics.js';
import { isProbeId } from '../probe/keys.js';
import {
  getItem,
  upsertItem,
  type InvalidationEvent,
  type Item,
  type ItemInput,
  type OutboxTarget,
} from './repository.js';

/** Item reads and writes with their cache and invalidation duties; shared by the api and the worker. */
export class ItemService {
  /** Database reads made on behalf of GET (cache misses that reached the database). */
  dbReads = 0;

  constructor(
    readonly router: ShardRouter,
    private readonly cache: ItemCache,
    private readonly bus: LocalInvalidationBus,
    private readonly relay: OutboxRelay | undefined,
    /** Set when cross-region invalidation is on (INVALIDATION_TOPIC_ARN). */
    readonly outbox: OutboxTarget,
    private readonly metrics: Metrics,
  ) {}

  /**
   * The item's JSON from the near-cache (null: known not to exist), or undefined when not
   * there; a copy near its expiry is refreshed in the background.
   */
  peek(id: string): string | null | undefined {
    return this.cache.peek(id, this.load);
  }

  /** Cache-aside read (near-cache, Redis, then the key's shard reader): item JSON or null. */
  read(id: string): Promise<string | null> {
    return this.cache.get(id, () => this.load(id));
  }

  /** A database read of `id` for the cache (an arrow: the near-cache hit path passes it without a closure). */
  private readonly load = async (id: string): Promise<Loaded> => {
    this.dbReads++;
    const item = await getItem(this.router.shardFor(id), id);
    return item ? { body: JSON.stringify(item), version: item.version } : { body: null, version: 0 };
  };

  async write(id: string, input: ItemInput, userId: string): Promise<Item> {
    const shard = this.router.shardFor(id);
    const item = await upsertItem(shard, id, input, userId, this.outbox);
    // The consistency probe's markers are not business writes.
    if (!isProbeId(id)) this.metrics.count('ItemsWritten');
    await this.afterCommit(shard, item);
    return item;
  }

  /** After a committed change: evict locally (Redis + every task's near-cache) and relay the event now. */
  async afterCommit(shard: Shard, item: Item): Promise<void> {
    this.relay?.kick(shard);
    await this.evict(item.id, item.version);
  }

  /** Applies another region's invalidation; false if Redis could not be updated (retry later). */
  evictRemote(event: InvalidationEvent): Promise<boolean> {
    return this.evict(event.key, event.version);
  }

  /**
   * Both commands leave in one auto-pipelined write and Redis runs them in order, so a task
   * that receives the eviction message already finds the Redis copy gone.
   */
  private async evict(id: string, version: number): Promise<boolean> {
    const [ok] = await Promise.all([this.cache.invalidate(id, version), this.bus.publish(id)]);
    return ok;
  }
}
