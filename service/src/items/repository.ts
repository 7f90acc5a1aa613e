import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Queryable, Shard } from '../db/shards.js';
import { storableObject, storableString } from '../validation.js';

export const ITEM_ID_MAX_LENGTH = 128;
/** Item ids, the same for the item routes and POST /api/jobs. */
export const ITEM_ID = new RegExp(`^[A-Za-z0-9_-]{1,${ITEM_ID_MAX_LENGTH}}$`);

/** Rejects what PostgreSQL would refuse (a 500) or alter silently (src/validation.ts). */
export const itemInput = z.object({
  name: z.string().min(1).max(200).superRefine(storableString),
  data: storableObject().default({}),
});
export type ItemInput = z.infer<typeof itemInput>;

export interface Item {
  id: string;
  name: string;
  data: Record<string, unknown>;
  counter: number;
  version: number;
  updatedBy: string | null;
  updatedAt: string;
}

interface ItemRow {
  id: string;
  name: string;
  data: Record<string, unknown>;
  counter: string;
  version: string;
  updated_by: string | null;
  updated_at: Date;
}

const COLUMNS = 'id, name, data, counter, version, updated_by, updated_at';

function toItem(row: ItemRow): Item {
  return {
    id: row.id,
    name: row.name,
    data: row.data,
    // bigint columns arrive as strings; these stay far below 2^53.
    counter: Number(row.counter),
    version: Number(row.version),
    updatedBy: row.updated_by,
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Cross-region cache invalidation event, stored in the outbox and published to SNS. */
export interface InvalidationEvent {
  type: 'item.changed';
  key: string;
  version: number;
  originRegion: string;
  at: string;
}

/** Where a change's invalidation event goes: nowhere when the deployment has a single region. */
export type OutboxTarget = { region: string } | undefined;

export async function getItem(shard: Shard, id: string): Promise<Item | null> {
  const res = await shard.read<ItemRow>(`SELECT ${COLUMNS} FROM items WHERE id = $1`, [id]);
  const row = res.rows[0];
  return row ? toItem(row) : null;
}

/**
 * Upserts an item and, in the same statement (hence the same transaction), appends its
 * invalidation event to the outbox: either both commit or neither does.
 */
export async function upsertItem(
  shard: Shard,
  id: string,
  input: ItemInput,
  userId: string,
  outbox: OutboxTarget,
): Promise<Item> {
  const res = await shard.write<ItemRow>(
    `WITH item AS (
       INSERT INTO items (id, name, data, updated_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE
         SET name = EXCLUDED.name, data = EXCLUDED.data, updated_by = EXCLUDED.updated_by,
             version = items.version + 1, updated_at = now()
       RETURNING ${COLUMNS}
     ), event AS (
       INSERT INTO outbox (id, origin_region, payload)
       SELECT $5, $6, jsonb_build_object('type', 'item.changed', 'key', item.id, 'version', item.version,
                                         'originRegion', $6::text, 'at', $7::text)
       FROM item WHERE $8::boolean
     )
     SELECT ${COLUMNS} FROM item`,
    [
      id,
      input.name,
      JSON.stringify(input.data),
      userId,
      randomUUID(),
      outbox?.region ?? '',
      new Date().toISOString(),
      outbox !== undefined,
    ],
  );
  return toItem(res.rows[0] as ItemRow);
}

/** Adds `by` to an item's counter inside the caller's transaction; null when the item does not exist. */
export async function incrementCounter(tx: Queryable, id: string, by: number): Promise<Item | null> {
  const res = await tx.query<ItemRow>(
    `UPDATE items SET counter = counter + $2, version = version + 1, updated_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, by],
  );
  const row = res.rows[0];
  return row ? toItem(row) : null;
}

export async function appendOutbox(tx: Queryable, event: InvalidationEvent): Promise<void> {
  await tx.query('INSERT INTO outbox (id, origin_region, payload) VALUES ($1, $2, $3)', [
    randomUUID(),
    event.originRegion,
    JSON.stringify(event),
  ]);
}
