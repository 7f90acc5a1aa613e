import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { ThrottledLog, type Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { LuaScript } from './luaScript.js';
import { NearCache } from './nearCache.js';

/** A database read: the item's JSON (sent as is) or null for "not found", and its version (0 if none). */
export interface Loaded {
  body: string | null;
  version: number;
}

export interface ItemCacheOptions {
  prefix: string;
  ttlSeconds: number;
  negativeTtlSeconds: number;
  nearTtlMs: number;
  nearMaxEntries: number;
  lockTtlMs: number;
  lockWaitMs: number;
}

// Fill only while still holding the lock (an invalidation deletes it) and only if the row is not
// older than the fence left by the latest invalidation: a fill racing a write, or reading a
// replica that lags behind the event, cannot put an old version back.
const FILL = new LuaScript(
  `if redis.call('get', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('del', KEYS[2])
local fence = redis.call('get', KEYS[3])
if fence and tonumber(fence) > tonumber(ARGV[4]) then return -1 end
redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`,
  3,
);

const INVALIDATE = new LuaScript(
  `redis.call('del', KEYS[1], KEYS[2])
local fence = redis.call('get', KEYS[3])
if not fence or tonumber(fence) < tonumber(ARGV[1]) then
  redis.call('set', KEYS[3], ARGV[1], 'PX', ARGV[2])
end
return 1`,
  3,
);

const RELEASE = new LuaScript(
  `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`,
  1,
);

const POLL_MS = 20;

/** Redis value: "<expiresAtMs>|<json>", an empty json meaning "not found" (negative cache). */
function encode(expiresAt: number, body: string | null): string {
  return `${expiresAt}|${body ?? ''}`;
}

interface Entry {
  expiresAt: number;
  body: string | null;
}

function decode(raw: string): Entry {
  const sep = raw.indexOf('|');
  const body = raw.slice(sep + 1);
  return { expiresAt: Number(raw.slice(0, sep)), body: body === '' ? null : body };
}

/**
 * Cache-aside for items: near-cache → Redis → database, with stampede protection at two levels:
 * concurrent misses in one process share a single load, and across tasks a Redis lock lets one
 * task read the database while the others wait for its fill.
 */
export class ItemCache {
  readonly near: NearCache;
  /** Loads under way by key; `counted`: a read waits for it, so its outcome counts as a hit or miss. */
  private inflight = new Map<string, { promise: Promise<string | null>; counted: boolean }>();
  private throttled: ThrottledLog;
  // Plain counters on the hot path; turned into metrics at each flush.
  private nearHits = 0;
  private redisHits = 0;
  private misses = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: ItemCacheOptions,
    private readonly metrics: Metrics,
    log: Logger,
  ) {
    this.near = new NearCache(options.nearTtlMs, options.nearMaxEntries);
    this.throttled = new ThrottledLog(log);
    metrics.addCollector(() => {
      const hits = this.nearHits + this.redisHits;
      if (this.nearHits > 0) metrics.count('CacheHits', this.nearHits, { Tier: 'near' });
      if (this.redisHits > 0) metrics.count('CacheHits', this.redisHits, { Tier: 'redis' });
      if (this.misses > 0) metrics.count('CacheMisses', this.misses);
      if (hits + this.misses > 0) metrics.gauge('CacheHitRatio', (100 * hits) / (hits + this.misses));
      this.nearHits = 0;
      this.redisHits = 0;
      this.misses = 0;
    });
  }

  private keys(id: string): [string, string, string] {
    // The hash tag keeps an item's keys in one slot, as Lua scripts on a cluster require.
    const base = `${this.options.prefix}{item:${id}}`;
    return [base, `${base}:lock`, `${base}:fence`];
  }

  private redisFailed(err: unknown, op: string): void {
    this.metrics.count('DependencyErrors', 1, { Dependency: 'cache' });
    this.throttled.warn(`cache:${op}`, err, `cache ${op} failed; serving from the database`);
  }

  /**
   * The near-cache copy of `id` (null: cached "not found"), or undefined on a near miss. When
   * the copy nears its expiry and `load` is given, it is reloaded in the background through
   * Redis (refresh-ahead), so readers of a hot key do not all wait when it expires.
   */
  peek(id: string, load?: (id: string) => Promise<Loaded>): string | null | undefined {
    const now = Date.now();
    const near = this.near.get(id, now);
    if (near === undefined) return undefined;
    this.nearHits++;
    if (load !== undefined && this.near.dueForRefresh(near, now) && !this.inflight.has(id)) {
      // A failed refresh leaves the entry to expire; the next read then loads in the foreground
      // and answers the error itself.
      this.startLoad(id, () => load(id), false).catch(() => undefined);
    }
    return near.body;
  }

  /** `counted` is false for a refresh: not a read (its near hit was counted), until a read joins it. */
  private startLoad(id: string, load: () => Promise<Loaded>, counted = true): Promise<string | null> {
    const state = { promise: Promise.resolve<string | null>(null), counted };
    state.promise = this.loadThrough(id, load, state).finally(() => this.inflight.delete(id));
    this.inflight.set(id, state);
    return state.promise;
  }

  /** Returns the item JSON for `id` (null: not found), calling `load` at most once per cold key. */
  get(id: string, load: () => Promise<Loaded>): Promise<string | null> {
    const near = this.peek(id);
    if (near !== undefined) return Promise.resolve(near);
    const pending = this.inflight.get(id);
    if (pending === undefined) return this.startLoad(id, load);
    pending.counted = true;
    return pending.promise;
  }

  private async readRedis(key: string): Promise<{ ok: boolean; entry: Entry | null }> {
    try {
      const raw = await this.redis.get(key);
      const entry = raw === null ? null : decode(raw);
      // Redis starts the TTL when the fill runs, a round trip after expiresAt was computed: a
      // value past its expiresAt is a miss, so no copy is served after fill time + TTL.
      if (entry !== null && entry.expiresAt <= Date.now()) return { ok: true, entry: null };
      return { ok: true, entry };
    } catch (err) {
      this.redisFailed(err, 'read');
      return { ok: false, entry: null };
    }
  }

  private fromRedis(id: string, { expiresAt, body }: Entry, epoch: number, state: { counted: boolean }): string | null {
    this.near.set(id, body, Date.now(), expiresAt, epoch);
    if (state.counted) this.redisHits++;
    return body;
  }

  private async loadThrough(
    id: string,
    load: () => Promise<Loaded>,
    state: { counted: boolean },
  ): Promise<string | null> {
    const epoch = this.near.epoch;
    const [key, lockKey, fenceKey] = this.keys(id);
    const first = await this.readRedis(key);
    if (first.entry !== null) return this.fromRedis(id, first.entry, epoch, state);
    if (state.counted) this.misses++;
    if (!first.ok) return this.loadUncached(id, load, epoch);

    const token = randomBytes(12).toString('base64url');
    let locked = false;
    try {
      locked = (await this.redis.set(lockKey, token, 'PX', this.options.lockTtlMs, 'NX')) === 'OK';
    } catch (err) {
      this.redisFailed(err, 'lock');
      return this.loadUncached(id, load, epoch);
    }
    if (locked) return this.loadAndFill(id, load, [key, lockKey, fenceKey], token, epoch);

    // Another task is loading this key: wait for its fill rather than hitting the database too.
    const deadline = Date.now() + this.options.lockWaitMs;
    while (Date.now() < deadline) {
      await sleep(POLL_MS);
      const again = await this.readRedis(key);
      if (again.entry !== null) return this.fromRedis(id, again.entry, epoch, state);
      if (!again.ok) break;
    }
    return this.loadUncached(id, load, epoch);
  }

  private async loadAndFill(
    id: string,
    load: () => Promise<Loaded>,
    keys: [string, string, string],
    token: string,
    epoch: number,
  ): Promise<string | null> {
    let loaded: Loaded;
    try {
      loaded = await load();
    } catch (err) {
      RELEASE.run(this.redis, keys[1], token).catch((e: unknown) => this.redisFailed(e, 'unlock'));
      throw err;
    }
    const now = Date.now();
    const ttlMs = 1000 * (loaded.body === null ? this.options.negativeTtlSeconds : this.options.ttlSeconds);
    const expiresAt = now + ttlMs;
    try {
      const filled = await FILL.run(this.redis, ...keys, token, encode(expiresAt, loaded.body), ttlMs, loaded.version);
      // 0: an invalidation took the lock meanwhile; -1: the row is older than the fence. Either
      // way the value may be stale, so it is returned to this request but cached nowhere.
      if (filled === 1) this.near.set(id, loaded.body, now, expiresAt, epoch);
    } catch (err) {
      this.redisFailed(err, 'fill');
      this.near.set(id, loaded.body, now, Infinity, epoch);
    }
    return loaded.body;
  }

  /** Redis unavailable (or the lock holder too slow): read the database; only the near-cache keeps it. */
  private async loadUncached(id: string, load: () => Promise<Loaded>, epoch: number): Promise<string | null> {
    const loaded = await load();
    this.near.set(id, loaded.body, Date.now(), Infinity, epoch);
    return loaded.body;
  }

  /**
   * Evicts `id` from Redis and this process's near-cache, and fences versions older than
   * `version` out of Redis for a TTL. Failures are logged, not thrown: the change is already
   * committed and the TTL bounds any staleness left behind.
   */
  async invalidate(id: string, version: number): Promise<boolean> {
    this.near.delete(id);
    try {
      await INVALIDATE.run(this.redis, ...this.keys(id), version, this.options.ttlSeconds * 1000);
      return true;
    } catch (err) {
      this.redisFailed(err, 'invalidate');
      return false;
    }
  }
}
