import { z } from 'zod';
import type { InvalidationEvent } from '../items/repository.js';

const eventSchema = z.object({
  type: z.literal('item.changed'),
  key: z.string().min(1),
  version: z.number().int().nonnegative(),
  originRegion: z.string().min(1),
  at: z.string().min(1),
});

const snsEnvelope = z.object({ Type: z.literal('Notification'), Message: z.string() });

/**
 * Parses an invalidation from an SQS body: the SNS envelope (default subscription) or the raw
 * event (RawMessageDelivery=true). Throws on anything else, so the message goes to the DLQ.
 */
export function parseInvalidation(body: string): InvalidationEvent {
  const outer: unknown = JSON.parse(body);
  const envelope = snsEnvelope.safeParse(outer);
  const inner: unknown = envelope.success ? JSON.parse(envelope.data.Message) : outer;
  return eventSchema.parse(inner);
}
