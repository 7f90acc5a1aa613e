import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

export interface ReaderCapacityAlarmProps {
  /** The cluster whose readers are watched (its `DBClusterIdentifier`). */
  readonly clusterIdentifier: string;
  /**
   * Serverless v2 readers grow on their own up to the cluster's ceiling, so the signal is how
   * close they are to it (`ACUUtilization`); provisioned readers are watched on CPU.
   */
  readonly serverless: boolean;
  /**
   * Average reader ACU (serverless) or CPU (provisioned) utilization, in percent, that asks for
   * another reader.
   * @default 80
   */
  readonly thresholdPercent?: number;
  /**
   * How long the readers must stay above the threshold; short peaks are absorbed by the ACU headroom.
   * @default Duration.minutes(15)
   */
  readonly sustainedFor?: Duration;
  /**
   * Name of the alarm; the runbook finds it by name.
   * @default a name CloudFormation generates
   */
  readonly alarmName?: string;
  /** Path of the runbook the alarm description points to. */
  readonly runbook: string;
}

/**
 * The alarmed manual path of read scaling where Aurora Auto Scaling does not add readers (the
 * secondary clusters of a global database, decision 14): an alarm when a cluster's readers run
 * near their capacity for a sustained time, telling an operator to add a reader (`runbook`).
 */
export class ReaderCapacityAlarm extends Construct {
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ReaderCapacityAlarmProps) {
    super(scope, id);
    const thresholdPercent = props.thresholdPercent ?? 80;
    const sustainedFor = props.sustainedFor ?? Duration.minutes(15);
    if (!Token.isUnresolved(thresholdPercent) && !(thresholdPercent > 0 && thresholdPercent <= 100)) {
      throw new Error(`${this.node.path}: thresholdPercent = ${thresholdPercent} must be above 0 and at most 100`);
    }
    const minutes = sustainedFor.toSeconds() / 60;
    if (!Token.isUnresolved(minutes) && (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440)) {
      throw new Error(`${this.node.path}: sustainedFor = ${minutes} minutes must be whole minutes from 1 to 1440`);
    }

    const metricName = props.serverless ? 'ACUUtilization' : 'CPUUtilization';
    const metric = new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName,
      dimensionsMap: { DBClusterIdentifier: props.clusterIdentifier, Role: 'READER' },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(1),
    });
    this.alarm = metric.createAlarm(this, 'Alarm', {
      alarmName: props.alarmName,
      alarmDescription: `Readers of ${props.clusterIdentifier} at ${metricName} >= ${thresholdPercent}% for ${minutes} min: add a reader (${props.runbook}).`,
      threshold: thresholdPercent,
      evaluationPeriods: minutes,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
