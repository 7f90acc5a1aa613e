import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Shard } from '../db/shards.js';
import { ThrottledLog, type Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

export interface RelayOptions {
  topicArn: string;
  region: string;
  pollIntervalMs: number;
  batchSize: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

interface OutboxRow {
  id: string;
  payload: unknown;
}

/** SNS accepts at most 10 entries per PublishBatch. */
const SNS_BATCH = 10;
/** How long a claimed row stays invisible to other relays: above the SNS client's worst case. */
const CLAIM_LEASE_MS = 15_000;
/** After a kick, wait this long so one pass carries the writes of a burst, not one each. */
const KICK_LINGER_MS = 20;

/**
 * Publishes this region's outbox rows to the region's SNS topic, then deletes them. Rows are
 * claimed (FOR UPDATE SKIP LOCKED, then leased through next_attempt_at), so every task can run
 * a relay without double sends; a failed publish is retried with exponential backoff.
 * Delivery is at-least-once, which is fine for idempotent cache evictions.
 */
export class OutboxRelay {
  private stopping = false;
  private loops: Promise<void>[] = [];
  private wakers = new Map<Shard, () => void>();
  private kicked = new Set<Shard>();
  private throttled: ThrottledLog;

  constructor(
    private readonly shards: Shard[],
    private readonly sns: SNSClient,
    private readonly options: RelayOptions,
    log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.throttled = new ThrottledLog(log);
    metrics.addCollector(() => this.recordBacklogAge());
  }

  start(): void {
    if (this.loops.length === 0) this.loops = this.shards.map((s) => this.run(s));
  }

  /** Relays `shard` now rather than at the next poll (called right after a write commits). */
  kick(shard: Shard): void {
    if (this.kicked.has(shard)) return;
    this.kicked.add(shard);
    const wake = this.wakers.get(shard);
    if (wake) setTimeout(wake, KICK_LINGER_MS).unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakers.values()) wake();
    await Promise.all(this.loops);
  }

  private async run(shard: Shard): Promise<void> {
    while (!this.stopping) {
      const kicked = this.kicked.delete(shard);
      let claimed = 0;
      try {
        claimed = await this.relayOnce(shard, !kicked);
      } catch (err) {
        this.throttled.warn(`relay:${shard.name}`, err, 'outbox relay pass failed');
      }
      // stop() during the pass found no waker to call: do not start a poll wait it cannot end.
      if (this.stopping) break;
      if (claimed === this.options.batchSize) continue;
      if (this.kicked.has(shard)) {
        // Kicked during the pass: linger briefly, then go again.
        await sleep(KICK_LINGER_MS);
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.options.pollIntervalMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wakers.set(shard, done);
      });
      this.wakers.delete(shard);
    }
  }

  /** One pass over due rows of `shard`; returns how many rows it claimed. */
  async relayOnce(shard: Shard, peek = false): Promise<number> {
    if (peek) {
      // Timer passes are mostly idle: one read on the local reader instead of a locking
      // transaction on the writer (which write forwarding would send across regions).
      const due = await shard.read(
        'SELECT 1 FROM outbox WHERE origin_region = $1 AND next_attempt_at <= now() LIMIT 1',
        [this.options.region],
      );
      if (due.rowCount === 0) return 0;
    }
    // Claim with a lease instead of holding a transaction open across the SNS call: rows of a
    // task that dies mid-pass become due again when the lease ends.
    const { rows } = await shard.write<OutboxRow>(
      `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = now() + $3 * interval '1 millisecond'
       WHERE id IN (SELECT id FROM outbox WHERE origin_region = $1 AND next_attempt_at <= now()
                    ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id, payload`,
      [this.options.region, this.options.batchSize, CLAIM_LEASE_MS],
    );
    if (rows.length === 0) return 0;
    const { sent, failed } = await this.publish(rows);
    await Promise.all([
      sent.length > 0 ? shard.write('DELETE FROM outbox WHERE id = ANY($1::uuid[])', [sent]) : undefined,
      failed.length > 0
        ? shard.write(
            `UPDATE outbox SET last_error = $2,
               next_attempt_at = now() + least($3 * power(2, attempts - 1), $4) * interval '1 millisecond'
             WHERE id = ANY($1::uuid[])`,
            [failed.map((f) => f.id), failed[0]?.error ?? null, this.options.retryBaseMs, this.options.retryMaxMs],
          )
        : undefined,
    ]);
    return rows.length;
  }

  private async publish(rows: OutboxRow[]): Promise<{ sent: string[]; failed: Array<{ id: string; error: string }> }> {
    const sent: string[] = [];
    const failed: Array<{ id: string; error: string }> = [];
    const chunks: OutboxRow[][] = [];
    for (let i = 0; i < rows.length; i += SNS_BATCH) chunks.push(rows.slice(i, i + SNS_BATCH));
    await Promise.all(
      chunks.map(async (chunk) => {
        try {
          const res = await this.sns.send(
            new PublishBatchCommand({
              TopicArn: this.options.topicArn,
              PublishBatchRequestEntries: chunk.map((r, i) => ({ Id: String(i), Message: JSON.stringify(r.payload) })),
            }),
          );
          for (const ok of res.Successful ?? []) sent.push((chunk[Number(ok.Id)] as OutboxRow).id);
          for (const f of res.Failed ?? [])
            failed.push({ id: (chunk[Number(f.Id)] as OutboxRow).id, error: `${f.Code}: ${f.Message}` });
        } catch (err) {
          this.metrics.count('DependencyErrors', 1, { Dependency: 'queue' });
          this.throttled.warn('relay:publish', err, 'invalidation publish failed; will retry');
          for (const r of chunk) failed.push({ id: r.id, error: (err as Error).message });
        }
      }),
    );
    if (sent.length > 0) this.metrics.count('InvalidationsPublished', sent.length);
    if (failed.length > 0) this.metrics.count('InvalidationPublishFailures', failed.length);
    return { sent, failed };
  }

  private async recordBacklogAge(): Promise<void> {
    const ages = await Promise.all(
      this.shards.map(async (shard) => {
        const { rows } = await shard.read<{ age: number | null }>(
          'SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age FROM outbox WHERE origin_region = $1',
          [this.options.region],
        );
        return rows[0]?.age ?? 0;
      }),
    );
    this.metrics.gauge('OutboxOldestAge', Math.max(0, ...ages));
  }
}
