import { Duration, Names, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { PropError } from './validation';

/**
 * Backlog per task: visible messages (`m1`) over running tasks (`m2`). With no task running,
 * the whole backlog counts against one task, so a service that lost every task still scales out
 * rather than dividing by zero (which yields no data point, and target tracking then does
 * nothing). `IF` takes scalars where `MAX([...])` wants time series only; RunningTaskCount is a
 * whole number, so this equals `m1 / max(m2, 1)`.
 */
export const BACKLOG_PER_TASK_EXPRESSION = 'IF(m2 > 0, m1 / m2, m1)';
/**
 * 1 while messages wait and no task runs, else 0: what the scale-from-zero step policy alarms on.
 * Container Insights may publish nothing for a service without tasks, hence `FILL`.
 */
export const SCALE_FROM_ZERO_EXPRESSION = 'IF(m1 > 0 AND FILL(m2, 0) < 1, 1, 0)';
/**
 * Wait after a scale-from-zero before another: long enough for a Fargate task to start and for
 * Container Insights to count it, so that one waiting message starts one task, not two.
 */
const SCALE_FROM_ZERO_COOLDOWN = Duration.minutes(5);
/** Target tracking evaluates its metrics every minute; dashboards and alarms see the same. */
const PERIOD = Duration.minutes(1);

export interface BacklogPerTaskScalingProps {
  /** The service whose running tasks divide the backlog (its cluster and name are the metric's dimensions). */
  readonly service: ecs.IBaseService;
  /**
   * The service's task count, as `service.autoScaleTaskCount()` returns it. The policy attaches to
   * its scalable target, so a service never gets a second one. A `ScalableTaskCount` rather than an
   * interface: only it guarantees the scalable dimension `ecs:service:DesiredCount`.
   */
  readonly scalableTarget: ecs.ScalableTaskCount;
  /** The queue the service consumes. */
  readonly queue: sqs.IQueue;
  /**
   * Messages one task clears within the acceptable latency: its throughput (messages per second)
   * times the latency the queue may add (seconds). The policy keeps backlog per task near it.
   */
  readonly acceptableBacklogPerTask: number;
  /**
   * Wait after a scale-in before the next one. Longer keeps tasks through short lulls; shorter
   * saves cost on spiky queues (tasks finish in-flight work on SIGTERM, so scale-in is safe).
   * @default Duration.seconds(60)
   */
  readonly scaleInCooldown?: Duration;
  /**
   * Wait after a scale-out before the next one. Shorter catches bursts sooner; longer lets new
   * tasks start draining before more are added (Fargate tasks take a minute or so to start).
   * @default Duration.seconds(30)
   */
  readonly scaleOutCooldown?: Duration;
  /**
   * Also add a task when messages wait and none runs: set it when the scalable target's minimum
   * is 0. Target tracking alone cannot leave zero: with no task, backlog per task is the whole
   * backlog, above the target only for a large one, or no data at all if Container Insights
   * publishes nothing for a service without tasks, and target tracking does nothing on
   * insufficient data. A step policy on `SCALE_FROM_ZERO_EXPRESSION` adds one task instead;
   * target tracking takes over from there and scales back in to zero once the queue is empty.
   *
   * From the first message to a running task takes the queue metric's delay plus about two
   * minutes (the alarm's minute, the task's start). SQS publishes every minute while the queue is
   * active, stops after six idle hours, and can take minutes to resume (up to about 15 reported).
   * @default false, for a minimum of one task or more
   */
  readonly scaleFromZero?: boolean;
}

/**
 * Target tracking on backlog per task, the signal AWS recommends for queue consumers: queue
 * depth alone means nothing without the number of tasks draining it, and CPU misses I/O-bound
 * work. Needs Container Insights on the cluster (it publishes RunningTaskCount).
 *
 * L1 policy: aws-cdk-lib has no L2 for metric math in target tracking
 * (`TargetTrackingScalingPolicy` accepts a single metric only; aws-cdk#20659).
 */
export class BacklogPerTaskScaling extends Construct {
  public readonly policy: appscaling.CfnScalingPolicy;
  /** With `scaleFromZero`: the step policy adding one task, and the alarm that invokes it. */
  public readonly scaleFromZero?: { readonly action: appscaling.StepScalingAction; readonly alarm: cloudwatch.Alarm };
  public readonly acceptableBacklogPerTask: number;
  private readonly backlogPerTask: cloudwatch.MathExpression;

  constructor(scope: Construct, id: string, props: BacklogPerTaskScalingProps) {
    super(scope, id);
    const { acceptableBacklogPerTask } = props;
    if (
      !Token.isUnresolved(acceptableBacklogPerTask) &&
      !(Number.isFinite(acceptableBacklogPerTask) && acceptableBacklogPerTask >= 1)
    ) {
      throw new PropError(this, 'acceptableBacklogPerTask', acceptableBacklogPerTask, 'a number >= 1');
    }
    const scaleInCooldown = props.scaleInCooldown ?? Duration.seconds(60);
    const scaleOutCooldown = props.scaleOutCooldown ?? Duration.seconds(30);
    const scaleInSeconds = wholeSeconds(this, 'scaleInCooldown', scaleInCooldown);
    const scaleOutSeconds = wholeSeconds(this, 'scaleOutCooldown', scaleOutCooldown);

    this.acceptableBacklogPerTask = acceptableBacklogPerTask;
    this.backlogPerTask = new cloudwatch.MathExpression({
      expression: BACKLOG_PER_TASK_EXPRESSION,
      usingMetrics: {
        m1: props.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD }),
        m2: new cloudwatch.Metric({
          namespace: 'ECS/ContainerInsights',
          metricName: 'RunningTaskCount',
          dimensionsMap: { ClusterName: props.service.cluster.clusterName, ServiceName: props.service.serviceName },
          statistic: 'Average',
          period: PERIOD,
        }),
      },
      label: 'Backlog per task',
      period: PERIOD,
    });

    this.policy = new appscaling.CfnScalingPolicy(this, 'Policy', {
      policyName: Names.uniqueId(this),
      policyType: 'TargetTrackingScaling',
      // As the L2 policy does: an L2 scalable target's reference carries its Ref (the scalable
      // target id) as `resourceId`; referencing it also orders the policy after the target.
      scalingTargetId: props.scalableTarget.scalableTargetRef.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: acceptableBacklogPerTask,
        scaleInCooldown: scaleInSeconds,
        scaleOutCooldown: scaleOutSeconds,
        customizedMetricSpecification: { metrics: renderQueries(this.backlogPerTask) },
      },
    });

    if (props.scaleFromZero) {
      const action = new appscaling.StepScalingAction(this, 'ScaleFromZero', {
        scalingTarget: props.scalableTarget,
        adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
        cooldown: SCALE_FROM_ZERO_COOLDOWN,
      });
      action.addAdjustment({ lowerBound: 0, adjustment: 1 });
      const alarm = new cloudwatch.Alarm(this, 'ScaleFromZeroAlarm', {
        alarmDescription: 'Messages wait and no task runs: add one task',
        metric: new cloudwatch.MathExpression({
          expression: SCALE_FROM_ZERO_EXPRESSION,
          usingMetrics: this.backlogPerTask.usingMetrics,
          label: 'Work waiting without a task',
          period: PERIOD,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        // An idle queue publishes no metrics: nothing waits, so nothing to start.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      // An alarm that stays in ALARM invokes a scaling policy again every minute: a lost
      // invocation is retried, and the cooldown keeps the retries from adding tasks.
      alarm.addAlarmAction(new cloudwatchActions.ApplicationScalingAction(action));
      this.scaleFromZero = { action, alarm };
    }
  }

  /** Backlog per task, computed exactly as the policy computes it, for dashboards and alarms. */
  metricBacklogPerTask(options?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return options ? this.backlogPerTask.with(options) : this.backlogPerTask;
  }
}

/** The expression as target-tracking metric queries: its metrics, then itself as the one returned. */
function renderQueries(
  math: cloudwatch.MathExpression,
): appscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty[] {
  const metrics = Object.entries(math.usingMetrics).map(([id, metric]) => {
    const stat = metric.toMetricConfig().metricStat;
    if (!stat) throw new Error(`${id}: target tracking takes plain metrics inside its expression`);
    return {
      id,
      metricStat: {
        metric: { namespace: stat.namespace, metricName: stat.metricName, dimensions: stat.dimensions },
        stat: stat.statistic,
      },
      returnData: false,
    };
  });
  return [...metrics, { id: 'e1', expression: math.expression, label: math.label, returnData: true }];
}

/** Throws unless `duration` is a whole number of seconds; returns them, or the token. */
function wholeSeconds(scope: IConstruct, prop: string, duration: Duration): number {
  const seconds = duration.toSeconds({ integral: false });
  if (!Token.isUnresolved(seconds) && !Number.isInteger(seconds)) {
    throw new PropError(scope, prop, duration.toHumanString(), 'a whole number of seconds', 'is out of range');
  }
  return seconds;
}
