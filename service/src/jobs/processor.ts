import type { Message } from '@aws-sdk/client-sqs';
import pg from 'pg';
import { appendOutbox, incrementCounter, type Item } from '../items/repository.js';
import type { ItemService } from '../items/service.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { PoisonMessageError, type Disposition } from '../queue/poller.js';
import { jobMessage, type JobMessage } from './jobs.js';

export type JobOutcome = 'succeeded' | 'duplicate';

// SQLSTATE classes no retry can fix: data exception (a counter out of the bigint range) and
// integrity constraint violation.
const PERMANENT_SQLSTATE = /^(22|23)/;

/**
 * Processes one work-queue message exactly once in effect: the dedupe key is inserted in the
 * same transaction as the change, so a redelivered message commits nothing. A message that can
 * never succeed (not JSON, not a job, a data exception) throws PoisonMessageError: the poller
 * moves it to the DLQ at once. Any other error (missing item, which replication may still
 * bring; database down) leaves the message on the queue; after maxReceiveCount receives SQS
 * moves it to the DLQ.
 */
export function createJobHandler(items: ItemService, log: Logger, metrics: Metrics) {
  return async (message: Message): Promise<Disposition> => {
    const started = performance.now();
    try {
      const outcome = await processJob(items, message.Body ?? '');
      metrics.count('JobsProcessed', 1, { Outcome: outcome });
      metrics.observe('JobDuration', performance.now() - started);
      log.info({ messageId: message.MessageId, outcome }, 'job processed');
      return 'delete';
    } catch (err) {
      if (err instanceof pg.DatabaseError && PERMANENT_SQLSTATE.test(err.code ?? '')) {
        throw new PoisonMessageError(`the database refused the job: ${err.message}`, { cause: err });
      }
      // Poison messages are counted by the poller's onPoison (dead-lettered, or failed when they stay).
      if (!(err instanceof PoisonMessageError)) metrics.count('JobsProcessed', 1, { Outcome: 'failed' });
      throw err;
    }
  };
}

/** Parses a work-queue message body; a body that is not a job can never succeed. */
export function parseJob(body: string): JobMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new PoisonMessageError(`not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = jobMessage.safeParse(json);
  if (!parsed.success) {
    throw new PoisonMessageError(
      `not a job: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

export async function processJob(items: ItemService, body: string): Promise<JobOutcome> {
  const job = parseJob(body);
  const shard = items.router.shardFor(job.itemId);
  const changed = await shard.transaction(async (tx): Promise<Item | null> => {
    // The key is (item, user, id). A row from before the key was scoped (item_id and client_id
    // '', migration 004) still claims its id for every item until it is pruned.
    const claimed = await tx.query(
      `INSERT INTO processed_jobs (item_id, client_id, job_id)
       SELECT $1, $2, $3
       WHERE NOT EXISTS (SELECT 1 FROM processed_jobs WHERE item_id = '' AND client_id = '' AND job_id = $3)
       ON CONFLICT DO NOTHING`,
      [job.itemId, job.userId ?? '', job.id],
    );
    if (claimed.rowCount === 0) return null;
    const item = await incrementCounter(tx, job.itemId, job.by);
    if (!item) throw new Error(`item ${job.itemId} not found`);
    if (items.outbox) {
      await appendOutbox(tx, {
        type: 'item.changed',
        key: item.id,
        version: item.version,
        originRegion: items.outbox.region,
        at: new Date().toISOString(),
      });
    }
    return item;
  });
  if (!changed) return 'duplicate';
  await items.afterCommit(shard, changed);
  return 'succeeded';
}

/** Deletes dedupe keys older than the retention (which must exceed the queue's message retention). */
export async function pruneProcessedJobs(items: ItemService, retentionDays: number): Promise<number> {
  let removed = 0;
  for (const shard of items.router.shards) {
    const res = await shard.write('DELETE FROM processed_jobs WHERE processed_at < now() - make_interval(days => $1)', [
      retentionDays,
    ]);
    removed += res.rowCount ?? 0;
  }
  return removed;
}
