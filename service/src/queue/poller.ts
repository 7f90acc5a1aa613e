import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { setTimeout as sleep } from "node:timers/promises";
import { ThrottledLog, type Logger } from "../log.js";
import type { Metrics } from "../metrics.js";

/** What to do with a message once handled: delete it, or leave it to reappear (and reach the DLQ). */
export type Disposition = "delete" | "keep";

export interface PollerOptions {
  name: string;
  queueUrl: string;
  waitSeconds: number;
  batchSize: number;
  handle: (message: Message) => Promise<Disposition>;
}

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
    private readonly log: Logger,
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
            MessageSystemAttributeNames: ["ApproximateReceiveCount"],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = res.Messages ?? [];
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        failures++;
        this.metrics.count("DependencyErrors", 1, { Dependency: "queue" });
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
    const outcomes = await Promise.all(
      messages.map(async (m) => {
        try {
          return await this.options.handle(m);
        } catch (err) {
          const receiveCount = m.Attributes?.ApproximateReceiveCount;
          this.log.error({ err, messageId: m.MessageId, receiveCount, queue: this.options.name }, "message handling failed; it will be retried");
          return "keep" as const;
        } finally {
          this.handling--;
        }
      }),
    );
    const toDelete = messages.filter((m, i) => outcomes[i] === "delete" && m.ReceiptHandle);
    if (toDelete.length === 0) return;
    try {
      const res = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: toDelete.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
        }),
      );
      for (const f of res.Failed ?? []) {
        this.log.warn({ id: f.Id, code: f.Code, reason: f.Message, queue: this.options.name }, "delete failed; the message will be redelivered");
      }
    } catch (err) {
      // Redelivery is safe: handlers are idempotent.
      this.metrics.count("DependencyErrors", 1, { Dependency: "queue" });
      this.log.warn({ err, queue: this.options.name }, "delete batch failed; messages will be redelivered");
    }
  }
}
