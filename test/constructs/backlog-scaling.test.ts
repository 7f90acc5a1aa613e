import { App, Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PropError } from '../../lib/constructs/validation';
import {
  BACKLOG_PER_TASK_EXPRESSION,
  BacklogPerTaskScaling,
  BacklogPerTaskScalingProps,
  SCALE_FROM_ZERO_EXPRESSION,
} from '../../lib/constructs/backlog-scaling';
import { WorkQueue } from '../../lib/constructs/work-queue';
import { FEATURE_FLAGS, backlogMetricQueries, clusterAndTask, fargateService, regionalFoundation } from '../helpers';

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly scaling: BacklogPerTaskScaling;
  readonly template: Template;
  readonly ids: { readonly queue: string; readonly cluster: string; readonly service: string; readonly target: string };
}

function build(props: Partial<BacklogPerTaskScalingProps> = {}, options: { nag?: boolean } = {}): Built {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1' } });
  const { key, vpc } = regionalFoundation(stack);
  const work = new WorkQueue(stack, 'Work', { key });
  const worker = clusterAndTask(stack, vpc, {
    name: 'worker',
    command: ['node', '--enable-source-maps', 'dist/worker.js'],
  });
  const { cluster } = worker;
  const service = fargateService(stack, 'Service', worker);
  const taskCount = service.autoScaleTaskCount({ minCapacity: 1, maxCapacity: 10 });
  const scaling = new BacklogPerTaskScaling(stack, 'Backlog', {
    service,
    scalableTarget: taskCount,
    queue: work.queue,
    acceptableBacklogPerTask: 50,
    ...props,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const idOf = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as never);
  const template = Template.fromStack(stack);
  const target = Object.keys(template.findResources('AWS::ApplicationAutoScaling::ScalableTarget'))[0];
  return {
    app,
    stack,
    scaling,
    template,
    ids: { queue: idOf(work.queue), cluster: idOf(cluster), service: idOf(service), target },
  };
}

/** The metric queries the policy must carry, in order, and nothing else. */
function expectedQueries(ids: Built['ids']) {
  return [
    ...backlogMetricQueries(ids),
    { Id: 'e1', Expression: 'IF(m2 > 0, m1 / m2, m1)', Label: 'Backlog per task', ReturnData: true },
  ];
}

describe('BacklogPerTaskScaling with defaults', () => {
  let built: Built;
  beforeAll(() => {
    built = build({}, { nag: true });
  });

  test('tracks visible messages over running tasks, with no task counted as one', () => {
    expect(BACKLOG_PER_TASK_EXPRESSION).toBe('IF(m2 > 0, m1 / m2, m1)');
    built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        CustomizedMetricSpecification: Match.exact({ Metrics: expectedQueries(built.ids) }),
      },
    });
  });

  test('keeps 50 messages per task, scaling in after 60 s and out after 30 s', () => {
    built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, ScaleInCooldown: 60, ScaleOutCooldown: 30 },
    });
  });

  test("attaches to the service's one scalable target on its desired count", () => {
    built.template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
    built.template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
    built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      ScalingTargetId: { Ref: built.ids.target },
    });
    built.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'ecs',
      ScalableDimension: 'ecs:service:DesiredCount',
      ResourceId: {
        'Fn::Join': ['', ['service/', { Ref: built.ids.cluster }, '/', { 'Fn::GetAtt': [built.ids.service, 'Name'] }]],
      },
    });
  });

  test('offers the same math for dashboards and alarms, per minute', () => {
    const metric = built.scaling.metricBacklogPerTask();
    expect(metric.expression).toBe(BACKLOG_PER_TASK_EXPRESSION);
    expect(metric.period.toMinutes()).toBe(1);
    const rendered = Object.entries(metric.usingMetrics).map(([id, m]) => {
      const stat = m.toMetricConfig().metricStat!;
      return {
        Id: id,
        MetricStat: {
          Metric: {
            Namespace: stat.namespace,
            MetricName: stat.metricName,
            Dimensions: built.stack.resolve(stat.dimensions).map((d: { name: string; value: unknown }) => ({
              Name: d.name,
              Value: d.value,
            })),
          },
          Stat: stat.statistic,
        },
        ReturnData: false,
      };
    });
    expect(rendered).toEqual(backlogMetricQueries(built.ids));
    expect(built.scaling.metricBacklogPerTask({ period: Duration.minutes(5) }).period.toMinutes()).toBe(5);
  });

  test('passes cdk-nag AwsSolutions and the template lint with no acknowledgement', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
  });
});

describe('BacklogPerTaskScaling options', () => {
  test('takes the target and both cooldowns', () => {
    const { template } = build({
      acceptableBacklogPerTask: 12.5,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.seconds(0),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 12.5, ScaleInCooldown: 300, ScaleOutCooldown: 0 },
    });
  });

  test('scaleFromZero adds a step policy of one task on waiting work without a running task', () => {
    const { template, scaling, stack, ids } = build({ scaleFromZero: true });
    expect(SCALE_FROM_ZERO_EXPRESSION).toBe('IF(m1 > 0 AND FILL(m2, 0) < 1, 1, 0)');
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 2);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      ScalingTargetId: { Ref: ids.target },
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'ChangeInCapacity',
        Cooldown: 300,
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
      },
    });
    const policy = stack.getLogicalId(scaling.scaleFromZero!.action.node.findChild('Resource') as never);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: SCALE_FROM_ZERO_EXPRESSION, ReturnData: true })]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: policy }],
    });
  });

  test('without scaleFromZero, target tracking is the only policy', () => {
    const { template, scaling } = build();
    expect(scaling.scaleFromZero).toBeUndefined();
    template.resourcePropertiesCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', { PolicyType: 'StepScaling' }, 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('skips checks on deploy-time values', () => {
    const { template } = build({
      acceptableBacklogPerTask: Lazy.number({ produce: () => 0.5 }),
      scaleInCooldown: Duration.seconds(Lazy.number({ produce: () => 7 })),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 0.5, ScaleInCooldown: 7 },
    });
  });
});

describe('BacklogPerTaskScaling validation', () => {
  test.each([0, 0.5, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects acceptableBacklogPerTask %p', (value) => {
    expect(() => build({ acceptableBacklogPerTask: value })).toThrow(PropError);
    expect(() => build({ acceptableBacklogPerTask: value })).toThrow(
      /^Test\/Backlog: acceptableBacklogPerTask = \S+ is not allowed \(allowed: a number >= 1\)$/,
    );
  });

  test.each(['scaleInCooldown', 'scaleOutCooldown'] as const)('rejects a %s of part of a second', (prop) => {
    expect(() => build({ [prop]: Duration.millis(1500) })).toThrow(
      new RegExp(
        `^Test/Backlog: ${prop} = "1 second 500 millis" is out of range \\(allowed: a whole number of seconds\\)$`,
      ),
    );
  });
});
