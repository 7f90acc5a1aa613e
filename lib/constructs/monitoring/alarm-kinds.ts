import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { ApiService } from '../api-service';
import type { RegionalCache } from '../cache';
import type { AuroraShard } from '../database';
import type { InvalidationMesh } from '../invalidation-mesh';
import type { WorkQueue } from '../work-queue';
import type { WorkerService } from '../worker-service';
import { ERROR_LOGS_METRIC, ServiceMetrics } from './service-metrics';
import { ThresholdKey } from './thresholds';

const MINUTE = Duration.minutes(1);
const { GREATER_THAN_OR_EQUAL_TO_THRESHOLD: AT_OR_ABOVE, LESS_THAN_THRESHOLD: BELOW } = cloudwatch.ComparisonOperator;
const { BREACHING, NOT_BREACHING, MISSING } = cloudwatch.TreatMissingData;

/** One resource an alarm kind watches. */
export interface AlarmTarget {
  /** Part of the construct id, e.g. `Api` or `Shard0`. */
  readonly id: string;
  /** Names the resource in the alarm description. */
  readonly name: string;
  readonly metric: cloudwatch.IMetric;
}

/** How one threshold key becomes alarms: the same rule for every target. */
export interface AlarmKind {
  /** What is measured, for the description, e.g. `5xx rate`. */
  readonly what: string;
  /** Unit of the threshold, for the description. */
  readonly unit: string;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  /** One-minute periods evaluated; all must breach. */
  readonly periods: number;
  /** Why this choice is recorded in docs/decisions/0006-monitoring.md. */
  readonly treatMissingData: cloudwatch.TreatMissingData;
  /** Multiplies the threshold into the metric's unit (milliseconds to seconds). */
  readonly scale?: number;
  readonly targets: readonly AlarmTarget[];
}

/** The region's resources that monitoring watches. */
export interface MonitoredResources {
  readonly api: ApiService;
  readonly worker: WorkerService;
  /** The region's shards, in shard order; secondaries also get global-replication-lag alarms. */
  readonly databases: readonly AuroraShard[];
  readonly cache: RegionalCache;
  readonly workQueue: WorkQueue;
  readonly invalidation: InvalidationMesh;
}

/** Everything the alarm kinds read. */
export interface AlarmSources extends MonitoredResources {
  readonly service: ServiceMetrics;
  readonly serviceMetricsNamespace: string;
  /** Minutes the p99 latency must breach in a row. */
  readonly latencyPeriods: number;
}

/** The alarm kinds of one region, one per threshold key. */
export function alarmKinds(sources: AlarmSources): { readonly [K in ThresholdKey]-?: AlarmKind } {
  const { api, worker, databases, cache, workQueue, invalidation, service } = sources;
  const minute = { period: MINUTE };
  const services = [
    { id: 'Api', name: 'api', ecs: api.service },
    { id: 'Worker', name: 'worker', ecs: worker.service },
  ];
  const perService = (metric: (s: (typeof services)[number]) => cloudwatch.IMetric) =>
    services.map((s) => ({ id: s.id, name: `${s.name} service`, metric: metric(s) }));
  const perShard = (metric: (shard: AuroraShard) => cloudwatch.IMetric | undefined) =>
    databases.flatMap((shard, index) => {
      const m = metric(shard);
      return m ? [{ id: `Shard${index}`, name: `shard ${index}`, metric: m }] : [];
    });
  // A metric the cache lacks (replication lag without replicas) makes no alarm.
  const theCache = (metric: cloudwatch.IMetric | undefined) =>
    metric ? [{ id: 'Cache', name: `cache ${cache.replicationGroupId}`, metric }] : [];
  const emf = (name: 'api' | 'worker', metric: cloudwatch.IMetric) => ({ id: pascal(name), name, metric });

  return {
    serviceCpuPercent: {
      what: 'CPU',
      unit: '%',
      comparisonOperator: AT_OR_ABOVE,
      periods: 5,
      treatMissingData: NOT_BREACHING,
      targets: perService((s) => s.ecs.metricCpuUtilization(minute)),
    },
    serviceMemoryPercent: {
      what: 'memory',
      unit: '%',
      comparisonOperator: AT_OR_ABOVE,
      periods: 5,
      treatMissingData: NOT_BREACHING,
      targets: perService((s) => s.ecs.metricMemoryUtilization(minute)),
    },
    missingTasks: {
      what: 'tasks missing (desired − running)',
      unit: ' tasks',
      comparisonOperator: AT_OR_ABOVE,
      periods: 10,
      treatMissingData: MISSING,
      targets: perService((s) => missingTasks(s.ecs)),
    },
    minHealthyHosts: {
      what: 'healthy api targets',
      unit: ' targets',
      comparisonOperator: BELOW,
      periods: 2,
      treatMissingData: BREACHING,
      targets: [{ id: 'Api', name: 'api load balancer', metric: api.metricHealthyHostCount(minute) }],
    },
    api5xxRatePercent: {
      what: '5xx rate',
      unit: '%',
      comparisonOperator: AT_OR_ABOVE,
      periods: 3,
      treatMissingData: NOT_BREACHING,
      targets: [{ id: 'Api', name: 'api load balancer', metric: loadBalancer5xxRate(api) }],
    },
    p99LatencyMs: {
      what: 'p99 target response time',
      unit: ' ms',
      comparisonOperator: AT_OR_ABOVE,
      periods: sources.latencyPeriods,
      treatMissingData: NOT_BREACHING,
      scale: 1 / 1000,
      targets: [{ id: 'Api', name: 'api load balancer', metric: api.metricTargetResponseTime(99, minute) }],
    },
    databaseCpuPercent: {
      what: 'CPU',
      unit: '%',
      comparisonOperator: AT_OR_ABOVE,
      periods: 5,
      treatMissingData: MISSING,
      targets: perShard((shard) => shard.metricCpuUtilization(minute)),
    },
    databaseConnections: {
      what: 'connections',
      unit: '',
      comparisonOperator: AT_OR_ABOVE,
      periods: 5,
      treatMissingData: MISSING,
      targets: perShard((shard) => shard.metricDatabaseConnections(minute)),
    },
    replicaLagMs: {
      what: 'replica lag',
      unit: ' ms',
      comparisonOperator: AT_OR_ABOVE,
      periods: 5,
      treatMissingData: NOT_BREACHING,
      targets: perShard((shard) => shard.metricReplicaLag(minute)),
    },
    globalReplicationLagMs: {
      what: 'global replication lag',
      unit: ' ms',
      comparisonOperator: AT_OR_ABOVE,
      periods: 5,
      treatMissingData: MISSING,
      targets: perShard((shard) => shard.metricGlobalReplicationLag(minute)),
    },
    cacheCpuPercent: {
      what: 'engine CPU (busiest node)',
      unit: '%',
      comparisonOperator: AT_OR_ABOVE,
      periods: 5,
      treatMissingData: MISSING,
      targets: theCache(cache.metricEngineCpuUtilization()),
    },
    cacheMemoryPercent: {
      what: 'memory used (fullest node)',
      unit: '%',
      comparisonOperator: AT_OR_ABOVE,
      periods: 5,
      treatMissingData: MISSING,
      targets: theCache(cache.metricMemoryUsagePercentage()),
    },
    cacheEvictionsPerMinute: {
      what: 'evictions per minute',
      unit: '',
      comparisonOperator: AT_OR_ABOVE,
      periods: 5,
      treatMissingData: NOT_BREACHING,
      targets: theCache(cache.metricEvictions()),
    },
    cacheReplicationLagSeconds: {
      what: 'replication lag',
      unit: ' s',
      comparisonOperator: AT_OR_ABOVE,
      periods: 5,
      treatMissingData: NOT_BREACHING,
      targets: theCache(cache.metricReplicationLag()),
    },
    workQueueAgeSeconds: {
      what: 'age of the oldest job',
      unit: ' s',
      comparisonOperator: AT_OR_ABOVE,
      periods: 5,
      treatMissingData: NOT_BREACHING,
      targets: [{ id: 'WorkQueue', name: 'work queue', metric: workQueue.metricAgeOfOldestMessage(minute) }],
    },
    invalidationQueueAgeSeconds: {
      what: 'age of the oldest invalidation',
      unit: ' s',
      comparisonOperator: AT_OR_ABOVE,
      periods: 5,
      treatMissingData: NOT_BREACHING,
      targets: [
        { id: 'InvalidationQueue', name: 'invalidation queue', metric: invalidation.metricAgeOfOldestMessage(minute) },
      ],
    },
    dlqDepth: {
      what: 'messages in the dead-letter queue',
      unit: '',
      comparisonOperator: AT_OR_ABOVE,
      periods: 1,
      treatMissingData: NOT_BREACHING,
      targets: [
        { id: 'WorkQueue', name: 'work queue', metric: workQueue.metricDeadLetterDepth(minute) },
        { id: 'InvalidationQueue', name: 'invalidation queue', metric: invalidation.metricDeadLetterDepth(minute) },
      ],
    },
    loadShedPercent: {
      what: 'requests shed',
      unit: '%',
      comparisonOperator: AT_OR_ABOVE,
      periods: 3,
      treatMissingData: NOT_BREACHING,
      targets: [emf('api', service.loadShedRate())],
    },
    invalidationPublishFailures: {
      what: 'invalidations not published in 5 minutes',
      unit: '',
      comparisonOperator: AT_OR_ABOVE,
      periods: 1,
      treatMissingData: NOT_BREACHING,
      targets: [
        {
          id: 'Services',
          name: 'api and worker',
          metric: service.acrossServices('InvalidationPublishFailures', 'Sum', 'SUM', Duration.minutes(5)),
        },
      ],
    },
    outboxOldestAgeSeconds: {
      what: 'age of the oldest unpublished outbox row',
      unit: ' s',
      comparisonOperator: AT_OR_ABOVE,
      periods: 5,
      treatMissingData: NOT_BREACHING,
      targets: [
        { id: 'Services', name: 'api and worker', metric: service.acrossServices('OutboxOldestAge', 'Maximum', 'MAX') },
      ],
    },
    failedJobs: {
      what: 'jobs failed in 5 minutes',
      unit: '',
      comparisonOperator: AT_OR_ABOVE,
      periods: 1,
      treatMissingData: NOT_BREACHING,
      targets: [
        emf('worker', service.metric('JobsProcessed', 'worker', 'Sum', { Outcome: 'failed' }, Duration.minutes(5))),
      ],
    },
    errorLogs: {
      what: 'error log lines in 5 minutes',
      unit: '',
      comparisonOperator: AT_OR_ABOVE,
      periods: 1,
      treatMissingData: NOT_BREACHING,
      targets: (['api', 'worker'] as const).map((name) =>
        emf(name, service.metric(ERROR_LOGS_METRIC, name, 'Sum', {}, Duration.minutes(5))),
      ),
    },
  };
}

/** Container Insights' desired minus running tasks: capacity autoscaling asked for that is not there. */
function missingTasks(service: ApiService['service']): cloudwatch.MathExpression {
  const dimensionsMap = { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName };
  const metric = (metricName: string) =>
    new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName,
      dimensionsMap,
      statistic: 'Average',
      period: MINUTE,
    });
  return new cloudwatch.MathExpression({
    expression: 'desired - running',
    usingMetrics: { desired: metric('DesiredTaskCount'), running: metric('RunningTaskCount') },
    label: 'Tasks missing',
    period: MINUTE,
  });
}

/**
 * 5xx answers per request: the tasks' 5xx plus the load balancer's own (502/503/504 when no
 * target answers), over the requests forwarded to the tasks plus those load-balancer failures.
 * Requests refused for lacking the CDN header (403s from the listener) stay out of the rate.
 */
export function loadBalancer5xxRate(api: ApiService): cloudwatch.MathExpression {
  const elb5xx = api.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
    statistic: 'Sum',
    period: MINUTE,
  });
  return new cloudwatch.MathExpression({
    expression:
      'IF((FILL(requests, 0) + FILL(elb, 0)) > 0, 100 * (FILL(target, 0) + FILL(elb, 0)) / (FILL(requests, 0) + FILL(elb, 0)), 0)',
    usingMetrics: {
      requests: api.metricRequestCount({ period: MINUTE }),
      target: api.metricTarget5xxCount({ period: MINUTE }),
      elb: elb5xx,
    },
    label: '5xx rate (%)',
    period: MINUTE,
  });
}

/** `page` → `Page`, `p99LatencyMs` → `P99LatencyMs`, for construct ids. */
export const pascal = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
