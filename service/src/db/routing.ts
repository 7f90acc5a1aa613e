import { createHash } from 'node:crypto';

/**
 * 64-bit key hash: the first 8 bytes of SHA-256. Stable across processes, Node versions and
 * languages, which a routing function must be (a migration script in another language must agree).
 */
export function keyHash(key: string): bigint {
  return createHash('sha256').update(key, 'utf8').digest().readBigUInt64BE(0);
}

const MASK64 = (1n << 64n) - 1n;
const JUMP_MULTIPLIER = 2862933555777941757n;

/**
 * Jump consistent hash (Lamping & Veach, 2014). Growing from N to N+1 buckets moves only
 * ~1/(N+1) of the keys, all of them into the new bucket; nothing moves between old buckets.
 */
export function jumpHash(hash: bigint, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets < 1)
    throw new RangeError(`buckets must be a positive integer, got ${buckets}`);
  let key = hash & MASK64;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    key = (key * JUMP_MULTIPLIER + 1n) & MASK64;
    // Same floating-point evaluation order as the reference C++ so other implementations agree.
    j = Math.floor((b + 1) * (2 ** 31 / (Number(key >> 33n) + 1)));
  }
  return b;
}

/** Index of the shard that owns `key` in a shard map of `shardCount` entries. */
export function shardIndexFor(key: string, shardCount: number): number {
  return jumpHash(keyHash(key), shardCount);
}
