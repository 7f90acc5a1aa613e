import { randomUUID } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { DependencyError } from '../errors.js';
import { ITEM_ID } from '../items/repository.js';
import { storableString } from '../validation.js';

/** Request body of POST /api/jobs. */
export const jobRequest = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('item.increment'),
    itemId: z.string().regex(ITEM_ID),
    by: z.number().int().min(-1_000_000).max(1_000_000).default(1),
    /**
     * Client-chosen dedupe key: retried requests enqueue the same job id, processed once. Scoped
     * to the item and the user: the same key for another item, or from another user, is another job.
     */
    idempotencyKey: z.string().min(1).max(128).superRefine(storableString).optional(),
  }),
]);
export type JobRequest = z.infer<typeof jobRequest>;

/** Message body on the work queue. The dedupe key is (`itemId`, `userId`, `id`). */
export const jobMessage = z.object({
  id: z.string().min(1).max(128),
  type: z.literal('item.increment'),
  itemId: z.string().regex(ITEM_ID),
  by: z.number().int(),
  /** Who enqueued it; absent in messages enqueued before the key was scoped (and without a session). */
  userId: z.string().min(1).max(128).optional(),
  enqueuedAt: z.string(),
});
export type JobMessage = z.infer<typeof jobMessage>;

export async function enqueueJob(
  sqs: SQSClient,
  queueUrl: string,
  request: JobRequest,
  userId?: string,
): Promise<JobMessage> {
  const { idempotencyKey, ...job } = request;
  const message: JobMessage = {
    id: idempotencyKey ?? randomUUID(),
    ...job,
    userId,
    enqueuedAt: new Date().toISOString(),
  };
  try {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
  } catch (err) {
    throw new DependencyError('queue', err);
  }
  return message;
}
