import { Annotations, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, IConstruct } from 'constructs';
import { allowCloudWatchAlarmsToUse } from './monitoring/alarm-key';
import { AlarmSources, MonitoredResources, alarmKinds, pascal } from './monitoring/alarm-kinds';
import { regionalDashboardRows } from './monitoring/regional-dashboard';
import { ERROR_LOGS_METRIC, ServiceMetrics, ServiceName } from './monitoring/service-metrics';
import {
  MonitoringThresholds,
  ResolvedThresholds,
  SEVERITIES,
  Severity,
  ThresholdKey,
  DEFAULT_THRESHOLDS,
  findThresholdIssue,
} from './monitoring/thresholds';
import { checkInteger, PropError } from './validation';

export { GlobalDashboard } from './monitoring/global-dashboard';
export type { GlobalDashboardProps } from './monitoring/global-dashboard';
export { DEFAULT_THRESHOLDS, SEVERITIES, THRESHOLD_RANGES } from './monitoring/thresholds';
export type { AlarmThresholds, MonitoringThresholds, Severity, ThresholdKey } from './monitoring/thresholds';

/** The page alarms whose OR is the region's health: errors, no hosts, slow answers. */
export const REGION_HEALTH_INPUTS = ['api5xxRatePercent', 'minHealthyHosts', 'p99LatencyMs'] as const;

/** pino writes the level as its label (service/src/log.ts); error is 50, fatal 60. */
export const ERROR_LOG_PATTERN = logs.FilterPattern.any(
  logs.FilterPattern.stringValue('$.level', '=', 'error'),
  logs.FilterPattern.stringValue('$.level', '=', 'fatal'),
);

export interface RegionalMonitoringProps extends MonitoredResources {
  /** The services' log groups (`ServiceTask.logGroup`), for the error-log metric filters. */
  readonly serviceLogs: { readonly [S in ServiceName]: logs.ILogGroup };
  /** The service's `METRICS_NAMESPACE`, e.g. `blueprint/Service`. */
  readonly serviceMetricsNamespace: string;
  /**
   * Encrypts the alarm topics (the region's data key). CloudWatch is allowed to use it for
   * alarms of this account and region, so it can publish to them.
   */
  readonly alarmKey: kms.IKey;
  /**
   * Address subscribed to both topics; it must confirm the subscription.
   * @default no subscription: subscribe a pager or chat integration to `topics` yourself
   */
  readonly alarmEmail?: string;
  /**
   * Alarms as data: `{ page: { ... }, ticket: { ... } }`. Given keys override `DEFAULT_THRESHOLDS`
   * one by one; a key given as `undefined` drops that alarm. Page thresholds of
   * `api5xxRatePercent`, `minHealthyHosts` and `p99LatencyMs` are required: they make `regionHealthAlarm`.
   * @default DEFAULT_THRESHOLDS
   */
  readonly thresholds?: MonitoringThresholds;
  /**
   * Minutes in a row p99 latency must breach before its alarms (and so the region's health) fire.
   * Longer ignores short spikes, such as a deploy's cold caches; shorter fails over sooner.
   * @default 5
   */
  readonly latencyPeriods?: number;
  /** Names the region in alarm descriptions and the dashboard, e.g. `eu-west-1 (primary)`. */
  readonly regionLabel: string;
  /**
   * Name of the CloudFront web ACL (in us-east-1), to graph its blocked requests.
   * @default no WAF panel
   */
  readonly webAclName?: string;
  /**
   * Name of the dashboard.
   * @default a name CloudFormation generates
   */
  readonly dashboardName?: string;
  /**
   * Name of the "region unhealthy" composite alarm. Give one when something outside the app
   * looks the alarm up by name, such as a deploy's bake gate.
   * @default a name CloudFormation generates
   */
  readonly regionHealthAlarmName?: string;
}

/**
 * One region's alarms, notifications and dashboard. Alarms are made in one loop from the
 * severity-keyed thresholds, each with an action on its severity's SNS topic; the region's
 * health is the OR of its 5xx-rate, no-healthy-hosts and p99-latency page alarms.
 */
export class RegionalMonitoring extends Construct {
  /** One KMS-encrypted, TLS-only topic per severity. */
  public readonly topics: { readonly [S in Severity]: sns.Topic };
  /** Every metric alarm, by severity and threshold key. */
  public readonly alarms: { readonly [S in Severity]: Partial<Record<ThresholdKey, cloudwatch.Alarm[]>> };
  /**
   * "Region unhealthy": in ALARM while any of the 5xx-rate, no-healthy-hosts or p99-latency page
   * alarms is. For chaos-drill stop conditions and deploy gates. Route 53 health checks take only
   * metric alarms without extended statistics: give them `regionHealthInputs.minHealthyHosts`.
   */
  public readonly regionHealthAlarm: cloudwatch.CompositeAlarm;
  /** The composite's children. */
  public readonly regionHealthInputs: { readonly [K in (typeof REGION_HEALTH_INPUTS)[number]]: cloudwatch.Alarm };
  public readonly errorLogFilters: { readonly [S in ServiceName]: logs.MetricFilter };
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly thresholds: ResolvedThresholds;

  constructor(scope: Construct, id: string, props: RegionalMonitoringProps) {
    super(scope, id);
    const thresholds = resolveThresholds(this, props.thresholds);
    for (const key of REGION_HEALTH_INPUTS) {
      if (thresholds.page[key] === undefined) {
        throw new PropError(
          this,
          `thresholds.page.${key}`,
          undefined,
          'a threshold',
          'is required by the region-health alarm',
        );
      }
    }
    const latencyPeriods = props.latencyPeriods ?? 5;
    checkInteger(this, 'latencyPeriods', latencyPeriods, 1, 60);
    if (props.alarmEmail !== undefined && !Token.isUnresolved(props.alarmEmail) && props.alarmEmail.trim() === '') {
      throw new PropError(this, 'alarmEmail', props.alarmEmail, 'an e-mail address, or none', 'is empty');
    }
    for (const [prop, value] of [
      ['regionLabel', props.regionLabel],
      ['serviceMetricsNamespace', props.serviceMetricsNamespace],
    ] as const) {
      if (!Token.isUnresolved(value) && value.trim() === '')
        throw new PropError(this, prop, value, 'a non-empty string', 'is empty');
    }
    if (props.webAclName !== undefined && props.webAclName.trim() === '') {
      throw new PropError(this, 'webAclName', props.webAclName, 'a web ACL name, or none', 'is empty');
    }
    const healthName = props.regionHealthAlarmName;
    if (
      healthName !== undefined &&
      !Token.isUnresolved(healthName) &&
      (healthName.trim() === '' || healthName.length > 255)
    ) {
      throw new PropError(this, 'regionHealthAlarmName', healthName, '1 to 255 characters, or none');
    }
    this.thresholds = thresholds;

    this.allowCloudWatchToUse(props.alarmKey);
    const makeTopic = (severity: Severity) => {
      const topic = new sns.Topic(this, `${pascal(severity)}Topic`, {
        displayName: `${props.regionLabel} ${severity} alarms`,
        masterKey: props.alarmKey,
        enforceSSL: true,
      });
      if (props.alarmEmail) topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
      return topic;
    };
    this.topics = { page: makeTopic('page'), ticket: makeTopic('ticket') };

    this.errorLogFilters = {
      api: this.errorLogFilter('api', props.serviceLogs.api, props.serviceMetricsNamespace),
      worker: this.errorLogFilter('worker', props.serviceLogs.worker, props.serviceMetricsNamespace),
    };

    const sources: AlarmSources = {
      ...props,
      service: new ServiceMetrics(props.serviceMetricsNamespace),
      latencyPeriods,
    };
    const kinds = alarmKinds(sources);
    const alarms: Record<Severity, Partial<Record<ThresholdKey, cloudwatch.Alarm[]>>> = { page: {}, ticket: {} };
    // The one loop: every (severity, key, target) with a threshold becomes one alarm.
    for (const severity of SEVERITIES) {
      const action = new actions.SnsAction(this.topics[severity]);
      for (const [key, threshold] of Object.entries(thresholds[severity]) as [ThresholdKey, number | undefined][]) {
        if (threshold === undefined) continue;
        const kind = kinds[key];
        alarms[severity][key] = kind.targets.map((target) => {
          const op =
            kind.comparisonOperator === cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD ? 'below' : 'at or above';
          const alarm = new cloudwatch.Alarm(this, `${pascal(severity)}${pascal(key)}${target.id}`, {
            alarmDescription: `[${severity}] ${props.regionLabel}: ${target.name} ${kind.what} ${op} ${threshold}${kind.unit} for ${kind.periods} × ${periodText(target.metric)}`,
            metric: target.metric,
            threshold: threshold * (kind.scale ?? 1),
            comparisonOperator: kind.comparisonOperator,
            evaluationPeriods: kind.periods,
            datapointsToAlarm: kind.periods,
            treatMissingData: kind.treatMissingData,
          });
          alarm.addAlarmAction(action);
          // The page topic also says when it is over, so the on-call can stand down.
          if (severity === 'page') alarm.addOkAction(action);
          return alarm;
        });
      }
    }
    this.alarms = alarms;

    const [fiveXx, healthyHosts, latency] = REGION_HEALTH_INPUTS.map((key) => alarms.page[key]![0]);
    this.regionHealthInputs = { api5xxRatePercent: fiveXx, minHealthyHosts: healthyHosts, p99LatencyMs: latency };
    this.regionHealthAlarm = new cloudwatch.CompositeAlarm(this, 'RegionHealth', {
      compositeAlarmName: props.regionHealthAlarmName,
      alarmDescription: `[page] ${props.regionLabel} is unhealthy: api 5xx rate high, no healthy api targets, or p99 latency above ${thresholds.page.p99LatencyMs} ms for ${latencyPeriods} minutes`,
      alarmRule: cloudwatch.AlarmRule.anyOf(fiveXx, healthyHosts, latency),
    });
    const pageAction = new actions.SnsAction(this.topics.page);
    this.regionHealthAlarm.addAlarmAction(pageAction);
    this.regionHealthAlarm.addOkAction(pageAction);

    const allAlarms = SEVERITIES.flatMap((severity) => Object.values(alarms[severity]).flat());
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      widgets: regionalDashboardRows({
        ...sources,
        regionLabel: props.regionLabel,
        webAclName: props.webAclName,
        alarms: [this.regionHealthAlarm, ...allAlarms],
      }),
    });
  }

  /** All metric alarms of one severity. */
  alarmsOf(severity: Severity): cloudwatch.Alarm[] {
    return Object.values(this.alarms[severity]).flat();
  }

  private errorLogFilter(service: ServiceName, logGroup: logs.ILogGroup, namespace: string): logs.MetricFilter {
    return new logs.MetricFilter(this, `${pascal(service)}ErrorLogs`, {
      logGroup,
      filterPattern: ERROR_LOG_PATTERN,
      metricNamespace: namespace,
      metricName: ERROR_LOGS_METRIC,
      metricValue: '1',
      // The log group belongs to one service; the dimension value comes from pino's `service` field.
      dimensions: { Service: '$.service' },
    });
  }

  /** CloudWatch encrypts what it publishes to an encrypted topic with the topic's key. */
  private allowCloudWatchToUse(key: kms.IKey): void {
    if (!allowCloudWatchAlarmsToUse(this, key)) {
      Annotations.of(this).addWarningV2(
        'blueprint:alarmKeyPolicy',
        'The alarm key is imported: allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* in its key policy, or alarms cannot publish to the topics.',
      );
    }
  }
}

/** `1 minute`, `5 minutes`, for descriptions. */
function periodText(metric: cloudwatch.IMetric): string {
  const minutes =
    metric.toMetricConfig().metricStat?.period.toMinutes() ??
    (metric as cloudwatch.MathExpression).period?.toMinutes() ??
    1;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** Merges `given` over the defaults per severity, after checking every given value. */
function resolveThresholds(scope: IConstruct, given: MonitoringThresholds = {}): ResolvedThresholds {
  const issue = findThresholdIssue(given, (value) => Token.isUnresolved(value));
  if (issue) throw new PropError(scope, `thresholds.${issue.path}`, issue.value, issue.allowed, issue.problem);
  return Object.fromEntries(
    SEVERITIES.map((severity) => [severity, { ...DEFAULT_THRESHOLDS[severity], ...given[severity] }]),
  ) as ResolvedThresholds;
}
