import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface BusinessAlarmsProps {
  /**
   * Daily active users as the service reports it (a gauge that restarts at 00:00 UTC); CloudWatch
   * anomaly detection learns that daily shape and the weekly one.
   */
  readonly dailyActiveUsers: cloudwatch.IMetric;
  /** Topic told when DAU drops below its band, and when it is back. */
  readonly topic: sns.ITopic;
  /** Names the region in the description, e.g. `eu-west-1 (primary)`. */
  readonly label: string;
  /**
   * Width of the expected band in standard deviations: wider tolerates more before alarming.
   * @default 3
   */
  readonly bandWidth?: number;
  /**
   * Periods of the metric in a row below the band before the alarm fires: a drop, not a blip.
   * @default 3
   */
  readonly periods?: number;
  /**
   * Name of the alarm.
   * @default a name CloudFormation generates
   */
  readonly alarmName?: string;
}

/**
 * Alarms on the business, not the machinery: an abnormal drop of daily active users (below the
 * CloudWatch anomaly detection band) catches what every technical alarm misses, such as a broken
 * sign-in page that answers 200.
 */
export class BusinessAlarms extends Construct {
  public readonly dauDrop: cloudwatch.AnomalyDetectionAlarm;

  constructor(scope: Construct, id: string, props: BusinessAlarmsProps) {
    super(scope, id);
    const bandWidth = props.bandWidth ?? 3;
    const periods = props.periods ?? 3;
    if (!Token.isUnresolved(bandWidth) && !(bandWidth > 0 && bandWidth <= 10)) {
      throw new Error(`${this.node.path}: bandWidth = ${bandWidth} must be above 0 and at most 10`);
    }
    if (!Token.isUnresolved(periods) && !(Number.isInteger(periods) && periods >= 1 && periods <= 24)) {
      throw new Error(`${this.node.path}: periods = ${periods} must be an integer from 1 to 24`);
    }
    const minutes = props.dailyActiveUsers.toMetricConfig().metricStat?.period.toMinutes() ?? 1;
    this.dauDrop = new cloudwatch.AnomalyDetectionAlarm(this, 'DauDrop', {
      alarmName: props.alarmName,
      alarmDescription: `[ticket] ${props.label}: daily active users below their usual band (${bandWidth} standard deviations) for ${periods} × ${Duration.minutes(minutes).toHumanString()}`,
      metric: props.dailyActiveUsers,
      stdDevs: bandWidth,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_LOWER_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      // No api reporting is a drop too (the technical alarms say why).
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const action = new actions.SnsAction(props.topic);
    this.dauDrop.addAlarmAction(action);
    this.dauDrop.addOkAction(action);
  }
}
