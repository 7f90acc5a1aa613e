interface Entry {
  expiresAt: number;
  body: string | null;
}

/**
 * In-process cache in front of Redis with a short TTL. It is what lets a cached read cost no
 * network round trip; staleness is bounded by its TTL, and entries are also evicted by
 * invalidation messages on the region's Redis channel.
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
    this.entries.set(key, { expiresAt, body });
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
