import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { PropError } from '../validation';

/** The metric an inverted-check switch's alarm watches; nothing ever publishes it. */
export const EVACUATION_SWITCH_METRIC = 'EvacuationSwitch';

/**
 * A health check that is healthy by design and that an operator inverts to evacuate the region:
 * `aws route53 update-health-check --health-check-id <id> --inverted`, and `--no-inverted` to
 * return it. It follows a CloudWatch alarm on a metric nobody publishes, which missing data keeps
 * OK. No extra service, no deploy; the check is billed like any Route 53 health check.
 */
export interface InvertedCheckSwitch {
  readonly type: 'inverted-check';
  /**
   * Name of the alarm the health check follows, unique in the account and region, e.g.
   * `evacuationSwitchAlarmName(appName, region)`. Renaming it changes the switch resource, which
   * returns an evacuated region to DNS (see `EvacuationSwitch`).
   */
  readonly alarmName: string;
  /**
   * CloudWatch namespace of the metric the alarm watches, e.g. `<appName>/Resilience`; not one
   * of AWS's (`AWS/...`). The metric is `EvacuationSwitch` with a `Region` dimension.
   */
  readonly metricNamespace: string;
}

/**
 * A Route 53 ARC routing control: the region serves while the control is On and is evacuated
 * when an operator turns it Off through the ARC cluster, whose safety rules can refuse a change
 * (e.g. one that would leave no region On). See `RecoveryControls`.
 */
export interface RoutingControlSwitch {
  readonly type: 'routing-control';
  /**
   * ARN of this region's routing control. The ARN is random, so it is usually a deploy-time
   * value, e.g. read from an SSM parameter in this region.
   */
  readonly routingControlArn: string;
}

export type EvacuationSwitchProps = (InvertedCheckSwitch | RoutingControlSwitch) & {};

const ROUTING_CONTROL_ARN = /^arn:aws[a-z-]*:route53-recovery-control::\d{12}:controlpanel\/\S+\/routingcontrol\/\S+$/;
/** CloudWatch names: 1 to 255 printable characters. */
const CLOUDWATCH_NAME = /^[^\x00-\x1f]{1,255}$/;

/**
 * The operator's switch for taking one region out of DNS on purpose, as a Route 53 health check
 * that `OriginDns` ANDs with the region's own health check in a calculated check on its record.
 * Turning the switch off withdraws the region whatever its own check says; turning it on again
 * never makes a failing region look healthy, because the region's own check is untouched.
 *
 * An inverted-check switch keeps its state in the health check's `Inverted` flag, which no
 * template sets to true. CloudFormation writes the flag only when it updates the switch
 * resource itself, and then writes it back to false: a deploy that changes the switch (its
 * alarm's name or region, or anything else in its `HealthCheckConfig`; perhaps also new stack
 * tags, which CloudFormation applies to it) returns an evacuated region to DNS. Keep the
 * switch's properties stable, and check that no switch is inverted (`aws route53
 * get-health-check`) before deploying a change to one. Changes to the alarm alone (its
 * description, its threshold) do not touch the health check.
 */
export class EvacuationSwitch extends Construct {
  /** The switch: healthy while the region may serve, unhealthy while it is evacuated. */
  public readonly healthCheck: route53.HealthCheck;
  /** The alarm an inverted-check switch follows; undefined for a routing control. */
  public readonly alarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: EvacuationSwitchProps) {
    super(scope, id);

    if (props.type === 'routing-control') {
      const arn = props.routingControlArn;
      if (!Token.isUnresolved(arn) && !ROUTING_CONTROL_ARN.test(arn)) {
        throw new PropError(
          this,
          'routingControlArn',
          arn,
          'an ARC routing control ARN such as arn:aws:route53-recovery-control::123456789012:controlpanel/<id>/routingcontrol/<id>',
        );
      }
      this.healthCheck = new route53.HealthCheck(this, 'HealthCheck', {
        type: route53.HealthCheckType.RECOVERY_CONTROL,
        routingControl: arn,
      });
      return;
    }

    const { alarmName, metricNamespace } = props;
    if (!Token.isUnresolved(alarmName) && !CLOUDWATCH_NAME.test(alarmName)) {
      throw new PropError(this, 'alarmName', alarmName, 'a CloudWatch alarm name of 1 to 255 printable characters');
    }
    if (
      !Token.isUnresolved(metricNamespace) &&
      (!CLOUDWATCH_NAME.test(metricNamespace) || /^AWS\//.test(metricNamespace))
    ) {
      throw new PropError(
        this,
        'metricNamespace',
        metricNamespace,
        'a CloudWatch namespace of 1 to 255 printable characters that does not start with AWS/',
      );
    }
    const region = Stack.of(this).region;
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmName,
      alarmDescription:
        `Evacuation switch of ${region}: OK by design, because nothing publishes ${metricNamespace}/${EVACUATION_SWITCH_METRIC}. ` +
        'A Route 53 health check follows it; inverting that health check takes the region out of DNS (docs/decisions/0008).',
      metric: new cloudwatch.Metric({
        namespace: metricNamespace,
        metricName: EVACUATION_SWITCH_METRIC,
        dimensionsMap: { Region: region },
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // The metric never has data: that is the OK state, not a failure.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.healthCheck = new route53.HealthCheck(this, 'HealthCheck', {
      type: route53.HealthCheckType.CLOUDWATCH_METRIC,
      alarmIdentifier: { region, name: this.alarm.alarmName },
      // Until the new alarm has evaluated once, and whenever CloudWatch cannot say: serve.
      insufficientDataHealthStatus: route53.InsufficientDataHealthStatusEnum.HEALTHY,
    });
  }
}
