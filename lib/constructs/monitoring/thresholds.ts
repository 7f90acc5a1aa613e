/** Who is told: `page` wakes the on-call now, `ticket` is read in working hours. */
export type Severity = 'page' | 'ticket';
export const SEVERITIES: readonly Severity[] = ['page', 'ticket'];

/**
 * Alarm thresholds of one severity. Each key is one kind of alarm, made for every resource of
 * that kind in the region (both services, every shard, both queues); a key left out of a
 * severity makes no alarm of that severity. Units are in the names.
 */
export interface AlarmThresholds {
  /** ECS CPU of the api and worker services, average over 5 minutes. */
  readonly serviceCpuPercent?: number;
  /** ECS memory of the api and worker services, average over 5 minutes. */
  readonly serviceMemoryPercent?: number;
  /** Tasks that autoscaling asked for but are not running (desired − running), for 10 minutes. */
  readonly missingTasks?: number;
  /** Fewest healthy api targets behind the load balancer; below it for 2 minutes alarms. */
  readonly minHealthyHosts?: number;
  /** 5xx answers (tasks and load balancer) per request forwarded to the tasks, 3 minutes in a row. */
  readonly api5xxRatePercent?: number;
  /** Target response time at p99, for `latencyPeriods` minutes in a row. */
  readonly p99LatencyMs?: number;
  /** Aurora CPU of each shard, 5 minutes. */
  readonly databaseCpuPercent?: number;
  /** Open connections of each shard, 5 minutes. */
  readonly databaseConnections?: number;
  /** In-region Aurora replica lag of each shard, 5 minutes. */
  readonly replicaLagMs?: number;
  /** Lag of each secondary shard behind the primary region (secondary regions only), 5 minutes. */
  readonly globalReplicationLagMs?: number;
  /** Valkey engine (main thread) CPU, busiest node, 5 minutes. */
  readonly cacheCpuPercent?: number;
  /** Percent of the cache's `maxmemory` in use, fullest node, 5 minutes. */
  readonly cacheMemoryPercent?: number;
  /** Keys evicted per minute across the nodes, 5 minutes. */
  readonly cacheEvictionsPerMinute?: number;
  /** Seconds an in-region cache replica trails its primary, 5 minutes. */
  readonly cacheReplicationLagSeconds?: number;
  /** Age of the oldest job on the work queue, 5 minutes. */
  readonly workQueueAgeSeconds?: number;
  /** Age of the oldest invalidation on this region's invalidation queue, 5 minutes. */
  readonly invalidationQueueAgeSeconds?: number;
  /** Messages in the work queue's or the invalidation queue's dead-letter queue. */
  readonly dlqDepth?: number;
  /** Requests the api shed (answered 503 before routing) per request offered, 3 minutes. */
  readonly loadShedPercent?: number;
  /** Invalidations the services failed to publish in 5 minutes (EMF `InvalidationPublishFailures`). */
  readonly invalidationPublishFailures?: number;
  /** Age of the oldest unpublished outbox row (EMF `OutboxOldestAge`), 5 minutes. */
  readonly outboxOldestAgeSeconds?: number;
  /** Jobs the worker failed in 5 minutes (EMF `JobsProcessed`, `Outcome=failed`). */
  readonly failedJobs?: number;
  /** Log lines at level error or fatal per service in 5 minutes. */
  readonly errorLogs?: number;
}

export type ThresholdKey = keyof AlarmThresholds;

/** Alarms as data, keyed by severity; given keys override the defaults key by key. */
export type MonitoringThresholds = { readonly [S in Severity]?: AlarmThresholds };

/** Complete thresholds after defaults. */
export type ResolvedThresholds = { readonly [S in Severity]: AlarmThresholds };

/**
 * The defaults. Page only on what users feel now (errors, latency, no hosts, lost or stuck work,
 * a region falling far behind); everything that predicts trouble is a ticket.
 */
export const DEFAULT_THRESHOLDS: ResolvedThresholds = {
  page: {
    minHealthyHosts: 1,
    api5xxRatePercent: 5,
    p99LatencyMs: 3000,
    globalReplicationLagMs: 60_000,
    dlqDepth: 100,
    loadShedPercent: 10,
    outboxOldestAgeSeconds: 900,
  },
  ticket: {
    serviceCpuPercent: 85,
    serviceMemoryPercent: 90,
    missingTasks: 1,
    api5xxRatePercent: 1,
    p99LatencyMs: 1000,
    databaseCpuPercent: 80,
    databaseConnections: 1000,
    replicaLagMs: 2000,
    globalReplicationLagMs: 5000,
    cacheCpuPercent: 80,
    cacheMemoryPercent: 90,
    cacheEvictionsPerMinute: 1000,
    cacheReplicationLagSeconds: 10,
    workQueueAgeSeconds: 900,
    invalidationQueueAgeSeconds: 300,
    dlqDepth: 1,
    loadShedPercent: 1,
    invalidationPublishFailures: 1,
    outboxOldestAgeSeconds: 120,
    failedJobs: 10,
    errorLogs: 10,
  },
};

type Range = { readonly max: number; readonly integer: boolean; readonly allowed: string };
const percent: Range = { max: 100, integer: false, allowed: 'a number above 0 and at most 100' };
const count = (max: number): Range => ({ max, integer: true, allowed: `an integer from 1 to ${max}` });
const upTo = (max: number, unit: string): Range => ({
  max,
  integer: false,
  allowed: `a number of ${unit} above 0 and at most ${max}`,
});

/** What each threshold may be: positive, percentages at most 100, counts whole. */
export const THRESHOLD_RANGES: { readonly [K in ThresholdKey]-?: Range } = {
  serviceCpuPercent: percent,
  serviceMemoryPercent: percent,
  missingTasks: count(1000),
  minHealthyHosts: count(1000),
  api5xxRatePercent: percent,
  p99LatencyMs: upTo(60_000, 'milliseconds'),
  databaseCpuPercent: percent,
  databaseConnections: count(100_000),
  replicaLagMs: upTo(3_600_000, 'milliseconds'),
  globalReplicationLagMs: upTo(3_600_000, 'milliseconds'),
  cacheCpuPercent: percent,
  cacheMemoryPercent: percent,
  cacheEvictionsPerMinute: count(100_000_000),
  cacheReplicationLagSeconds: upTo(3600, 'seconds'),
  // SQS keeps a message at most 14 days.
  workQueueAgeSeconds: upTo(14 * 86400, 'seconds'),
  invalidationQueueAgeSeconds: upTo(14 * 86400, 'seconds'),
  dlqDepth: count(1_000_000),
  loadShedPercent: percent,
  invalidationPublishFailures: count(1_000_000),
  outboxOldestAgeSeconds: upTo(14 * 86400, 'seconds'),
  failedJobs: count(1_000_000),
  errorLogs: count(1_000_000),
};

/** A threshold that is not allowed: where under the thresholds (`page.dlqDepth`), and why. */
export interface ThresholdIssue {
  readonly path: string;
  readonly value: unknown;
  readonly allowed: string;
  readonly problem: string;
}

/**
 * The first threshold in `given` that is not allowed, or undefined. Values for which
 * `isDeployTime` holds (tokens) are left unchecked. Pure, without CDK imports, so that the app's
 * config checks its `monitoring.thresholds` with it too.
 */
export function findThresholdIssue(
  given: MonitoringThresholds,
  isDeployTime: (value: number) => boolean = () => false,
): ThresholdIssue | undefined {
  for (const [severity, thresholds] of Object.entries(given)) {
    if (!SEVERITIES.includes(severity as Severity)) {
      return { path: severity, value: thresholds, allowed: SEVERITIES.join(' or '), problem: 'is not allowed' };
    }
    for (const [key, value] of Object.entries(thresholds ?? {}) as [string, number | undefined][]) {
      const path = `${severity}.${key}`;
      const range = THRESHOLD_RANGES[key as ThresholdKey];
      if (!range) {
        return {
          path,
          value,
          allowed: `one of ${Object.keys(THRESHOLD_RANGES).join(', ')}`,
          problem: 'is not allowed',
        };
      }
      if (value === undefined || isDeployTime(value)) continue;
      const valid =
        typeof value === 'number' &&
        Number.isFinite(value) &&
        value > 0 &&
        value <= range.max &&
        (!range.integer || Number.isInteger(value));
      if (!valid) return { path, value, allowed: range.allowed, problem: 'is out of range' };
    }
  }
  return undefined;
}
