import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { InvalidationEvent } from '../items/repository.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { QueuePoller, type Disposition } from '../queue/poller.js';
import { parseInvalidation } from './events.js';

export interface ConsumerOptions {
  queueUrl: string;
  region: string;
  waitSeconds: number;
  /** Evicts the key region-wide; false when the eviction could not be done (message kept for retry). */
  evict: (event: InvalidationEvent) => Promise<boolean>;
}

/**
 * Consumes this region's invalidation queue (fed by the other regions' SNS topics) and evicts
 * the changed keys from Redis and every task's near-cache. Events from this region are
 * dropped: the writer already evicted locally.
 */
export function createInvalidationConsumer(
  sqs: SQSClient,
  options: ConsumerOptions,
  log: Logger,
  metrics: Metrics,
): QueuePoller {
  const handle = async (message: Message): Promise<Disposition> => {
    const event = parseInvalidation(message.Body ?? '');
    if (event.originRegion === options.region) return 'delete';
    if (!(await options.evict(event))) return 'keep';
    metrics.count('InvalidationsApplied');
    const lag = Date.now() - Date.parse(event.at);
    if (Number.isFinite(lag)) metrics.observe('InvalidationLag', Math.max(0, lag));
    log.debug(
      { key: event.key, version: event.version, from: event.originRegion, lagMs: lag },
      'remote invalidation applied',
    );
    return 'delete';
  };
  return new QueuePoller(
    sqs,
    { name: 'invalidations', queueUrl: options.queueUrl, waitSeconds: options.waitSeconds, batchSize: 10, handle },
    log,
    metrics,
  );
}
