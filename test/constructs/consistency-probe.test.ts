import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConsistencyProbe, ConsistencyProbeProps } from '../../lib/constructs/consistency-probe';
import { consistencyMatrixWidgets } from '../../lib/constructs/consistency-probe/matrix';
import { FEATURE_FLAGS, importedLoadBalancer, regionalFoundation } from '../helpers';

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-northeast-2'];

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly probe: ConsistencyProbe;
  readonly template: Template;
}

function build(props: Partial<ConsistencyProbeProps> = {}, options: { nag?: boolean; actions?: boolean } = {}): Built {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const { key, vpc } = regionalFoundation(stack);
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENHANCED });
  const topic = (id: string) => new actions.SnsAction(new sns.Topic(stack, id, { enforceSSL: true, masterKey: key }));
  const probe = new ConsistencyProbe(stack, 'Probe', {
    cluster,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/service:1'),
    architecture: 'arm64',
    region: 'eu-west-1',
    targets: REGIONS.map((region) => ({ region, connectHost: `${region}.origin.example.com` })),
    originDomainName: 'origin.example.com',
    originVerify: {
      headerName: 'x-origin-verify',
      secret: secretsmanager.Secret.fromSecretNameV2(stack, 'OriginVerify', 'app/origin-verify'),
    },
    secretKeys: [key],
    record: {
      zone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
        hostedZoneId: 'Z0123456789',
        zoneName: 'example.com',
      }),
      loadBalancer: importedLoadBalancer(stack),
    },
    alarms: options.actions === false ? {} : { pageAction: topic('Page'), ticketAction: topic('Ticket') },
    logKey: key,
    ...props,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, probe, template: Template.fromStack(stack) };
}

const statementsOf = (template: Template, roleId: string) =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);

describe('ConsistencyProbe', () => {
  let built: Built;
  let ids: { taskRole: string; schedulerRole: string; taskDefinition: string; securityGroup: string };
  beforeAll(() => {
    built = build({}, { nag: true });
    const { stack, probe } = built;
    const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
    ids = {
      taskRole: id(probe.task.taskRole as never),
      schedulerRole: id(probe.schedulerRole),
      taskDefinition: id(probe.task.taskDefinition),
      securityGroup: id(probe.securityGroup),
    };
  });

  test('EventBridge Scheduler starts the probe task every minute in the app subnets, HTTPS out only', () => {
    built.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        RoleArn: { 'Fn::GetAtt': [ids.schedulerRole, 'Arn'] },
        RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 },
        EcsParameters: {
          LaunchType: 'FARGATE',
          TaskDefinitionArn: { Ref: ids.taskDefinition },
          NetworkConfiguration: {
            AwsvpcConfiguration: {
              AssignPublicIp: 'DISABLED',
              SecurityGroups: [{ 'Fn::GetAtt': [ids.securityGroup, 'GroupId'] }],
              Subnets: Match.arrayWith([{ Ref: Match.stringLikeRegexp('NetworkVpcappSubnet1') }]),
            },
          },
        },
      },
    });
    built.template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Consistency probe'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })],
    });
    expect(built.template.toJSON().Resources[ids.securityGroup].Properties.SecurityGroupIngress).toBeUndefined();
  });

  test('the task runs dist/probe.js of the service image with every region pinned by its own host', () => {
    const [definition] = Object.values(built.template.findResources('AWS::ECS::TaskDefinition'));
    const container = definition.Properties.ContainerDefinitions[0];
    expect(container.Command).toEqual(['node', '--enable-source-maps', 'dist/probe.js']);
    expect(container.ReadonlyRootFilesystem).toBe(true);
    const env = Object.fromEntries(
      container.Environment.map((e: { Name: string; Value: string }) => [e.Name, e.Value]),
    );
    expect(JSON.parse(env.PROBE_TARGETS)).toEqual(
      REGIONS.map((region) => ({
        region,
        url: 'https://origin.example.com',
        connectHost: `${region}.origin.example.com`,
      })),
    );
    expect(env).toMatchObject({
      REGION: 'eu-west-1',
      PROBE_ORIGIN_VERIFY_HEADER: 'x-origin-verify',
      PROBE_ORIGIN_VERIFY_SECRET_ID: 'app/origin-verify',
      PROBE_STALE_AFTER_MS: '5000',
      PROBE_MAX_WAIT_MS: '30000',
      PROBE_METRICS_NAMESPACE: 'Blueprint/ConsistencyProbe',
    });
    // The secret's value never appears in the task definition: the probe reads it by name.
    expect(container.Secrets).toBeUndefined();
  });

  test('least privilege: the task reads the one secret and decrypts with the given key; the scheduler only runs this task', () => {
    const task = statementsOf(built.template, ids.taskRole);
    expect(task.map((s) => [s.Action].flat().sort())).toEqual([
      ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
      ['kms:Decrypt'],
    ]);
    expect(JSON.stringify(task[0]!.Resource)).toContain(':secret:app/origin-verify-??????');
    const scheduler = statementsOf(built.template, ids.schedulerRole);
    const actionsOf = scheduler.flatMap((s) => [s.Action].flat()).sort();
    expect(actionsOf).toEqual(['ecs:RunTask', 'iam:PassRole']);
    const runTask = scheduler.find((s) => [s.Action].flat().includes('ecs:RunTask'))!;
    expect(runTask.Resource).toEqual({ Ref: ids.taskDefinition });
    built.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } },
          }),
        ],
      },
    });
  });

  test("writes the region's own pinned name as an alias of its load balancer", () => {
    built.template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'eu-west-1.origin.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789',
      AliasTarget: Match.objectLike({ DNSName: 'dualstack.api-123.eu-west-1.elb.amazonaws.com' }),
    });
  });

  test('per reader region: staleness pages (3 of 4 minutes, with OK), errors or silence open a ticket (5 of 6)', () => {
    const alarms = Object.values(built.template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(2 * REGIONS.length);
    for (const reader of REGIONS) {
      const dims = [
        { Name: 'Reader', Value: reader },
        { Name: 'Writer', Value: 'eu-west-1' },
      ];
      built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'Blueprint/ConsistencyProbe',
        MetricName: 'StaleReads',
        Dimensions: dims,
        Statistic: 'Sum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 4,
        DatapointsToAlarm: 3,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^Page') }],
        OKActions: [{ Ref: Match.stringLikeRegexp('^Page') }],
        AlarmDescription: Match.stringLikeRegexp(`^\\[page\\] eu-west-1 → ${reader}: .*5 s`),
      });
      built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ProbeErrors',
        Dimensions: dims,
        EvaluationPeriods: 6,
        DatapointsToAlarm: 5,
        TreatMissingData: 'breaching',
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^Ticket') }],
        OKActions: Match.absent(),
      });
    }
  });

  test('exposes the pair metrics with the statistic each alarm and widget uses', () => {
    const { probe, stack } = built;
    expect(probe.metric('VisibleAfterMs', 'us-east-1')).toMatchObject({
      statistic: 'Maximum',
      metricName: 'VisibleAfterMs',
    });
    expect(stack.resolve(probe.metric('StaleReads', 'us-east-1').dimensions)).toEqual({
      Writer: 'eu-west-1',
      Reader: 'us-east-1',
    });
    expect(probe.staleAlarms['us-east-1']).toBeDefined();
    expect(probe.errorAlarms['ap-northeast-2']).toBeDefined();
  });

  test('passes cdk-nag AwsSolutions', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
  });
});

describe('ConsistencyProbe options', () => {
  test('bound, wait, namespace and alarm minutes come from props; no actions, no record', () => {
    const { template } = build(
      {
        staleAfter: Duration.seconds(2),
        maxWait: Duration.seconds(10),
        metricsNamespace: 'app/ConsistencyProbe',
        alarms: { staleMinutes: 1, errorMinutes: 2 },
        record: undefined,
      },
      { actions: false },
    );
    const [definition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    const env = definition.Properties.ContainerDefinitions[0].Environment;
    expect(env).toEqual(
      expect.arrayContaining([
        { Name: 'PROBE_STALE_AFTER_MS', Value: '2000' },
        { Name: 'PROBE_MAX_WAIT_MS', Value: '10000' },
        { Name: 'PROBE_METRICS_NAMESPACE', Value: 'app/ConsistencyProbe' },
      ]),
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'StaleReads',
      Namespace: 'app/ConsistencyProbe',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 1,
      AlarmActions: Match.absent(),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ProbeErrors', DatapointsToAlarm: 2 });
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
  });

  test('a longer interval sets the schedule, the metric period, and alarms that count whole runs', () => {
    const { template } = build({ interval: Duration.minutes(10), alarms: { staleMinutes: 3, errorMinutes: 25 } });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(10 minutes)' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'StaleReads',
      Period: 600,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 1,
      AlarmDescription: Match.stringLikeRegexp('in 1 of 2 runs \\(one every 10 minutes\\)'),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ProbeErrors',
      Period: 600,
      EvaluationPeriods: 4,
      DatapointsToAlarm: 3,
    });
  });

  test.each([
    [{ region: 'sa-east-1' }, /targets must include region sa-east-1/],
    [
      {
        targets: [
          { region: 'eu-west-1', connectHost: 'a' },
          { region: 'eu-west-1', connectHost: 'b' },
        ],
      },
      /targets name a region twice/,
    ],
    [{ maxWait: Duration.seconds(2) }, /maxWait must be at least staleAfter and less than interval/],
    [{ maxWait: Duration.seconds(60) }, /maxWait must be at least staleAfter and less than interval/],
    [{ alarms: { staleMinutes: 0 } }, /alarms.staleMinutes = 0 must be an integer >= 1/],
    [{ alarms: { errorMinutes: 1.5 } }, /alarms.errorMinutes = 1.5 must be an integer >= 1/],
  ])('refuses %j', (props, message) => {
    expect(() => build(props as Partial<ConsistencyProbeProps>)).toThrow(message);
  });
});

describe('consistencyMatrixWidgets', () => {
  test('one row per writer with a value per reader, each addressed in its writer region', () => {
    const rows = consistencyMatrixWidgets({
      namespace: 'app/ConsistencyProbe',
      regions: ['us-east-1', 'eu-west-1'],
      staleAfter: Duration.seconds(5),
    });
    // Heading, one row per writer, the lag graph.
    expect(rows).toHaveLength(4);
    const stack = new Stack(new App(), 'Widgets', { env: { region: 'us-east-1' } });
    const [visible, stale, errors] = rows[2]!.map((w) => stack.resolve(w.toJson())[0]);
    expect(visible.properties.title).toMatch(/^eu-west-1 writes: ms until visible/);
    expect(visible.properties.metrics).toEqual([
      [
        'app/ConsistencyProbe',
        'VisibleAfterMs',
        'Reader',
        'us-east-1',
        'Writer',
        'eu-west-1',
        expect.objectContaining({ region: 'eu-west-1', stat: 'Maximum' }),
      ],
      [
        'app/ConsistencyProbe',
        'VisibleAfterMs',
        'Reader',
        'eu-west-1',
        'Writer',
        'eu-west-1',
        expect.objectContaining({ region: 'eu-west-1', stat: 'Maximum' }),
      ],
    ]);
    expect(stale.properties.metrics[0]).toEqual(
      expect.arrayContaining(['StaleReads', expect.objectContaining({ stat: 'Sum' })]),
    );
    expect(errors.properties.title).toMatch(/probe errors/);
    const graph = stack.resolve(rows[3]![0]!.toJson())[0];
    expect(graph.properties.metrics).toHaveLength(4);
    expect(graph.properties.annotations.horizontal).toEqual([
      expect.objectContaining({ value: 5000, label: 'staleness bound' }),
    ]);
  });
});
