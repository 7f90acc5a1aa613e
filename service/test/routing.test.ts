import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jumpHash, keyHash, shardIndexFor } from '../src/db/routing.js';
import { integrationSkip } from './helpers/servers.js';
import { login, putItem, TestEnv, type RunningApi } from './helpers/env.js';

describe('shard routing (pure)', () => {
  it('matches the reference jump consistent hash', () => {
    // Vectors of the reference implementation (Lamping & Veach), as used by other ports.
    assert.equal(jumpHash(1n, 1), 0);
    assert.equal(jumpHash(42n, 57), 43);
    assert.equal(jumpHash(0xdead10ccn, 1), 0);
    assert.equal(jumpHash(0xdead10ccn, 666), 361);
    assert.equal(jumpHash(256n, 1024), 520);
  });

  it('is stable: pinned keys keep their shard (a change here would strand data)', () => {
    // The key hash is the first 8 bytes of SHA-256, big-endian (e.g. `printf item-1 | sha256sum`).
    assert.equal(keyHash('item-1'), 0x59908df50572502cn);
    assert.equal(keyHash(''), 0xe3b0c44298fc1c14n);
    assert.deepEqual(
      ['item-1', 'item-2', 'user:42', 'a', 'zzz'].map((k) => [shardIndexFor(k, 4), shardIndexFor(k, 16)]),
      [
        [2, 2],
        [2, 14],
        [1, 14],
        [1, 1],
        [0, 9],
      ],
    );
  });

  it('spreads keys evenly', () => {
    const counts = [0, 0, 0, 0];
    const n = 20000;
    for (let i = 0; i < n; i++) (counts[shardIndexFor(`item-${i}`, 4)] as number)++;
    for (const c of counts) assert.ok(Math.abs(c - n / 4) < (n / 4) * 0.05, `uneven spread ${counts}`);
  });

  it('moves only ~1/(N+1) of the keys, all to the new shard, when a shard is appended', () => {
    const n = 20000;
    let moved = 0;
    for (let i = 0; i < n; i++) {
      const before4 = shardIndexFor(`item-${i}`, 4);
      const after5 = shardIndexFor(`item-${i}`, 5);
      if (before4 !== after5) {
        moved++;
        assert.equal(after5, 4, 'a key may only move to the new shard');
      }
    }
    assert.ok(Math.abs(moved / n - 0.2) < 0.02, `moved ${moved / n}`);
  });
});

describe('shard routing (against PostgreSQL)', async () => {
  const skip = await integrationSkip();
  let env: TestEnv;
  let a: RunningApi;
  before(async () => {
    if (skip) return;
    env = await TestEnv.create({ shards: 3 });
    a = await env.startApi('a');
  });
  after(async () => {
    if (!skip) await env.cleanup();
  });

  it('writes each item to the shard its key hashes to, and only there', { skip }, async () => {
    const cookie = await login(a.url, 'router');
    const ids = Array.from({ length: 30 }, (_, i) => `route-${i}`);
    for (const id of ids) assert.equal((await putItem(a.url, cookie, id, { name: id })).status, 200);
    const perShard: number[] = [];
    for (let s = 0; s < 3; s++) {
      const { rows } = await env.admin.query<{ id: string }>(`SELECT id FROM "${env.schema(s)}".items`);
      perShard.push(rows.length);
      for (const r of rows) assert.equal(shardIndexFor(r.id, 3), s, `${r.id} landed on shard ${s}`);
    }
    assert.equal(
      perShard.reduce((x, y) => x + y, 0),
      ids.length,
    );
    assert.ok(
      perShard.every((c) => c > 0),
      `every shard used: ${perShard}`,
    );
  });
});
