import { Annotations, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { pascalCase } from './naming';
import { WorkQueue } from './work-queue';
import { PropError } from './validation';

const DEFAULT_SNS_PRINCIPAL = 'sns.amazonaws.com';
/**
 * Regions whose SNS delivers to other regions as `sns.<region>.amazonaws.com`: the opt-in regions,
 * those launched after 20 March 2019 and Osaka
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-cross-region-delivery.html).
 */
const SNS_OPT_IN_REGIONS: ReadonlySet<string> = new Set([
  'af-south-1',
  'ap-east-1',
  'ap-northeast-3',
  'ap-south-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-7',
  'ca-west-1',
  'eu-central-2',
  'eu-south-1',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
]);

/** The principal SNS uses when a topic in `region` delivers to a queue in another region. */
export function snsPrincipalOf(region: string): string {
  return SNS_OPT_IN_REGIONS.has(region) ? `sns.${region}.amazonaws.com` : DEFAULT_SNS_PRINCIPAL;
}

/** Name of a region's invalidation topic and of its invalidation queue (one name, two services). */
export function invalidationName(appName: string, region: string): string {
  return `${appName}-invalidation-${region}`;
}

export interface InvalidationMeshProps {
  /** Prefix of the topic and queue names. Every region derives the others' ARNs from it. */
  readonly appName: string;
  /**
   * Every serving region, in the order their Data stacks deploy. The subscription from one
   * region's topic to another's queue lives in the stack of whichever deploys later, when both
   * ends exist.
   */
  readonly regions: readonly string[];
  /** The region of the stack this mesh is in. */
  readonly region: string;
  /**
   * The region's data key (a `kms.Key` of this stack): encrypts the topic and queues, and gets a
   * key-policy statement letting the other regions' topics deliver into the queue.
   */
  readonly key: kms.IKey;
  /**
   * How long an undelivered invalidation is kept. An invalidation older than the cache TTL is
   * moot: the entry it would evict was cached before the write and has expired by then. Keep it
   * at least the longest cache TTL; longer only delays recovery after a consumer outage.
   * @default Duration.hours(1)
   */
  readonly retentionPeriod?: Duration;
  /**
   * How long a consumer has to evict the keys of one message before it is received again.
   * Evictions are fast; raise it only if consumers batch many keys per message.
   * @default Duration.seconds(30)
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Receives before an invalidation that keeps failing moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * What happens to the queues when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * One region's part of the cross-region cache-invalidation mesh (the EVCache pattern): the
 * service publishes an invalidation to its own region's topic (a local call), and every other
 * region's queue receives it through an SNS subscription, so a write anywhere evicts the key
 * everywhere without a cross-region call on the request path. Other regions' ARNs are derived
 * from names, never referenced across stacks.
 */
export class InvalidationMesh extends Construct {
  /** Where this region's service publishes invalidations. */
  public readonly topic: sns.Topic;
  /** Where this region's service receives the other regions' invalidations. */
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  private readonly workQueue: WorkQueue;

  constructor(scope: Construct, id: string, props: InvalidationMeshProps) {
    super(scope, id);
    const { appName, regions, region } = props;
    regions.forEach((r, index) => {
      if (regions.indexOf(r) !== index) {
        throw new PropError(this, `regions[${index}]`, r, 'each region once', 'is listed twice');
      }
    });
    const position = regions.indexOf(region);
    if (position < 0) {
      throw new PropError(this, 'region', region, `one of regions: ${regions.join(', ')}`, 'is not a serving region');
    }
    const stack = Stack.of(this);
    if (!Token.isUnresolved(stack.region) && stack.region !== region) {
      throw new PropError(
        this,
        'region',
        region,
        `the stack's region, ${stack.region}`,
        'is not the region of the stack',
      );
    }

    const name = invalidationName(appName, region);
    const others = regions.filter((r) => r !== region);
    const arnOf = (service: 'sns' | 'sqs', r: string) =>
      stack.formatArn({ service, region: r, resource: invalidationName(appName, r) });

    this.topic = new sns.Topic(this, 'Topic', { topicName: name, masterKey: props.key, enforceSSL: true });
    // Other regions subscribe to this topic by name; replacing it would silently drop them.
    this.topic.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyThisAccountPublishesAndSubscribes',
        principals: [new iam.AccountRootPrincipal()],
        actions: ['sns:Publish', 'sns:Subscribe'],
        resources: [this.topic.topicArn],
      }),
    );

    this.workQueue = new WorkQueue(this, 'Queue', {
      key: props.key,
      queueName: name,
      retentionPeriod: props.retentionPeriod ?? Duration.hours(1),
      visibilityTimeout: props.visibilityTimeout ?? Duration.seconds(30),
      maxReceiveCount: props.maxReceiveCount,
      removalPolicy: props.removalPolicy,
    });
    this.queue = this.workQueue.queue;
    this.deadLetterQueue = this.workQueue.deadLetterQueue;

    if (others.length === 0) return;

    // SNS delivers into the queue, and encrypts with the key, for the other regions' topics only.
    let keyTakesStatements = true;
    for (const [principal, topicRegions] of groupBy(others, snsPrincipalOf)) {
      const sid = `AllowInvalidationTopicsOfOtherRegions${principal === DEFAULT_SNS_PRINCIPAL ? '' : pascalCase(topicRegions[0])}`;
      const fromTopics = { ArnEquals: { 'aws:SourceArn': topicRegions.map((r) => arnOf('sns', r)) } };
      this.queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          principals: [new iam.ServicePrincipal(principal)],
          actions: ['sqs:SendMessage'],
          resources: [this.queue.queueArn],
          conditions: fromTopics,
        }),
      );
      const { statementAdded } = props.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          principals: [new iam.ServicePrincipal(principal)],
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          // In a key policy, `*` is the key itself.
          resources: ['*'],
          conditions: fromTopics,
        }),
      );
      keyTakesStatements &&= statementAdded;
    }
    if (!keyTakesStatements) {
      Annotations.of(this).addWarningV2(
        'blueprint:invalidationKeyPolicy',
        'The key is imported: allow SNS kms:GenerateDataKey* and kms:Decrypt for the invalidation topics of the other regions in its key policy, or SNS cannot deliver into the queue.',
      );
    }

    // Each pair of regions is subscribed both ways from the later region's stack.
    for (const earlier of regions.slice(0, position)) {
      const fromEarlier = new sns.Subscription(this, `From-${earlier}`, {
        topic: sns.Topic.fromTopicArn(this, `Topic-${earlier}`, arnOf('sns', earlier)),
        region: earlier,
        protocol: sns.SubscriptionProtocol.SQS,
        endpoint: this.queue.queueArn,
        rawMessageDelivery: true,
      });
      // On the queue and its policy: the policy must admit the topic before SNS delivers.
      fromEarlier.node.addDependency(this.queue);
      // The earlier region's queue policy and key already admit this topic.
      new sns.Subscription(this, `To-${earlier}`, {
        topic: this.topic,
        region,
        protocol: sns.SubscriptionProtocol.SQS,
        endpoint: arnOf('sqs', earlier),
        rawMessageDelivery: true,
      });
    }
  }

  /** Invalidations waiting to be applied in this region. */
  metricBacklog(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.workQueue.metricBacklog(props);
  }

  /** Age of the oldest waiting invalidation: how stale this region's cache may be beyond its writes. */
  metricAgeOfOldestMessage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.workQueue.metricAgeOfOldestMessage(props);
  }

  /** Invalidations that failed `maxReceiveCount` times: keys possibly stale until their TTL. */
  metricDeadLetterDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.workQueue.metricDeadLetterDepth(props);
  }

  /** Deliveries from this region's topic that SNS gave up on, e.g. another region's queue or key refusing it. */
  metricFailedNotifications(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.topic.metricNumberOfNotificationsFailed({ statistic: 'Sum', ...props });
  }
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}

/** `ap-east-1` → `ApEast1`, for statement ids (letters and digits only). */
