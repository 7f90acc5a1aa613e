import { App, Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PropError } from '../../lib/constructs/validation';
import { BACKLOG_PER_TASK_EXPRESSION } from '../../lib/constructs/backlog-scaling';
import { WorkQueue } from '../../lib/constructs/work-queue';
import { WorkerService, WorkerServiceProps } from '../../lib/constructs/worker-service';
import { FEATURE_FLAGS, backlogMetricQueries, clusterAndTask, regionalFoundation } from '../helpers';

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly vpc: ec2.IVpc;
  readonly work: WorkQueue;
  readonly worker: WorkerService;
  readonly template: Template;
}

interface BuildOptions {
  readonly nag?: boolean;
  readonly withDeadLetterQueue?: boolean;
  readonly extraSecurityGroup?: boolean;
}

function build(props: Partial<WorkerServiceProps> = {}, options: BuildOptions = {}): Built {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1' } });
  const { key, vpc } = regionalFoundation(stack);
  const work = new WorkQueue(stack, 'Work', { key });
  const { cluster, taskDefinition } = clusterAndTask(stack, vpc, {
    name: 'worker',
    command: ['node', '--enable-source-maps', 'dist/worker.js'],
  });
  const securityGroups = options.extraSecurityGroup
    ? [new ec2.SecurityGroup(stack, 'CacheClients', { vpc, description: 'Cache clients' })]
    : undefined;
  const worker = new WorkerService(stack, 'Worker', {
    cluster,
    taskDefinition,
    queue: work.queue,
    deadLetterQueue: options.withDeadLetterQueue === false ? undefined : work.deadLetterQueue,
    securityGroups,
    minTasks: 2,
    maxTasks: 20,
    acceptableBacklogPerTask: 100,
    ...props,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, vpc, work, worker, template: Template.fromStack(stack) };
}

const idOf = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

describe('WorkerService', () => {
  let built: Built;
  let ids: { service: string; securityGroup: string; cluster: string; queue: string; deadLetters: string };
  beforeAll(() => {
    built = build({}, { nag: true });
    const { stack, worker, work } = built;
    ids = {
      service: idOf(stack, worker.service),
      securityGroup: idOf(stack, worker.securityGroup),
      cluster: idOf(stack, worker.service.cluster as ecs.Cluster),
      queue: idOf(stack, work.queue),
      deadLetters: idOf(stack, work.deadLetterQueue),
    };
  });

  test('runs on Fargate behind no load balancer, without ECS Exec', () => {
    built.template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      EnableExecuteCommand: false,
    });
    const [service] = Object.values(built.template.findResources('AWS::ECS::Service'));
    expect(service.Properties.LoadBalancers ?? []).toEqual([]);
    built.template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    built.template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 0);
  });

  test('runs in the app subnets with no public IP, in its own group that admits nothing', () => {
    const appSubnets = built.vpc.selectSubnets({ subnetGroupName: 'app' }).subnetIds;
    built.template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          AssignPublicIp: 'DISABLED',
          Subnets: built.stack.resolve(appSubnets),
          SecurityGroups: [{ 'Fn::GetAtt': [ids.securityGroup, 'GroupId'] }],
        },
      },
    });
    const group = built.template.toJSON().Resources[ids.securityGroup];
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    built.template.resourcePropertiesCountIs(
      'AWS::EC2::SecurityGroupIngress',
      { GroupId: { 'Fn::GetAtt': [ids.securityGroup, 'GroupId'] } },
      0,
    );
  });

  test('deploys with 100-200 % healthy tasks and rolls back on the circuit breaker or an alarm', () => {
    const resources = built.template.toJSON().Resources;
    const literalNames = built.worker.deploymentAlarms.map(
      (alarm) => resources[idOf(built.stack, alarm)].Properties.AlarmName,
    );
    expect(literalNames).toHaveLength(2);
    for (const name of literalNames) expect(name).toMatch(/^Test-Worker-[0-9A-F]{8}-[a-z-]+$/);
    built.template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: {
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        Alarms: { AlarmNames: literalNames, Enable: true, Rollback: true },
      },
    });
  });

  test('alarms when fewer than minTasks tasks run for 3 minutes', () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: Match.stringLikeRegexp('-tasks-below-minimum$'),
      Namespace: 'ECS/ContainerInsights',
      MetricName: 'RunningTaskCount',
      Dimensions: Match.arrayWith([
        { Name: 'ClusterName', Value: { Ref: ids.cluster } },
        { Name: 'ServiceName', Value: { 'Fn::GetAtt': [ids.service, 'Name'] } },
      ]),
      Statistic: 'Average',
      Period: 60,
      Threshold: 2,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      TreatMissingData: 'notBreaching',
    });
  });

  test('alarms when the dead-letter queue grows within 10 minutes', () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: Match.stringLikeRegexp('-dead-letters-growing$'),
      Metrics: [
        { Id: 'expr_1', Expression: 'DIFF(m1)', Label: 'Dead letters added' },
        {
          Id: 'm1',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/SQS',
              MetricName: 'ApproximateNumberOfMessagesVisible',
              Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.deadLetters, 'QueueName'] } }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
          ReturnData: false,
        },
      ],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 10,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  test('scales from 2 to 20 tasks on one scalable target, with no scale-from-zero policy', () => {
    expect(built.worker.scaling.scaleFromZero).toBeUndefined();
    built.template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
    built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 20,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
  });

  test('tracks 100 messages per task, with 70 % CPU as a backstop', () => {
    built.template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 2);
    built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 100,
        CustomizedMetricSpecification: {
          Metrics: Match.arrayWith([Match.objectLike({ Expression: BACKLOG_PER_TASK_EXPRESSION, ReturnData: true })]),
        },
      },
    });
    built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 70,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        ScaleInCooldown: 300,
        ScaleOutCooldown: 60,
      },
    });
  });

  test('the task role consumes the work queue and decrypts with its key, nothing else', () => {
    const taskRole = idOf(built.stack, built.worker.service.taskDefinition.taskRole);
    built.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: taskRole }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'sqs:ChangeMessageVisibility',
              'sqs:DeleteMessage',
              'sqs:GetQueueAttributes',
              'sqs:GetQueueUrl',
              'sqs:ReceiveMessage',
            ],
            Resource: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
          },
          {
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
          },
        ],
      },
    });
    built.template.resourcePropertiesCountIs('AWS::IAM::Policy', { Roles: [{ Ref: taskRole }] }, 1);
  });

  test('offers running tasks, backlog per task and CPU metrics of the service', () => {
    const { worker, stack } = built;
    expect(worker.metricRunningTaskCount()).toMatchObject({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      statistic: 'Average',
    });
    expect(stack.resolve(worker.metricRunningTaskCount().dimensions)).toEqual({
      ClusterName: { Ref: ids.cluster },
      ServiceName: { 'Fn::GetAtt': [ids.service, 'Name'] },
    });
    expect(worker.metricBacklogPerTask().expression).toBe(BACKLOG_PER_TASK_EXPRESSION);
    expect(worker.metricCpuUtilization()).toMatchObject({ namespace: 'AWS/ECS', metricName: 'CPUUtilization' });
    expect(worker.metricCpuUtilization({ period: Duration.minutes(5) }).period.toMinutes()).toBe(5);
  });

  test('passes cdk-nag AwsSolutions and the template lint with no acknowledgement', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
  });
});

describe('WorkerService scaling to zero (minTasks 0)', () => {
  let built: Built;
  let ids: { service: string; cluster: string; queue: string; policy: string };
  beforeAll(() => {
    built = build({ minTasks: 0, maxTasks: 2 }, { nag: true });
    const { stack, worker, work } = built;
    ids = {
      service: idOf(stack, worker.service),
      cluster: idOf(stack, worker.service.cluster as ecs.Cluster),
      queue: idOf(stack, work.queue),
      policy: stack.getLogicalId(worker.scaling.scaleFromZero!.action.node.findChild('Resource') as never),
    };
  });

  test('scales between 0 and 2 tasks on one scalable target', () => {
    built.template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
    built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 0,
      MaxCapacity: 2,
    });
  });

  test('adds one task when messages wait and none runs, besides backlog and CPU tracking', () => {
    built.template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 3);
    built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'ChangeInCapacity',
        MetricAggregationType: 'Maximum',
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
      },
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [
        { Id: 'expr_1', Expression: 'IF(m1 > 0 AND FILL(m2, 0) < 1, 1, 0)', Label: 'Work waiting without a task' },
        ...backlogMetricQueries(ids, 60),
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: ids.policy }],
    });
  });

  test('has no below-minimum alarm; deployments watch the dead-letter queue', () => {
    built.template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { AlarmName: Match.stringLikeRegexp('-tasks-below-minimum$') },
      0,
    );
    expect(built.worker.deploymentAlarms).toHaveLength(1);
    built.template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: {
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        Alarms: { AlarmNames: [Match.stringLikeRegexp('-dead-letters-growing$')], Enable: true, Rollback: true },
      },
    });
  });

  test('passes cdk-nag AwsSolutions and the template lint with no acknowledgement', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
  });

  test('without a dead-letter queue either, deployments rely on the circuit breaker alone', () => {
    const { template, worker } = build({ minTasks: 0, maxTasks: 2 }, { withDeadLetterQueue: false });
    expect(worker.deploymentAlarms).toHaveLength(0);
    const [service] = Object.values(template.findResources('AWS::ECS::Service'));
    expect(service.Properties.DeploymentConfiguration.Alarms).toBeUndefined();
    expect(service.Properties.DeploymentConfiguration.DeploymentCircuitBreaker).toEqual({
      Enable: true,
      Rollback: true,
    });
  });
});

describe('WorkerService options', () => {
  test('without a dead-letter queue, deployments watch the task count alone', () => {
    const { template, worker } = build({}, { withDeadLetterQueue: false });
    expect(worker.deploymentAlarms).toHaveLength(1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: {
        Alarms: { AlarmNames: [Match.stringLikeRegexp('-tasks-below-minimum$')] },
      },
    });
  });

  test('adds extra groups after its own, takes a CPU target and a dead-letter window', () => {
    const { template, stack, worker } = build(
      { targetCpuPercent: 50, deadLetterWindow: Duration.minutes(20) },
      { extraSecurityGroup: true },
    );
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          SecurityGroups: [
            { 'Fn::GetAtt': [idOf(stack, worker.securityGroup), 'GroupId'] },
            { 'Fn::GetAtt': [Match.stringLikeRegexp('^CacheClients'), 'GroupId'] },
          ],
        },
      },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 50 },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: Match.stringLikeRegexp('-dead-letters-growing$'),
      EvaluationPeriods: 20,
    });
  });

  test('skips range checks on deploy-time values', () => {
    const { template } = build({
      minTasks: Lazy.number({ produce: () => 3 }),
      maxTasks: Lazy.number({ produce: () => 2 }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3, MaxCapacity: 2 });
  });
});

describe('WorkerService validation', () => {
  test.each([
    ['minTasks', -1, 0],
    ['minTasks', 1001, 0],
    ['minTasks', 1.5, 0],
    ['maxTasks', 0, 1],
    ['maxTasks', 1001, 1],
  ] as const)('rejects %s = %p', (prop, value, fewest) => {
    const props = { minTasks: 1, maxTasks: 1000, [prop]: value };
    expect(() => build(props)).toThrow(PropError);
    expect(() => build(props)).toThrow(
      new RegExp(`^Test/Worker: ${prop} = -?[\\d.]+ is not allowed \\(allowed: an integer from ${fewest} to 1000\\)$`),
    );
  });

  test('rejects minTasks above maxTasks', () => {
    expect(() => build({ minTasks: 5, maxTasks: 4 })).toThrow(
      /^Test\/Worker: minTasks = 5 is greater than maxTasks \(allowed: at most maxTasks = 4\)$/,
    );
  });

  test.each([5, 95, 70.5])('rejects targetCpuPercent %p', (targetCpuPercent) => {
    expect(() => build({ targetCpuPercent })).toThrow(
      /^Test\/Worker: targetCpuPercent = [\d.]+ is not allowed \(allowed: an integer from 10 to 90\)$/,
    );
  });

  test.each([
    ['1 minute 30 seconds', Duration.seconds(90)],
    ['2 hours', Duration.hours(2)],
    ['30 seconds', Duration.seconds(30)],
  ] as const)('rejects a dead-letter window of %s', (shown, deadLetterWindow) => {
    expect(() => build({ deadLetterWindow })).toThrow(
      new RegExp(
        `^Test/Worker: deadLetterWindow = "${shown}" is out of range \\(allowed: a whole number of minutes from 1 to 60\\)$`,
      ),
    );
  });

  test('passes the backlog target to the scaling, which checks it', () => {
    expect(() => build({ acceptableBacklogPerTask: 0 })).toThrow(
      /^Test\/Worker\/BacklogScaling: acceptableBacklogPerTask = 0 is not allowed \(allowed: a number >= 1\)$/,
    );
  });
});
