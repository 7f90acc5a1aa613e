/**
 * Business and health metrics as CloudWatch Embedded Metric Format (EMF) log lines.
 * Values are aggregated in memory and flushed every METRICS_FLUSH_INTERVAL_MS, so a busy
 * task writes a handful of lines per interval instead of one per request.
 * The catalogue below is the contract the monitoring stack alarms on (see README).
 */
import { DEPENDENCIES } from './errors.js';

type Unit = 'Count' | 'Milliseconds' | 'Seconds' | 'Percent';
type DimensionName = 'Service' | 'Route' | 'StatusClass' | 'Reason' | 'Tier' | 'Shard' | 'Dependency' | 'Outcome';
/** The process that writes a metric; its `Service` dimension is that process's SERVICE_NAME. */
export type Emitter = 'api' | 'worker';

interface MetricDefinition {
  unit: Unit;
  /** Dimension sets CloudWatch materialises; every set includes Service. */
  dimensions: DimensionName[][];
  kind: 'counter' | 'distribution' | 'gauge';
  /** Which processes have a call site for it (Core in runtime.ts runs in both). */
  emittedBy: readonly Emitter[];
}

const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;

/**
 * Values of the dimensions that do not depend on the deployment; Dims admits no others.
 * Route (route patterns and "unmatched") and Shard (SHARD_MAP names) are the deployment's.
 */
export const DIMENSION_VALUES = {
  StatusClass: STATUS_CLASSES,
  Reason: ['in_flight', 'event_loop'],
  Tier: ['near', 'redis'],
  Dependency: DEPENDENCIES,
  Outcome: ['succeeded', 'duplicate', 'failed', 'dead_lettered'],
} as const satisfies Partial<Record<DimensionName, readonly string[]>>;
type FixedDimension = keyof typeof DIMENSION_VALUES;

const API = ['api'] as const;
const WORKER = ['worker'] as const;
const BOTH = ['api', 'worker'] as const;

export const METRIC_CATALOGUE = {
  Requests: {
    unit: 'Count',
    kind: 'counter',
    emittedBy: API,
    dimensions: [
      ['Service', 'Route', 'StatusClass'],
      ['Service', 'StatusClass'],
    ],
  },
  RequestLatency: { unit: 'Milliseconds', kind: 'distribution', emittedBy: API, dimensions: [['Service', 'Route']] },
  LoadShed: { unit: 'Count', kind: 'counter', emittedBy: API, dimensions: [['Service', 'Reason'], ['Service']] },
  EventLoopDelay: { unit: 'Milliseconds', kind: 'gauge', emittedBy: API, dimensions: [['Service']] },
  // The worker's ItemCache only invalidates: it never reads through the cache.
  CacheHits: { unit: 'Count', kind: 'counter', emittedBy: API, dimensions: [['Service', 'Tier'], ['Service']] },
  CacheMisses: { unit: 'Count', kind: 'counter', emittedBy: API, dimensions: [['Service']] },
  CacheHitRatio: { unit: 'Percent', kind: 'gauge', emittedBy: API, dimensions: [['Service']] },
  DbQueries: { unit: 'Count', kind: 'counter', emittedBy: BOTH, dimensions: [['Service', 'Shard'], ['Service']] },
  DependencyErrors: { unit: 'Count', kind: 'counter', emittedBy: BOTH, dimensions: [['Service', 'Dependency']] },
  // Counted by ItemService.write (PUT); a job's increment is counted as JobsProcessed instead.
  ItemsWritten: { unit: 'Count', kind: 'counter', emittedBy: API, dimensions: [['Service']] },
  DailyActiveUsers: { unit: 'Count', kind: 'gauge', emittedBy: API, dimensions: [['Service']] },
  // Of today's active users, those also active on one of the 7 days before (retention).
  ReturningUsers7d: { unit: 'Count', kind: 'gauge', emittedBy: API, dimensions: [['Service']] },
  JobsEnqueued: { unit: 'Count', kind: 'counter', emittedBy: API, dimensions: [['Service']] },
  JobsProcessed: {
    unit: 'Count',
    kind: 'counter',
    emittedBy: WORKER,
    dimensions: [['Service', 'Outcome'], ['Service']],
  },
  JobDuration: { unit: 'Milliseconds', kind: 'distribution', emittedBy: WORKER, dimensions: [['Service']] },
  InvalidationsPublished: { unit: 'Count', kind: 'counter', emittedBy: BOTH, dimensions: [['Service']] },
  InvalidationPublishFailures: { unit: 'Count', kind: 'counter', emittedBy: BOTH, dimensions: [['Service']] },
  OutboxOldestAge: { unit: 'Seconds', kind: 'gauge', emittedBy: BOTH, dimensions: [['Service']] },
  InvalidationsApplied: { unit: 'Count', kind: 'counter', emittedBy: API, dimensions: [['Service']] },
  InvalidationLag: { unit: 'Milliseconds', kind: 'distribution', emittedBy: API, dimensions: [['Service']] },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRIC_CATALOGUE;
type Dims = {
  [D in Exclude<DimensionName, 'Service'>]?: D extends FixedDimension ? (typeof DIMENSION_VALUES)[D][number] : string;
};

/**
 * Every series (metric name + dimension values; CloudWatch bills each as one custom metric)
 * the catalogue lets `emitter` write, given the deployment's routes and shard names. Keys are
 * `Name` for a Service-only set, else `Name Dim=value ...` in the order of the dimension set.
 */
export function possibleSeries(
  emitter: Emitter,
  domains: { routes: readonly string[]; shards: readonly string[] },
): string[] {
  const valuesOf = (d: Exclude<DimensionName, 'Service'>): readonly string[] =>
    d === 'Route' ? domains.routes : d === 'Shard' ? domains.shards : DIMENSION_VALUES[d];
  const keys: string[] = [];
  for (const [name, def] of Object.entries(METRIC_CATALOGUE)) {
    if (!(def.emittedBy as readonly Emitter[]).includes(emitter)) continue;
    for (const set of def.dimensions) {
      let partial = [name];
      for (const d of set) {
        if (d === 'Service') continue;
        partial = partial.flatMap((k) => valuesOf(d).map((v) => `${k} ${d}=${v}`));
      }
      keys.push(...partial);
    }
  }
  return keys;
}

/** CloudWatch accepts at most 100 distinct values per Values/Counts array. */
const MAX_VALUES_PER_LINE = 100;

/** Rounds to two significant digits (~5% error) so latency distributions stay compact. */
function bucket(v: number): number {
  if (v <= 0) return 0;
  if (v < 1) return Math.round(v * 10) / 10;
  if (v < 100) return v < 10 ? Math.round(v * 10) / 10 : Math.round(v);
  return Number(v.toPrecision(2));
}

interface Series {
  name: MetricName;
  dims: Dims;
  sum: number;
  gauge: number;
  hist: Map<number, number> | undefined;
}

export type MetricsSink = (line: string) => void;

export const stdoutSink: MetricsSink = (line) => {
  process.stdout.write(line + '\n');
};

/** Per-route request counters, kept apart from the generic series because they are hit on every request. */
interface RouteStats {
  byClass: [number, number, number, number];
  latency: Map<number, number>;
}

export class Metrics {
  private series = new Map<string, Series>();
  private routes = new Map<string, RouteStats>();
  private timer: NodeJS.Timeout | undefined;
  private collectors: Array<() => void | Promise<void>> = [];

  constructor(
    private readonly namespace: string,
    private readonly service: string,
    private readonly sink: MetricsSink = stdoutSink,
  ) {}

  private get(name: MetricName, dims: Dims | undefined): Series {
    let key: string = name;
    if (dims) for (const k in dims) key += '|' + k + '=' + dims[k as keyof Dims];
    let s = this.series.get(key);
    if (!s) {
      s = { name, dims: dims ?? {}, sum: 0, gauge: 0, hist: undefined };
      this.series.set(key, s);
    }
    return s;
  }

  count(name: MetricName, value = 1, dims?: Dims): void {
    this.get(name, dims).sum += value;
  }

  observe(name: MetricName, value: number, dims?: Dims): void {
    const s = this.get(name, dims);
    s.hist ??= new Map();
    const b = bucket(value);
    s.hist.set(b, (s.hist.get(b) ?? 0) + 1);
  }

  /** Records one answered request: Requests by Route/StatusClass and RequestLatency by Route. */
  request(route: string, statusCode: number, latencyMs: number): void {
    let r = this.routes.get(route);
    if (r === undefined) {
      r = { byClass: [0, 0, 0, 0], latency: new Map() };
      this.routes.set(route, r);
    }
    r.byClass[statusCode >= 500 ? 3 : statusCode >= 400 ? 2 : statusCode >= 300 ? 1 : 0]++;
    const b = bucket(latencyMs);
    r.latency.set(b, (r.latency.get(b) ?? 0) + 1);
  }

  gauge(name: MetricName, value: number, dims?: Dims): void {
    this.get(name, dims).gauge = value;
  }

  /** Registers a callback that records gauges just before each flush. */
  addCollector(fn: () => void | Promise<void>): void {
    this.collectors.push(fn);
  }

  start(intervalMs: number, onError: (err: unknown) => void): void {
    this.timer = setInterval(() => {
      this.flush().catch(onError);
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Writes one EMF line per (dimension sets, dimension values) group, then resets. */
  async flush(): Promise<void> {
    const results = await Promise.allSettled(this.collectors.map(async (c) => c()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const [route, r] of this.routes) {
      r.byClass.forEach((n, i) => {
        if (n > 0) this.count('Requests', n, { Route: route, StatusClass: STATUS_CLASSES[i] });
      });
      if (r.latency.size > 0) this.get('RequestLatency', { Route: route }).hist = r.latency;
    }
    this.routes.clear();
    const series = [...this.series.values()];
    this.series.clear();
    const groups = new Map<string, Series[]>();
    for (const s of series) {
      const def = METRIC_CATALOGUE[s.name];
      const gkey = JSON.stringify(def.dimensions) + JSON.stringify(s.dims);
      const g = groups.get(gkey);
      if (g) g.push(s);
      else groups.set(gkey, [s]);
    }
    const timestamp = Date.now();
    for (const group of groups.values()) this.writeGroup(group, timestamp);
    if (failed) throw failed.reason;
  }

  private writeGroup(group: Series[], timestamp: number): void {
    const first = group[0];
    if (!first) return;
    const dimensionSets = METRIC_CATALOGUE[first.name].dimensions;
    const base: Record<string, unknown> = { Service: this.service, ...first.dims };
    const scalar = { ...base };
    const scalarMetrics: Array<{ Name: string; Unit: string }> = [];
    for (const s of group) {
      const def: MetricDefinition = METRIC_CATALOGUE[s.name];
      if (def.kind === 'distribution') {
        // Split large distributions across lines to respect the 100-value limit.
        const entries = [...(s.hist ?? new Map<number, number>())];
        for (let i = 0; i < entries.length; i += MAX_VALUES_PER_LINE) {
          const chunk = entries.slice(i, i + MAX_VALUES_PER_LINE);
          this.emit(timestamp, dimensionSets, [{ Name: s.name, Unit: def.unit }], {
            ...base,
            [s.name]: { Values: chunk.map((e) => e[0]), Counts: chunk.map((e) => e[1]) },
          });
        }
      } else {
        scalar[s.name] = def.kind === 'gauge' ? s.gauge : s.sum;
        scalarMetrics.push({ Name: s.name, Unit: def.unit });
      }
    }
    if (scalarMetrics.length > 0) this.emit(timestamp, dimensionSets, scalarMetrics, scalar);
  }

  private emit(
    timestamp: number,
    dimensions: DimensionName[][],
    metrics: Array<{ Name: string; Unit: string }>,
    values: Record<string, unknown>,
  ): void {
    this.sink(
      JSON.stringify({
        _aws: {
          Timestamp: timestamp,
          CloudWatchMetrics: [{ Namespace: this.namespace, Dimensions: dimensions, Metrics: metrics }],
        },
        ...values,
      }),
    );
  }
}
