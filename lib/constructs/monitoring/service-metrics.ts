import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** The `Service` dimension the sample service writes into every EMF metric (`SERVICE_NAME`). */
export type ServiceName = 'api' | 'worker';

/** Values of the `StatusClass` dimension of `Requests` (service/src/metrics.ts `statusClass`). */
export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;

/** Values of the `Outcome` dimension of `JobsProcessed` (service/src/jobs/processor.ts). */
export const JOB_OUTCOMES = ['succeeded', 'duplicate', 'failed', 'dead_lettered'] as const;

/** Metric the error-log filters write, in the service namespace with the `Service` dimension. */
export const ERROR_LOGS_METRIC = 'ErrorLogs';

const MINUTE = Duration.minutes(1);

/**
 * The sample service's EMF metrics (service/src/metrics.ts is the catalogue), in one region.
 * Every metric is addressed with exactly one of the dimension sets the service materialises,
 * or CloudWatch holds no data for it: e.g. `Requests` exists per (Service, StatusClass) but not
 * per Service alone, so the total is the sum of the status classes.
 */
export class ServiceMetrics {
  /**
   * @param namespace the service's `METRICS_NAMESPACE`
   * @param region    set for a metric of another region (the global dashboard)
   */
  /** Makes expression ids unique when several regions' expressions share one graph. */
  private readonly idSuffix: string;

  constructor(
    private readonly namespace: string,
    private readonly region?: string,
  ) {
    this.idSuffix = region ? `_${region.replace(/-/g, '_')}` : '';
  }

  /** One EMF metric of one service; `dimensions` besides `Service` must form a materialised set. */
  metric(
    metricName: string,
    service: ServiceName,
    statistic: string,
    dimensions: Record<string, string> = {},
    period = MINUTE,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName,
      dimensionsMap: { Service: service, ...dimensions },
      statistic,
      period,
      region: this.region,
      label: [metricName, service, ...Object.values(dimensions), this.region].filter(Boolean).join(' '),
    });
  }

  /** Requests of one status class answered by the api. */
  requests(statusClass: (typeof STATUS_CLASSES)[number], period = MINUTE): cloudwatch.Metric {
    return this.metric('Requests', 'api', 'Sum', { StatusClass: statusClass }, period);
  }

  /** Every request the api answered (the sum of the status classes; there is no Service-only set). */
  totalRequests(label = 'Requests', period = MINUTE): cloudwatch.MathExpression {
    const usingMetrics = this.byStatusClass(period);
    return this.math(
      Object.keys(usingMetrics)
        .map((id) => `FILL(${id}, 0)`)
        .join(' + '),
      usingMetrics,
      label,
      period,
    );
  }

  /** Percent of the api's answers that were 5xx, as the service saw them. */
  serverErrorRate(label = '5xx rate (%)', period = MINUTE): cloudwatch.MathExpression {
    const usingMetrics = this.byStatusClass(period);
    const total = Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + ');
    const errors = `r5xx${this.idSuffix}`;
    return this.math(`IF((${total}) > 0, 100 * FILL(${errors}, 0) / (${total}), 0)`, usingMetrics, label, period);
  }

  /** Percent of offered requests the api shed; shed requests never reach routing, so are not in `Requests`. */
  loadShedRate(label = 'Load shed (%)', period = MINUTE): cloudwatch.MathExpression {
    const shed = `shed${this.idSuffix}`;
    const usingMetrics = { ...this.byStatusClass(period), [shed]: this.metric('LoadShed', 'api', 'Sum', {}, period) };
    const offered = Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + ');
    return this.math(`IF((${offered}) > 0, 100 * FILL(${shed}, 0) / (${offered}), 0)`, usingMetrics, label, period);
  }

  /** A metric both services emit, combined: `SUM` for counters, `MAX` for gauges and ages. */
  acrossServices(metricName: string, statistic: string, combine: 'SUM' | 'MAX', period = MINUTE) {
    const id = (service: ServiceName) =>
      `${metricName.charAt(0).toLowerCase()}${metricName.slice(1)}_${service}${this.idSuffix}`;
    const usingMetrics = {
      [id('api')]: this.metric(metricName, 'api', statistic, {}, period),
      [id('worker')]: this.metric(metricName, 'worker', statistic, {}, period),
    };
    const label = `${metricName} (${combine === 'SUM' ? 'api + worker' : 'max of api, worker'})`;
    return this.math(`${combine}([FILL(${id('api')}, 0), FILL(${id('worker')}, 0)])`, usingMetrics, label, period);
  }

  /** Slowest route's p99 `RequestLatency` (only per route exists); a SEARCH, so graphs only. */
  slowestRouteP99(label: string, period = MINUTE): cloudwatch.MathExpression {
    const search = `SEARCH('{${this.namespace},Route,Service} MetricName="RequestLatency" Service="api"', 'p99', ${period.toSeconds()})`;
    return new cloudwatch.MathExpression({
      expression: `MAX(${search})`,
      usingMetrics: {},
      label,
      period,
      searchRegion: this.region,
    });
  }

  private byStatusClass(period: Duration): Record<string, cloudwatch.IMetric> {
    return Object.fromEntries(
      STATUS_CLASSES.map((statusClass) => [`r${statusClass}${this.idSuffix}`, this.requests(statusClass, period)]),
    );
  }

  private math(
    expression: string,
    usingMetrics: Record<string, cloudwatch.IMetric>,
    label: string,
    period: Duration,
  ): cloudwatch.MathExpression {
    // searchRegion also places a plain expression in the region of its metrics on a dashboard.
    return new cloudwatch.MathExpression({ expression, usingMetrics, label, period, searchRegion: this.region });
  }
}
