interface Entry {
  expiresAt: number;
  /** From then on, a read of the entry asks for a refresh (refresh-ahead); see `dueForRefresh`. */
  refreshAt: number;
  body: string | null;
}

/** Share of an entry's lifetime after which reads ask for a refresh. */
const REFRESH_AFTER = 0.75;

/**
 * In-process cache in front of Redis with a short TTL. It is what lets a cached read cost no
 * network round trip; staleness is bounded by its TTL, and entries are also evicted by
 * invalidation messages on the region's Redis channel.
 *
 * Refresh-ahead: a read in the last quarter of an entry's life still gets the entry, and tells
 * the caller to reload it in the background, so a hot key never makes its readers wait for a
 * round trip when it expires. The refreshed copy replaces the entry only through `set` (the
 * same epoch rule), and no entry is served past its `expiresAt`: the bound does not change.
 */
export class NearCache {
  private entries = new Map<string, Entry>();
  /** Bumped by every eviction: a load that started before one must not store what it read. */
  epoch = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /**
   * Stores `body` until min(now + TTL, `notAfter`), so a near entry never outlives its Redis
   * copy. Skipped when an eviction happened since `startEpoch`: the value may predate it.
   */
  set(key: string, body: string | null, now: number, notAfter: number, startEpoch: number): void {
    if (this.ttlMs === 0 || startEpoch !== this.epoch) return;
    const expiresAt = Math.min(now + this.ttlMs, notAfter);
    if (expiresAt <= now) return;
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: dropping the first key evicts the oldest entry.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { expiresAt, refreshAt: now + REFRESH_AFTER * (expiresAt - now), body });
  }

  /**
   * Whether a read at `now` should reload `e`; true once per entry (the caller's load replaces
   * it, or the entry expires), so concurrent readers start one refresh between them.
   */
  dueForRefresh(e: Entry, now: number): boolean {
    if (now < e.refreshAt) return false;
    e.refreshAt = Infinity;
    return true;
  }

  delete(key: string): void {
    this.epoch++;
    this.entries.delete(key);
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
