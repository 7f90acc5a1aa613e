import { Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { checkInteger, PropError } from './validation';

/** SQS's longest receive wait: fewest empty receives, so the least cost for an idle queue. */
const LONG_POLL = Duration.seconds(20);
const DEAD_LETTER_SUFFIX = '-dlq';
/** SQS queue names: 80 characters of letters, digits, `-` and `_`; the suffix takes four. */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,76}$/;

export interface WorkQueueProps {
  /** Key that encrypts the queue and its dead-letter queue (the region's data key). */
  readonly key: kms.IKey;
  /**
   * Name of the queue; the dead-letter queue is named `<queueName>-dlq`. Give one that operators
   * recognise in the console and that tools can derive, e.g. `<appName>-work`.
   * @default a name unique to this construct's path, such as `Stack-Work-1A2B3C4D`
   */
  readonly queueName?: string;
  /**
   * Receives before a message moves to the dead-letter queue. Lower it when a failing message is
   * expensive to retry; raise it when consumers fail transiently (say, on deploys).
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How long a consumer has to finish a message before another may receive it; set it above the
   * worker's longest job, or jobs run twice. SQS allows 0 seconds to 12 hours.
   * @default Duration.seconds(60)
   */
  readonly visibilityTimeout?: Duration;
  /**
   * How long an unconsumed message is kept. Longer rides out a longer consumer outage; shorter
   * drops work that is no longer worth doing. SQS allows 60 seconds to 14 days.
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;
  /**
   * How long the dead-letter queue keeps a message, counted from its first enqueue (SQS keeps
   * the original timestamp), so at least `retentionPeriod`. Shorten it only if failed messages
   * must not outlive a data-retention rule.
   * @default Duration.days(14)
   */
  readonly deadLetterRetentionPeriod?: Duration;
  /**
   * What happens to both queues when they leave the stack. Deleting a queue loses its messages.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A KMS-encrypted, TLS-only SQS queue with long polling and a dead-letter queue that only this
 * queue may dead-letter into, plus the metrics its alarms and scaling need.
 */
export class WorkQueue extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    const visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(60);
    const retentionPeriod = props.retentionPeriod ?? Duration.days(4);
    const deadLetterRetentionPeriod = props.deadLetterRetentionPeriod ?? Duration.days(14);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const queueName =
      props.queueName ??
      Names.uniqueResourceName(this, { maxLength: 76, separator: '-', allowedSpecialCharacters: '-_' });

    if (!Token.isUnresolved(queueName) && !QUEUE_NAME.test(queueName)) {
      throw new PropError(this, 'queueName', queueName, '1 to 76 letters, digits, hyphens or underscores');
    }
    checkInteger(this, 'maxReceiveCount', maxReceiveCount, 1, 1000);
    checkSeconds(this, 'visibilityTimeout', visibilityTimeout, 0, 12 * 3600, '0 seconds to 12 hours');
    const retentionSeconds = checkSeconds(
      this,
      'retentionPeriod',
      retentionPeriod,
      60,
      14 * 86400,
      '60 seconds to 14 days',
    );
    const deadLetterSeconds = checkSeconds(
      this,
      'deadLetterRetentionPeriod',
      deadLetterRetentionPeriod,
      60,
      14 * 86400,
      '60 seconds to 14 days',
    );
    if (retentionSeconds !== undefined && deadLetterSeconds !== undefined && deadLetterSeconds < retentionSeconds) {
      throw new PropError(
        this,
        'deadLetterRetentionPeriod',
        deadLetterRetentionPeriod.toHumanString(),
        `at least retentionPeriod (${retentionPeriod.toHumanString()})`,
        'is shorter than the queue retention',
      );
    }

    const common = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      receiveMessageWaitTime: LONG_POLL,
      enforceSSL: true,
      removalPolicy,
    } satisfies sqs.QueueProps;

    // The source queue's ARN is derived from its name: referencing the queue itself would make
    // the two queues depend on each other (its redrive policy already names the DLQ).
    const sourceQueue = sqs.Queue.fromQueueArn(
      this,
      'SourceQueue',
      Stack.of(this).formatArn({ service: 'sqs', resource: queueName }),
    );
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...common,
      queueName: `${queueName}${DEAD_LETTER_SUFFIX}`,
      retentionPeriod: deadLetterRetentionPeriod,
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.BY_QUEUE, sourceQueues: [sourceQueue] },
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...common,
      queueName,
      retentionPeriod,
      visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
  }

  /** Messages waiting to be received; consumers scale on this divided by their running tasks. */
  metricBacklog(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...props });
  }

  /** Age of the oldest waiting message: rises when consumers stall or fall behind. */
  metricAgeOfOldestMessage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', ...props });
  }

  /** Messages in the dead-letter queue: any at all means a message failed `maxReceiveCount` times. */
  metricDeadLetterDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...props });
  }
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** Throws unless `duration` is a whole number of seconds in [min, max]; returns the seconds when known. */
function checkSeconds(
  scope: IConstruct,
  prop: string,
  duration: Duration,
  min: number,
  max: number,
  allowed: string,
): number | undefined {
  const seconds = duration.toSeconds({ integral: false });
  if (Token.isUnresolved(seconds)) return undefined;
  if (!isIntegerIn(seconds, min, max)) {
    throw new PropError(
      scope,
      prop,
      duration.toHumanString(),
      `a whole number of seconds from ${allowed}`,
      'is out of range',
    );
  }
  return seconds;
}
