import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DependencyError } from '../errors.js';
import { ThrottledLog, type Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

/** What to do with a message once handled: delete it, or leave it to reappear (and reach the DLQ). */
export type Disposition = 'delete' | 'keep';

/**
 * Thrown by a handler for a message that can never succeed (not JSON, wrong shape): retrying
 * it only delays its arrival in the dead-letter queue, so the poller moves it there at once.
 */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

export interface PollerOptions {
  name: string;
  queueUrl: string;
  waitSeconds: number;
  batchSize: number;
  handle: (message: Message) => Promise<Disposition>;
  /**
   * The queue's dead-letter queue: a message whose handler throws PoisonMessageError is sent
   * there and then deleted. Unset: such a message is kept like any failure, and the queue's
   * redrive policy moves it after maxReceiveCount receives.
   */
  deadLetterQueueUrl?: string;
  /** Called for each poison message: `deadLettered` once the dead-letter queue accepted it, false when it stays in the queue. */
  onPoison?: (message: Message, deadLettered: boolean) => void;
}

/** SQS message attribute values are at most 256 KiB; a reason needs far less. */
const MAX_REASON_LENGTH = 1000;

const MAX_BACKOFF_MS = 30_000;

/**
 * Long-polls an SQS queue and hands each message to `handle`. stop() aborts the pending
 * receive and resolves once the messages already received are handled and deleted.
 */
export class QueuePoller {
  /** Messages received and not yet handled. */
  handling = 0;
  private stopping = false;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private throttled: ThrottledLog;

  constructor(
    private readonly sqs: SQSClient,
    private readonly options: PollerOptions,
    log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.throttled = new ThrottledLog(log);
  }

  /** Starts polling; after stop() has resolved, starts again (messages sent meanwhile waited in the queue). */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  /**
   * Aborting the pending long poll may drop a batch SQS was sending at that instant: those
   * messages reappear after their visibility timeout (handlers are idempotent).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    const loop = this.loop;
    await loop;
    if (this.loop === loop) this.loop = undefined;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let messages: Message[];
      try {
        const res = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.queueUrl,
            WaitTimeSeconds: this.options.waitSeconds,
            MaxNumberOfMessages: this.options.batchSize,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = res.Messages ?? [];
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        failures++;
        this.metrics.count('DependencyErrors', 1, { Dependency: 'queue' });
        this.throttled.warn(`receive:${this.options.name}`, err, `${this.options.name}: receive failed, backing off`);
        const backoff = Math.min(500 * 2 ** (failures - 1), MAX_BACKOFF_MS);
        // stop() aborts the wait: the loop condition then ends the loop.
        await sleep(backoff, undefined, { signal: this.abort.signal }).catch((e: unknown) => {
          if (!this.stopping) throw e;
        });
        continue;
      }
      if (messages.length > 0) await this.dispatch(messages);
    }
  }

  private async dispatch(messages: Message[]): Promise<void> {
    this.handling += messages.length;
    const { name } = this.options;
    const outcomes = await Promise.all(
      messages.map(async (m): Promise<Disposition | PoisonMessageError> => {
        try {
          return await this.options.handle(m);
        } catch (err) {
          if (err instanceof PoisonMessageError) return err;
          const fields = { messageId: m.MessageId, receiveCount: m.Attributes?.ApproximateReceiveCount, queue: name };
          // One line per cause and interval: during an outage every message fails the same way.
          if (err instanceof DependencyError) {
            this.throttled.warn(
              `handle:${name}:${err.dependency}`,
              err,
              'message handling failed; it will be retried',
              fields,
            );
          } else {
            this.throttled.error(
              `handle:${name}:${(err as Error)?.name ?? 'error'}`,
              err,
              'message handling failed; it will be retried',
              fields,
            );
          }
          return 'keep' as const;
        } finally {
          this.handling--;
        }
      }),
    );
    const poison = messages.flatMap((m, i) => {
      const outcome = outcomes[i];
      return outcome instanceof PoisonMessageError ? [{ message: m, reason: outcome }] : [];
    });
    const deadLettered = poison.length > 0 ? await this.deadLetter(poison) : [];
    for (const { message } of poison) this.options.onPoison?.(message, deadLettered.includes(message));
    const toDelete = [...messages.filter((_m, i) => outcomes[i] === 'delete'), ...deadLettered].filter(
      (m) => m.ReceiptHandle,
    );
    if (toDelete.length === 0) return;
    try {
      const res = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: toDelete.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
        }),
      );
      for (const f of res.Failed ?? []) {
        this.throttled.warn(`delete:${name}`, undefined, 'delete failed; the message will be redelivered', {
          id: f.Id,
          code: f.Code,
          reason: f.Message,
          queue: name,
        });
      }
    } catch (err) {
      // Redelivery is safe: handlers are idempotent.
      this.metrics.count('DependencyErrors', 1, { Dependency: 'queue' });
      this.throttled.warn(`delete:${name}`, err, 'delete batch failed; messages will be redelivered', { queue: name });
    }
  }

  /**
   * Sends poison messages to the dead-letter queue and returns those it accepted; only these
   * are then deleted. A message that could not be sent stays in the queue (nothing is lost), and
   * the redrive policy moves it after maxReceiveCount receives.
   */
  private async deadLetter(poison: Array<{ message: Message; reason: Error }>): Promise<Message[]> {
    const { name, deadLetterQueueUrl } = this.options;
    for (const { message, reason } of poison) {
      this.throttled.warn(
        `poison:${name}`,
        reason,
        deadLetterQueueUrl
          ? 'message can never succeed; moving it to the dead-letter queue'
          : 'message can never succeed; no dead-letter queue configured, the redrive policy will move it',
        {
          messageId: message.MessageId,
          queue: name,
        },
      );
    }
    if (!deadLetterQueueUrl) return [];
    try {
      const res = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: deadLetterQueueUrl,
          Entries: poison.map(({ message, reason }, i) => ({
            Id: String(i),
            MessageBody: message.Body ?? '',
            MessageAttributes: {
              DeadLetterReason: {
                DataType: 'String',
                StringValue: reason.message.slice(0, MAX_REASON_LENGTH) || reason.name,
              },
              SourceMessageId: { DataType: 'String', StringValue: message.MessageId ?? 'unknown' },
            },
          })),
        }),
      );
      for (const f of res.Failed ?? []) {
        this.throttled.warn(
          `dead-letter:${name}`,
          undefined,
          'sending to the dead-letter queue failed; the message stays in the queue',
          { id: f.Id, code: f.Code, reason: f.Message, queue: name },
        );
      }
      return (res.Successful ?? [])
        .map((s) => poison[Number(s.Id)]?.message)
        .filter((m): m is Message => m !== undefined);
    } catch (err) {
      this.metrics.count('DependencyErrors', 1, { Dependency: 'queue' });
      this.throttled.warn(
        `dead-letter:${name}`,
        err,
        'sending to the dead-letter queue failed; the messages stay in the queue',
        { queue: name },
      );
      return [];
    }
  }
}
