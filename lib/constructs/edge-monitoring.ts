import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { allowCloudWatchAlarmsToUse } from './monitoring/alarm-key';
import { keyDeletionWindow } from './removal';
import type { Severity } from './monitoring/thresholds';

/** Edge alarm thresholds of one severity; a key left out makes no alarm of that severity. */
export interface EdgeThresholds {
  /** CloudFront 5xx answers per request (percent), average over 5 minutes, 3 periods in a row. */
  readonly cloudFront5xxRatePercent?: number;
  /** CloudFront 4xx answers per request (percent), 3 periods of 5 minutes: a broken client or an attack. */
  readonly cloudFront4xxRatePercent?: number;
  /** Origin latency at p90 (ms), 3 periods of 5 minutes; needs CloudFront's additional metrics. */
  readonly originLatencyP90Ms?: number;
  /**
   * Width, in standard deviations, of the anomaly band of WAF-blocked requests per 5 minutes:
   * above the band 2 periods in a row alarms (a spike, whatever the usual level).
   */
  readonly wafBlockedBandWidth?: number;
}
export type EdgeThresholdKey = keyof EdgeThresholds;

/** Defaults: errors at the edge page; client errors, slow origins and WAF spikes open a ticket. */
export const DEFAULT_EDGE_THRESHOLDS: { readonly [S in Severity]: EdgeThresholds } = {
  page: { cloudFront5xxRatePercent: 5 },
  ticket: {
    cloudFront4xxRatePercent: 15,
    originLatencyP90Ms: 1500,
    wafBlockedBandWidth: 4,
  },
};

export interface EdgeMonitoringProps {
  /** Start of every name: topics `<namePrefix>-page`, alarms `<namePrefix>-<severity>-<key>`. */
  readonly namePrefix: string;
  /** The CloudFront distribution (`Cdn.distribution.distributionId`). */
  readonly distributionId: string;
  /** Name of the CloudFront web ACL (`EdgeFirewall.webAclName`). */
  readonly webAclName: string;
  /**
   * Whether the distribution publishes CloudFront's additional metrics (a monitoring
   * subscription): without them there is no origin latency to alarm on.
   * @default false
   */
  readonly additionalMetrics?: boolean;
  /**
   * Overrides of `DEFAULT_EDGE_THRESHOLDS`, key by key per severity; a key given as `undefined`
   * drops that alarm.
   * @default DEFAULT_EDGE_THRESHOLDS
   */
  readonly thresholds?: { readonly [S in Severity]?: EdgeThresholds };
  /**
   * Encrypts the topics. A key of this stack gets a statement that lets CloudWatch alarms of this
   * account and region use it; an imported key must already allow that, or alarms cannot publish.
   * @default a new customer-managed key with rotation
   */
  readonly key?: kms.IKey;
}

const FIVE_MINUTES = Duration.minutes(5);

/** The name of an edge topic, for stacks that address it by ARN (it lives in us-east-1). */
export function edgeTopicName(namePrefix: string, severity: Severity): string {
  return `${namePrefix}-${severity}`;
}

/** The ARN of an edge topic, built from names: for alarms of later stacks in the edge region. */
export function edgeTopicArn(scope: Construct, namePrefix: string, severity: Severity, region: string): string {
  return Arn.format({ service: 'sns', region, resource: edgeTopicName(namePrefix, severity) }, Stack.of(scope));
}

/**
 * The edge's own alarms and topics, in us-east-1 where CloudFront, WAF (CloudFront scope) and
 * Route 53 health checks publish their metrics: CloudFront 5xx and 4xx rates, origin latency and
 * a WAF blocked-request spike. The topics have fixed names so stacks that deploy later in this
 * region (each region's origin health-check alarm) can notify them.
 */
export class EdgeMonitoring extends Construct {
  public readonly topics: { readonly [S in Severity]: sns.Topic };
  public readonly alarms: cloudwatch.Alarm[];
  public readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: EdgeMonitoringProps) {
    super(scope, id);
    const { namePrefix } = props;
    if (!Token.isUnresolved(namePrefix) && !/^[A-Za-z0-9_-]{1,200}$/.test(namePrefix)) {
      throw new Error(`${this.node.path}: namePrefix = "${namePrefix}" must be 1-200 letters, digits, - or _`);
    }
    const thresholds = {
      page: { ...DEFAULT_EDGE_THRESHOLDS.page, ...props.thresholds?.page },
      ticket: { ...DEFAULT_EDGE_THRESHOLDS.ticket, ...props.thresholds?.ticket },
    };
    for (const severity of ['page', 'ticket'] as const) {
      for (const [key, value] of Object.entries(thresholds[severity])) {
        if (value !== undefined && !Token.isUnresolved(value) && !(Number.isFinite(value) && value > 0)) {
          throw new Error(`${this.node.path}: thresholds.${severity}.${key} = ${value} must be a number above 0`);
        }
      }
    }

    this.key =
      props.key ??
      new kms.Key(this, 'Key', {
        description: 'Encrypts the edge alarm topics',
        enableKeyRotation: true,
        // It encrypts notifications in flight only: nothing is lost with it.
        removalPolicy: RemovalPolicy.DESTROY,
        pendingWindow: keyDeletionWindow(RemovalPolicy.DESTROY),
      });
    allowCloudWatchAlarmsToUse(this, this.key);
    const topic = (severity: Severity) =>
      new sns.Topic(this, `${pascal(severity)}Topic`, {
        topicName: edgeTopicName(namePrefix, severity),
        displayName: `edge ${severity} alarms`,
        masterKey: this.key,
        enforceSSL: true,
      });
    this.topics = { page: topic('page'), ticket: topic('ticket') };

    const cloudFront = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/CloudFront',
        metricName,
        dimensionsMap: { DistributionId: props.distributionId, Region: 'Global' },
        statistic,
        period: FIVE_MINUTES,
      });
    const blocked = new cloudwatch.Metric({
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      // A CloudFront web ACL publishes in us-east-1 without a Region dimension.
      dimensionsMap: { WebACL: props.webAclName, Rule: 'ALL' },
      statistic: 'Sum',
      period: FIVE_MINUTES,
    });
    type Kind = { what: string; make: (id: string, threshold: number, description: string) => cloudwatch.Alarm };
    const above =
      (metric: cloudwatch.IMetric, unit: string): Kind['make'] =>
      (id, threshold, description) =>
        new cloudwatch.Alarm(this, id, {
          alarmName: `${namePrefix}-${id}`,
          alarmDescription: `${description} ${threshold}${unit} for 3 × 5 minutes`,
          metric,
          threshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          // No requests, no errors.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
    const kinds: Record<EdgeThresholdKey, Kind | undefined> = {
      cloudFront5xxRatePercent: {
        what: 'CloudFront 5xx rate at or above',
        make: above(cloudFront('5xxErrorRate', 'Average'), '%'),
      },
      cloudFront4xxRatePercent: {
        what: 'CloudFront 4xx rate at or above',
        make: above(cloudFront('4xxErrorRate', 'Average'), '%'),
      },
      originLatencyP90Ms: props.additionalMetrics
        ? { what: 'CloudFront origin latency p90 at or above', make: above(cloudFront('OriginLatency', 'p90'), ' ms') }
        : undefined,
      wafBlockedBandWidth: {
        what: 'WAF blocked requests above their usual band',
        make: (id, bandWidth, description) =>
          new cloudwatch.AnomalyDetectionAlarm(this, id, {
            alarmName: `${namePrefix}-${id}`,
            alarmDescription: `${description} (${bandWidth} standard deviations) for 2 × 5 minutes`,
            metric: blocked,
            stdDevs: bandWidth,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
      },
    };

    this.alarms = [];
    for (const severity of ['page', 'ticket'] as const) {
      const action = new actions.SnsAction(this.topics[severity]);
      for (const [key, threshold] of Object.entries(thresholds[severity]) as [EdgeThresholdKey, number | undefined][]) {
        const kind = kinds[key];
        if (threshold === undefined || kind === undefined) continue;
        const alarm = kind.make(`${severity}-${key}`, threshold, `[${severity}] edge: ${kind.what}`);
        alarm.addAlarmAction(action);
        if (severity === 'page') alarm.addOkAction(action);
        this.alarms.push(alarm);
      }
    }
  }
}

const pascal = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Names of the alarms `EdgeMonitoring` makes with the given thresholds, for dashboards elsewhere. */
export function edgeAlarmNames(
  namePrefix: string,
  options: { thresholds?: EdgeMonitoringProps['thresholds']; additionalMetrics?: boolean } = {},
): string[] {
  return (['page', 'ticket'] as const).flatMap((severity) =>
    Object.entries({ ...DEFAULT_EDGE_THRESHOLDS[severity], ...options.thresholds?.[severity] })
      .filter(([key, value]) => value !== undefined && (key !== 'originLatencyP90Ms' || options.additionalMetrics))
      .map(([key]) => `${namePrefix}-${severity}-${key}`),
  );
}

export interface EdgeDashboardInput {
  /** Names of alarms in `edgeRegion` to show the states of, e.g. the edge's (`edgeAlarmNames`). */
  readonly alarmNames: readonly string[];
  /** Name of the CloudFront web ACL. */
  readonly webAclName: string;
  /** Where CloudFront, WAF and Route 53 publish: us-east-1. */
  readonly edgeRegion: string;
}

/**
 * The edge rows of a dashboard in any region (imported alarms are made under `scope`): the edge alarms' states and CloudFront, WAF and
 * health-check graphs. The distribution's and the health checks' ids are not known outside the
 * stacks that make them, so those graphs SEARCH the account's metrics in us-east-1: they assume
 * the account holds only this app's distributions and health checks.
 */
export function edgeDashboardRows(scope: Construct, input: EdgeDashboardInput): cloudwatch.IWidget[][] {
  const imported = new Construct(scope, 'EdgeAlarms');
  const search = (expression: string, label: string) =>
    new cloudwatch.MathExpression({
      expression,
      usingMetrics: {},
      label,
      period: FIVE_MINUTES,
      searchRegion: input.edgeRegion,
    });
  const graph = (title: string, left: cloudwatch.IMetric[]) =>
    new cloudwatch.GraphWidget({ title, left, width: 6, height: 6 });
  return [
    [
      new cloudwatch.TextWidget({
        markdown: `## Edge (${input.edgeRegion})\nCloudFront, WAF and each region's Route 53 origin health check.`,
        width: 24,
        height: 2,
      }),
    ],
    [
      new cloudwatch.AlarmStatusWidget({
        title: 'Edge alarms',
        alarms: input.alarmNames.map((alarmName, i) =>
          cloudwatch.Alarm.fromAlarmArn(
            imported,
            `Alarm${i}`,
            Arn.format(
              {
                service: 'cloudwatch',
                region: input.edgeRegion,
                resource: 'alarm',
                resourceName: alarmName,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              },
              Stack.of(scope),
            ),
          ),
        ),
        width: 24,
        height: 3,
      }),
    ],
    [
      graph('CloudFront error rates (%)', [
        search(`SEARCH('{AWS/CloudFront,DistributionId,Region} MetricName="5xxErrorRate"', 'Average', 300)`, '5xx'),
        search(`SEARCH('{AWS/CloudFront,DistributionId,Region} MetricName="4xxErrorRate"', 'Average', 300)`, '4xx'),
      ]),
      graph('CloudFront origin latency p90 (ms)', [
        search(`SEARCH('{AWS/CloudFront,DistributionId,Region} MetricName="OriginLatency"', 'p90', 300)`, 'p90'),
      ]),
      graph('WAF blocked requests', [
        new cloudwatch.Metric({
          namespace: 'AWS/WAFV2',
          metricName: 'BlockedRequests',
          dimensionsMap: { WebACL: input.webAclName, Rule: 'ALL' },
          statistic: 'Sum',
          period: FIVE_MINUTES,
          region: input.edgeRegion,
        }),
      ]),
      graph('Route 53 health checks (1 = healthy)', [
        search(`SEARCH('{AWS/Route53,HealthCheckId} MetricName="HealthCheckStatus"', 'Minimum', 60)`, 'status'),
      ]),
    ],
  ];
}
