import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { checkInteger, PropError } from '../validation';
import { invalidationName } from '../invalidation-mesh';
import { ServiceMetrics } from './service-metrics';

/** WorkQueue names a dead-letter queue `<queueName>-dlq`. */
const DEAD_LETTER_SUFFIX = '-dlq';
const MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

export interface GlobalDashboardProps {
  /** Prefix of every derived name: queues `<appName>-work`, clusters `<appName>-shard-<i>`. */
  readonly appName: string;
  /** Every serving region; each gets one line per panel. */
  readonly regions: readonly string[];
  /** The region of the database writers; it has no global replication lag. */
  readonly primaryRegion: string;
  /** Database shards (global clusters) the app runs; the dashboard shows each. */
  readonly shards: number;
  /**
   * Name of the work queue, the same in every region (its dead-letter queue is `<name>-dlq`).
   * @default `${appName}-work`
   */
  readonly workQueueName?: string;
  /**
   * Identifier of a shard's global cluster, which every region's cluster of the shard carries.
   * @default `${appName}-shard-${shardIndex}`
   */
  readonly clusterIdentifier?: (shardIndex: number) => string;
  /**
   * The service's `METRICS_NAMESPACE`.
   * @default `${appName}/Service`
   */
  readonly serviceMetricsNamespace?: string;
  /**
   * Name of the dashboard.
   * @default `${appName}-global`
   */
  readonly dashboardName?: string;
  /**
   * Rows added at the end, such as the edge's (`edgeDashboardRows`).
   * @default none
   */
  readonly extraRows?: readonly cloudwatch.IWidget[][];
}

/**
 * Every region side by side, plus the business metrics summed over regions. A stack cannot
 * reference another region's resources, so every metric is addressed by what is known from
 * the props alone: the service's EMF metrics (requests, 5xx rate, latency, business metrics),
 * names derived from `appName` (dead-letter queues, global database clusters) and, for healthy
 * hosts, a SEARCH over the region's load balancer metrics.
 */
export class GlobalDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: GlobalDashboardProps) {
    super(scope, id);
    const { appName, regions, primaryRegion, shards } = props;
    if (regions.length === 0) throw new PropError(this, 'regions', regions, 'at least one region', 'is empty');
    regions.forEach((region, index) => {
      if (regions.indexOf(region) !== index) {
        throw new PropError(this, `regions[${index}]`, region, 'each region once', 'is listed twice');
      }
    });
    if (!regions.includes(primaryRegion)) {
      throw new PropError(
        this,
        'primaryRegion',
        primaryRegion,
        `one of regions: ${regions.join(', ')}`,
        'is not in regions',
      );
    }
    checkInteger(this, 'shards', shards, 1, Infinity, 'an integer of at least 1');
    const namespace = props.serviceMetricsNamespace ?? `${appName}/Service`;
    const workQueueName = props.workQueueName ?? `${appName}-work`;
    const clusterIdentifier = props.clusterIdentifier ?? ((shard: number) => `${appName}-shard-${shard}`);
    const service = (region: string) => new ServiceMetrics(namespace, region);
    const perRegion = (metric: (region: string) => cloudwatch.IMetric) => regions.map(metric);
    const secondaries = regions.filter((region) => region !== primaryRegion);

    const queueDepth = (region: string, queueName: string, label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensionsMap: { QueueName: `${queueName}${DEAD_LETTER_SUFFIX}` },
        statistic: 'Maximum',
        period: MINUTE,
        region,
        label,
      });
    const globalLag = (region: string, shard: number) =>
      new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName: 'AuroraGlobalDBReplicationLag',
        // Every region's cluster of a shard is named after the global cluster (AuroraShard).
        dimensionsMap: { DBClusterIdentifier: clusterIdentifier(shard) },
        statistic: 'Maximum',
        period: MINUTE,
        region,
        label: `shard ${shard} ${region}`,
      });
    const healthyHosts = (region: string) =>
      new cloudwatch.MathExpression({
        // Load balancer and target group names are generated per region, so they are searched
        // for: the panel assumes the account holds only this app's load balancers in the region.
        expression: `SUM(SEARCH('{AWS/ApplicationELB,LoadBalancer,TargetGroup} MetricName="HealthyHostCount"', 'Minimum', 60))`,
        usingMetrics: {},
        label: region,
        period: MINUTE,
        searchRegion: region,
      });
    const summed = (title: string, metric: (region: string, id: string) => cloudwatch.IMetric) => {
      const usingMetrics = Object.fromEntries(regions.map((region, i) => [`r${i}`, metric(region, `r${i}`)]));
      return new cloudwatch.MathExpression({
        expression: Object.keys(usingMetrics)
          .map((id) => `FILL(${id}, 0)`)
          .join(' + '),
        usingMetrics,
        label: `${title}, all regions`,
        period: FIVE_MINUTES,
      });
    };
    const graph = (title: string, left: cloudwatch.IMetric[], props: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, ...props });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `${appName}-global`,
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown: `## ${appName}: every region\nRegions: ${regions.join(', ')} (primary ${primaryRegion}). Requests, 5xx rate, latency and business metrics are the service's own (EMF).`,
            width: 24,
            height: 2,
          }),
        ],
        [
          graph(
            'Requests per minute',
            perRegion((region) => service(region).totalRequests(region)),
          ),
          graph(
            '5xx rate (%)',
            perRegion((region) => service(region).serverErrorRate(region)),
          ),
          graph(
            'p99 latency, slowest route (ms)',
            perRegion((region) => service(region).slowestRouteP99(region)),
          ),
          graph('Healthy api targets', perRegion(healthyHosts)),
          graph(
            'Global replication lag (ms)',
            secondaries.flatMap((region) => Array.from({ length: shards }, (_, shard) => globalLag(region, shard))),
          ),
          graph(
            'Dead-letter queues',
            regions.flatMap((region) => [
              queueDepth(region, workQueueName, `work ${region}`),
              queueDepth(region, invalidationName(appName, region), `invalidation ${region}`),
            ]),
          ),
        ],
        [new cloudwatch.TextWidget({ markdown: '## Business, all regions', width: 24, height: 2 })],
        [
          graph('Requests', [summed('Requests', (region) => service(region).totalRequests(region, FIVE_MINUTES))]),
          graph('Items written', [
            summed('Items written', (region) => service(region).metric('ItemsWritten', 'api', 'Sum', {}, FIVE_MINUTES)),
          ]),
          graph('Jobs processed', [
            summed('Jobs processed', (region) =>
              service(region).metric('JobsProcessed', 'worker', 'Sum', {}, FIVE_MINUTES),
            ),
          ]),
          // Each region counts its own users; one who uses two regions counts twice.
          graph('Daily active users (sum of regions)', [
            summed('Daily active users', (region) =>
              service(region).metric('DailyActiveUsers', 'api', 'Maximum', {}, FIVE_MINUTES),
            ),
          ]),
          // Each summed graph names its lines r0, r1, ...: one sum per graph.
          graph('Returning users, 7 days (sum of regions)', [
            summed('Returning users', (region) =>
              service(region).metric('ReturningUsers7d', 'api', 'Maximum', {}, FIVE_MINUTES),
            ),
          ]),
          // A ratio does not sum: one line per region.
          graph(
            'Cache hit ratio (%)',
            perRegion((region) => service(region).metric('CacheHitRatio', 'api', 'Average')),
          ),
        ],
        ...(props.extraRows ?? []),
      ],
    });
  }
}
