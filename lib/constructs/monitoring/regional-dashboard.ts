import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CLOUDFRONT_REGION } from '../choices';
import { AlarmSources, loadBalancer5xxRate } from './alarm-kinds';
import { ERROR_LOGS_METRIC, JOB_OUTCOMES, STATUS_CLASSES } from './service-metrics';

/** Section titles, in dashboard order. */
export const REGIONAL_SECTIONS = ['Service', 'Data', 'Queues', 'Edge'] as const;

export interface RegionalDashboardInput extends AlarmSources {
  readonly regionLabel: string;
  readonly alarms: readonly cloudwatch.IAlarm[];
  readonly webAclName?: string;
}

const MINUTE = Duration.minutes(1);
const WIDTH = 8;
const HEIGHT = 6;

const graph = (title: string, left: cloudwatch.IMetric[], props: Partial<cloudwatch.GraphWidgetProps> = {}) =>
  new cloudwatch.GraphWidget({ title, left, width: WIDTH, height: HEIGHT, period: MINUTE, ...props });
/** A graph of the metrics the resources have, or no widget when they have none. */
const optionalGraph = (title: string, ...metrics: Array<cloudwatch.IMetric | undefined>) => {
  const present = metrics.filter((metric): metric is cloudwatch.IMetric => metric !== undefined);
  return present.length > 0 ? [graph(title, present)] : [];
};
const header = (title: string, text: string) =>
  new cloudwatch.TextWidget({ markdown: `## ${title}\n${text}`, width: 24, height: 2 });

/** The rows of one region's dashboard: alarm states, then the service, data, queue and edge sections. */
export function regionalDashboardRows(input: RegionalDashboardInput): cloudwatch.IWidget[][] {
  const { api, worker, databases, cache, workQueue, invalidation, service } = input;
  const minute = { period: MINUTE };
  const perShard = (metric: (index: number) => cloudwatch.IMetric | undefined) =>
    databases.flatMap((_, index) => {
      const m = metric(index);
      return m ? [m] : [];
    });
  const shardLabel = (index: number) => ({ ...minute, label: `shard ${index}` });

  const serviceSection = [
    header('Service', `api and worker in ${input.regionLabel}; business metrics from the service (EMF).`),
    graph(
      'Requests by status class',
      STATUS_CLASSES.map((statusClass) => service.requests(statusClass)),
      { stacked: true },
    ),
    graph('api 5xx rate (%)', [loadBalancer5xxRate(api), service.serverErrorRate('5xx rate seen by the service (%)')]),
    graph('api latency', [
      api.metricTargetResponseTime(50, { ...minute, label: 'p50 (s)' }),
      api.metricTargetResponseTime(99, { ...minute, label: 'p99 (s)' }),
    ]),
    graph('api targets', [
      api.metricHealthyHostCount({ ...minute, label: 'healthy' }),
      api.metricUnhealthyHostCount({ ...minute, label: 'unhealthy' }),
    ]),
    graph('CPU (%)', [
      api.service.metricCpuUtilization({ ...minute, label: 'api' }),
      worker.service.metricCpuUtilization({ ...minute, label: 'worker' }),
    ]),
    graph('Memory (%)', [
      api.service.metricMemoryUtilization({ ...minute, label: 'api' }),
      worker.service.metricMemoryUtilization({ ...minute, label: 'worker' }),
    ]),
    graph('Load shed and errors', [
      service.loadShedRate(),
      ...(['api', 'worker'] as const).map((name) => service.metric(ERROR_LOGS_METRIC, name, 'Sum')),
    ]),
    graph('Items written', [service.metric('ItemsWritten', 'api', 'Sum')]),
    graph(
      'Jobs processed by outcome',
      JOB_OUTCOMES.map((outcome) => service.metric('JobsProcessed', 'worker', 'Sum', { Outcome: outcome })),
      { stacked: true },
    ),
    // Every api task reports the same count from the cache, so the maximum, not the sum.
    graph('Daily active users', [
      service.metric('DailyActiveUsers', 'api', 'Maximum'),
      service.metric('ReturningUsers7d', 'api', 'Maximum'),
    ]),
    graph('Cache hit ratio (%)', [
      service.metric('CacheHitRatio', 'api', 'Average'),
      cache.metricCacheHitRate(undefined, { label: 'engine hit rate (%)' }),
    ]),
    graph('Worker backlog per task', [worker.metricBacklogPerTask()]),
    // Container Insights (enhanced) reports each task's ephemeral storage; the busiest task.
    graph(
      'Task ephemeral storage used (GB)',
      [api.service, worker.service].map(
        (svc, i) =>
          new cloudwatch.Metric({
            namespace: 'ECS/ContainerInsights',
            metricName: 'EphemeralStorageUtilized',
            dimensionsMap: { ClusterName: svc.cluster.clusterName, ServiceName: svc.serviceName },
            statistic: 'Maximum',
            period: MINUTE,
            label: i === 0 ? 'api' : 'worker',
          }),
      ),
    ),
  ];

  const dataSection = [
    header('Data', 'Aurora shards and the regional cache.'),
    graph(
      'Database CPU (%)',
      perShard((i) => databases[i].metricCpuUtilization(shardLabel(i))),
    ),
    graph(
      'Database connections',
      perShard((i) => databases[i].metricDatabaseConnections(shardLabel(i))),
    ),
    ...optionalGraph(
      'Database replication lag (ms)',
      ...perShard((i) => databases[i].metricReplicaLag({ ...minute, label: `shard ${i} replicas` })),
      ...perShard((i) => databases[i].metricGlobalReplicationLag({ ...minute, label: `shard ${i} behind primary` })),
    ),
    graph(
      'Database IOPS',
      perShard((i) => databases[i].cluster.metric('ReadIOPS', { ...shardLabel(i), label: `shard ${i} read` })),
      {
        right: perShard((i) =>
          databases[i].cluster.metric('WriteIOPS', { ...shardLabel(i), label: `shard ${i} write` }),
        ),
      },
    ),
    graph(
      'Database I/O latency (s)',
      perShard((i) => databases[i].cluster.metric('ReadLatency', { ...shardLabel(i), label: `shard ${i} read` })),
      {
        right: perShard((i) =>
          databases[i].cluster.metric('WriteLatency', { ...shardLabel(i), label: `shard ${i} write` }),
        ),
      },
    ),
    // One cache expression per graph: each names its nodes n0, n1, ...
    graph('Cache engine CPU (%)', [cache.metricEngineCpuUtilization()]),
    graph('Cache memory used (%)', [cache.metricMemoryUsagePercentage()]),
    graph('Cache evictions', [cache.metricEvictions()]),
    ...optionalGraph('Cache replication lag (s)', cache.metricReplicationLag()),
  ];

  const queueSection = [
    header('Queues', 'The work queue, the invalidation mesh and their dead-letter queues.'),
    graph('Backlog', [
      workQueue.metricBacklog({ ...minute, label: 'work' }),
      invalidation.metricBacklog({ ...minute, label: 'invalidation' }),
    ]),
    graph('Age of oldest message (s)', [
      workQueue.metricAgeOfOldestMessage({ ...minute, label: 'work' }),
      invalidation.metricAgeOfOldestMessage({ ...minute, label: 'invalidation' }),
    ]),
    graph('Dead-letter queues', [
      workQueue.metricDeadLetterDepth({ ...minute, label: 'work' }),
      invalidation.metricDeadLetterDepth({ ...minute, label: 'invalidation' }),
    ]),
    graph('Invalidations', [
      service.acrossServices('InvalidationsPublished', 'Sum', 'SUM'),
      service.acrossServices('InvalidationPublishFailures', 'Sum', 'SUM'),
      service.metric('InvalidationsApplied', 'api', 'Sum'),
      invalidation.metricFailedNotifications({ ...minute, label: 'SNS deliveries failed' }),
    ]),
    graph('Outbox and invalidation lag', [service.acrossServices('OutboxOldestAge', 'Maximum', 'MAX')], {
      right: [service.metric('InvalidationLag', 'api', 'p99')],
      leftYAxis: { label: 'outbox age (s)', showUnits: false },
      rightYAxis: { label: 'lag p99 (ms)', showUnits: false },
    }),
    graph('Jobs enqueued and job duration', [service.metric('JobsEnqueued', 'api', 'Sum')], {
      right: [service.metric('JobDuration', 'worker', 'p99')],
    }),
  ];

  const edgeSection = [
    header('Edge', 'What reaches this region from the CDN; the web ACL is global (us-east-1).'),
    graph('Load balancer', [
      api.metricRequestCount({ ...minute, label: 'requests to the tasks' }),
      api.metricTarget5xxCount({ ...minute, label: 'task 5xx' }),
    ]),
    ...(input.webAclName
      ? [
          graph('WAF blocked requests (all regions)', [
            new cloudwatch.Metric({
              namespace: 'AWS/WAFV2',
              metricName: 'BlockedRequests',
              // A CloudFront web ACL publishes in us-east-1 without a Region dimension.
              dimensionsMap: { WebACL: input.webAclName, Rule: 'ALL' },
              statistic: 'Sum',
              period: MINUTE,
              region: CLOUDFRONT_REGION,
            }),
          ]),
        ]
      : []),
  ];

  return [
    [
      new cloudwatch.AlarmStatusWidget({
        title: `Alarms in ${input.regionLabel}`,
        alarms: [...input.alarms],
        width: 24,
      }),
    ],
    serviceSection,
    dataSection,
    queueSection,
    edgeSection,
  ];
}
