import { Duration, Names, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { checkInteger, checkTaskBounds, PropError } from './validation';
import { pascalCase } from './naming';
import { BacklogPerTaskScaling } from './backlog-scaling';
import { SubnetGroup } from './network';

/** Minutes below `minTasks` before a deployment counts as crash-looping (and its bake time). */
const TASKS_BELOW_MINIMUM_MINUTES = 3;

export interface WorkerServiceProps {
  /** Cluster to run on; Container Insights must be on (backlog scaling reads RunningTaskCount). */
  readonly cluster: ecs.ICluster;
  /** The worker's task definition; its task role is granted to consume `queue`. */
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The queue the worker consumes and scales on. */
  readonly queue: sqs.IQueue;
  /**
   * The queue's dead-letter queue. Given, a deployment also rolls back when messages start
   * dead-lettering while it rolls out or bakes: the new version fails work it receives.
   * @default no dead-letter alarm; deployments roll back on failing or vanishing tasks only
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * How long a deployment watches the dead-letter queue (its bake time). Keep it above the queue's
   * `maxReceiveCount` times its visibility timeout, the time a failing message takes to dead-letter.
   * @default Duration.minutes(10), for the work queue's defaults of 5 receives of 60 seconds
   */
  readonly deadLetterWindow?: Duration;
  /**
   * Fewest running tasks; autoscaling never goes below. 0 to 1000; 0 lets the service scale to
   * zero when the queue is empty (dev): a step policy starts a task when work arrives, after the
   * queue metric's delay (see `BacklogPerTaskScalingProps.scaleFromZero`), and a deployment then
   * watches the dead-letter queue only.
   */
  readonly minTasks: number;
  /** Most running tasks; autoscaling never goes above (minTasks to 1000). */
  readonly maxTasks: number;
  /** Messages one task clears within the acceptable latency; see `BacklogPerTaskScaling`. */
  readonly acceptableBacklogPerTask: number;
  /**
   * Average CPU the backstop policy keeps to, for CPU-bound jobs whose backlog lags their load.
   * Lower it when jobs must not slow under load; raise it to pack more work into each task.
   * @default 70
   */
  readonly targetCpuPercent?: number;
  /**
   * Groups to add to the tasks besides their own, e.g. the client group a cache admits.
   * @default none
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
}

/**
 * A Fargate service consuming the region's work queue: no load balancer, no inbound traffic, in
 * the app subnets without public IPs. It scales on backlog per task with a CPU backstop, and a
 * deployment rolls back when its tasks fail to start, keep dying, or dead-letter messages.
 */
export class WorkerService extends Construct implements ec2.IConnectable {
  public readonly service: ecs.FargateService;
  /** The tasks' own group: no ingress; admit it where the worker connects (database, cache). */
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly connections: ec2.Connections;
  public readonly taskCount: ecs.ScalableTaskCount;
  public readonly scaling: BacklogPerTaskScaling;
  /** Alarms a deployment watches; any of them in ALARM rolls it back. None with a floor of 0 and no dead-letter queue. */
  public readonly deploymentAlarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: WorkerServiceProps) {
    super(scope, id);
    const { minTasks, maxTasks } = props;
    checkTaskBounds(this, minTasks, maxTasks, 0);
    const targetCpuPercent = props.targetCpuPercent ?? 70;
    checkInteger(this, 'targetCpuPercent', targetCpuPercent, 10, 90);
    const deadLetterWindow = props.deadLetterWindow ?? Duration.minutes(10);
    const deadLetterMinutes = deadLetterWindow.toMinutes({ integral: false });
    if (!Token.isUnresolved(deadLetterMinutes) && !isIntegerIn(deadLetterMinutes, 1, 60)) {
      throw new PropError(
        this,
        'deadLetterWindow',
        deadLetterWindow.toHumanString(),
        'a whole number of minutes from 1 to 60',
        'is out of range',
      );
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cluster.vpc,
      description: 'Queue workers: no inbound traffic',
      // Workers reach the queue, the database, the cache and AWS APIs; nothing reaches them.
      allowAllOutbound: true,
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: props.taskDefinition,
      vpcSubnets: { subnetGroupName: SubnetGroup.APP },
      assignPublicIp: false,
      securityGroups: [this.securityGroup, ...(props.securityGroups ?? [])],
      enableExecuteCommand: false,
      // desiredCount is left unset so that a deployment never resets what autoscaling chose;
      // registering the scalable target lifts the first deployment's one task to minTasks.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    this.connections = this.service.connections;
    // Literal names: the service names its alarms, and an alarm on the service's own metrics
    // referenced by Ref would make the two depend on each other (see the aws-ecs README).
    const alarmName = (suffix: string) =>
      `${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}-${suffix}`;
    const alarmSpecs: { suffix: string; props: cloudwatch.AlarmProps }[] = [];
    // With a floor of 0, no task running is the idle state, not a crash loop.
    if (minTasks >= 1) {
      alarmSpecs.push({
        suffix: 'tasks-below-minimum',
        props: {
          alarmDescription: `Fewer than ${minTasks} worker tasks running for ${TASKS_BELOW_MINIMUM_MINUTES} minutes: tasks crash or cannot start`,
          metric: this.metricRunningTaskCount(),
          threshold: minTasks,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: TASKS_BELOW_MINIMUM_MINUTES,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      });
    }
    if (props.deadLetterQueue) {
      alarmSpecs.push({
        suffix: 'dead-letters-growing',
        props: {
          alarmDescription: 'Messages dead-lettered in the last window: workers fail the jobs they receive',
          metric: new cloudwatch.MathExpression({
            // DIFF: a deploy answers for new dead letters, not for old ones still awaiting redrive.
            expression: 'DIFF(m1)',
            usingMetrics: {
              m1: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
                statistic: 'Maximum',
                period: Duration.minutes(1),
              }),
            },
            label: 'Dead letters added',
            period: Duration.minutes(1),
          }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: deadLetterMinutes,
          datapointsToAlarm: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      });
    }

    this.deploymentAlarms = alarmSpecs.map(
      (spec) =>
        new cloudwatch.Alarm(this, pascalCase(spec.suffix), { alarmName: alarmName(spec.suffix), ...spec.props }),
    );
    // The names, not `alarm.alarmName`: that resolves to the alarm's Ref. CDK rejects an empty
    // list: a service without alarms (floor 0, no dead-letter queue) has the circuit breaker only.
    if (alarmSpecs.length > 0) {
      this.service.enableDeploymentAlarms(
        alarmSpecs.map((spec) => alarmName(spec.suffix)),
        { behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM },
      );
    }
    props.queue.grantConsumeMessages(props.taskDefinition.taskRole);

    this.taskCount = this.service.autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks });
    this.scaling = new BacklogPerTaskScaling(this, 'BacklogScaling', {
      service: this.service,
      scalableTarget: this.taskCount,
      queue: props.queue,
      acceptableBacklogPerTask: props.acceptableBacklogPerTask,
      scaleFromZero: minTasks === 0,
    });
    // Target tracking scales out when any policy asks and in only when all agree: CPU is a floor.
    this.taskCount.scaleOnCpuUtilization('CpuScaling', {
      targetUtilizationPercent: targetCpuPercent,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.minutes(1),
    });
  }

  /** Tasks running, from Container Insights; the divisor of backlog per task. */
  metricRunningTaskCount(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      dimensionsMap: { ClusterName: this.clusterName, ServiceName: this.serviceName },
      statistic: 'Average',
      period: Duration.minutes(1),
      ...options,
    });
  }

  /** Visible messages per running task, as the scaling policy computes it. */
  metricBacklogPerTask(options?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return this.scaling.metricBacklogPerTask(options);
  }

  /** Average CPU percent of the service's tasks, which the backstop policy tracks. */
  metricCpuUtilization(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.metricCpuUtilization({ period: Duration.minutes(1), ...options });
  }

  private get clusterName(): string {
    return this.service.cluster.clusterName;
  }

  private get serviceName(): string {
    return this.service.serviceName;
  }
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** `tasks-below-minimum` → `TasksBelowMinimum`, for construct ids. */
