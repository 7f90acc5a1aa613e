import { Duration, Names, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
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
