import { Arn, ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeAwsCustomResourceProvider } from './nag';

/** Route 53 publishes health-check metrics in us-east-1 only. */
const ROUTE53_METRICS_REGION = 'us-east-1';

export interface HealthCheckAlarmProps {
  /** The Route 53 health check, e.g. `OriginDns.originHealthCheck.healthCheckId`. */
  readonly healthCheckId: string;
  /** Name of the alarm in us-east-1; unique in the account there. */
  readonly alarmName: string;
  /** What the alarm says when it fires, e.g. which region's origin it watches. */
  readonly description: string;
  /** Topics in us-east-1 notified on ALARM and on OK (e.g. the edge page topic). */
  readonly topicArns: readonly string[];
  /**
   * Minutes in a row the check must report unhealthy.
   * @default 2
   */
  readonly periods?: number;
}

/**
 * A CloudWatch alarm on one Route 53 health check's status. The metric exists in us-east-1 only,
 * and an alarm must live beside its metric, so a stack of any region writes the alarm there with
 * one SDK call (PutMetricAlarm) on create and update, and deletes it with the stack. The health
 * check is created by a stack that deploys after the Edge stack, so nothing in us-east-1 could
 * reference its id.
 */
export class HealthCheckAlarm extends Construct {
  /** The alarm's ARN in us-east-1. */
  public readonly alarmArn: string;

  constructor(scope: Construct, id: string, props: HealthCheckAlarmProps) {
    super(scope, id);
    const periods = props.periods ?? 2;
    if (!Token.isUnresolved(periods) && !(Number.isInteger(periods) && periods >= 1 && periods <= 60)) {
      throw new Error(`${this.node.path}: periods = ${periods} must be an integer from 1 to 60`);
    }
    if (!Token.isUnresolved(props.alarmName) && !/^[\x20-\x7e]{1,255}$/.test(props.alarmName)) {
      throw new Error(`${this.node.path}: alarmName = "${props.alarmName}" must be 1-255 printable ASCII characters`);
    }
    if (props.topicArns.length === 0)
      throw new Error(`${this.node.path}: topicArns is empty: the alarm would tell nobody`);

    this.alarmArn = Arn.format(
      {
        service: 'cloudwatch',
        region: ROUTE53_METRICS_REGION,
        resource: 'alarm',
        resourceName: props.alarmName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      Stack.of(this),
    );
    const put: cr.AwsSdkCall = {
      service: 'CloudWatch',
      action: 'putMetricAlarm',
      region: ROUTE53_METRICS_REGION,
      parameters: {
        AlarmName: props.alarmName,
        AlarmDescription: props.description,
        Namespace: 'AWS/Route53',
        MetricName: 'HealthCheckStatus',
        Dimensions: [{ Name: 'HealthCheckId', Value: props.healthCheckId }],
        Statistic: 'Minimum',
        Period: 60,
        EvaluationPeriods: periods,
        DatapointsToAlarm: periods,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        // A check that stops reporting is as bad as one that fails.
        TreatMissingData: 'breaching',
        AlarmActions: props.topicArns,
        OKActions: props.topicArns,
      },
      physicalResourceId: cr.PhysicalResourceId.of(props.alarmName),
    };
    new cr.AwsCustomResource(this, 'Alarm', {
      onCreate: put,
      onUpdate: put,
      onDelete: {
        service: 'CloudWatch',
        action: 'deleteAlarms',
        region: ROUTE53_METRICS_REGION,
        parameters: { AlarmNames: [props.alarmName] },
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [this.alarmArn] }),
      installLatestAwsSdk: false,
    });
    acknowledgeAwsCustomResourceProvider(this);
  }
}
