import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  EdgeMonitoring,
  EdgeMonitoringProps,
  edgeAlarmNames,
  edgeDashboardRows,
  edgeTopicArn,
} from '../../lib/constructs/edge-monitoring';
import { HealthCheckAlarm, HealthCheckAlarmProps } from '../../lib/constructs/health-check-alarm';
import { FEATURE_FLAGS } from '../helpers';

const BASE: EdgeMonitoringProps = {
  namePrefix: 'app-edge',
  distributionId: 'E123EXAMPLE',
  webAclName: 'app-edge',
  additionalMetrics: true,
};
const edgeStack = () =>
  new Stack(new App({ context: FEATURE_FLAGS }), 'Edge', { env: { account: '111111111111', region: 'us-east-1' } });

describe('EdgeMonitoring with defaults and additional metrics', () => {
  let stack: Stack;
  let template: Template;
  let monitoring: EdgeMonitoring;
  const alarm = (name: string) =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }))[0]?.Properties;
  beforeAll(() => {
    stack = edgeStack();
    monitoring = new EdgeMonitoring(stack, 'Monitoring', BASE);
    template = Template.fromStack(stack);
  });

  test('makes one named, encrypted, TLS-only topic per severity', () => {
    for (const severity of ['page', 'ticket']) {
      template.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: `app-edge-${severity}`,
        KmsMasterKeyId: Match.anyValue(),
      });
    }
    template.resourceCountIs('AWS::SNS::TopicPolicy', 2);
  });

  test('its own key goes with the stack: it encrypts notifications in flight only', () => {
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ PendingWindowInDays: 7 }),
    });
  });

  test('the key lets CloudWatch alarms of this account and region publish', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchAlarmsOfThisAccount',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:111111111111:alarm:*' } },
          }),
        ]),
      },
    });
  });

  test('a CloudFront 5xx rate of 5% for 15 minutes pages, and tells when it is over', () => {
    expect(alarm('app-edge-page-cloudFront5xxRatePercent')).toMatchObject({
      Namespace: 'AWS/CloudFront',
      MetricName: '5xxErrorRate',
      Dimensions: [
        { Name: 'DistributionId', Value: 'E123EXAMPLE' },
        { Name: 'Region', Value: 'Global' },
      ],
      Statistic: 'Average',
      Period: 300,
      Threshold: 5,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: expect.stringMatching(/^MonitoringPageTopic/) }],
      OKActions: [{ Ref: expect.stringMatching(/^MonitoringPageTopic/) }],
    });
  });

  test('4xx rate and origin latency p90 open tickets', () => {
    expect(alarm('app-edge-ticket-cloudFront4xxRatePercent')).toMatchObject({
      MetricName: '4xxErrorRate',
      Threshold: 15,
    });
    expect(alarm('app-edge-ticket-originLatencyP90Ms')).toMatchObject({
      MetricName: 'OriginLatency',
      ExtendedStatistic: 'p90',
      Threshold: 1500,
      AlarmActions: [{ Ref: expect.stringMatching(/^MonitoringTicketTopic/) }],
    });
  });

  test('a spike of WAF-blocked requests above their anomaly band opens a ticket', () => {
    const waf = alarm('app-edge-ticket-wafBlockedBandWidth');
    expect(waf).toMatchObject({
      ComparisonOperator: 'GreaterThanUpperThreshold',
      EvaluationPeriods: 2,
      ThresholdMetricId: expect.any(String),
    });
    const expression = waf.Metrics.find((m: { Expression?: string }) => m.Expression)?.Expression;
    expect(expression).toMatch(/^ANOMALY_DETECTION_BAND\(m\d+, 4\)$/);
    expect(waf.Metrics).toContainEqual(
      expect.objectContaining({
        MetricStat: expect.objectContaining({
          Metric: {
            Namespace: 'AWS/WAFV2',
            MetricName: 'BlockedRequests',
            Dimensions: [
              { Name: 'Rule', Value: 'ALL' },
              { Name: 'WebACL', Value: 'app-edge' },
            ],
          },
          Stat: 'Sum',
        }),
      }),
    );
  });

  test('names every alarm as edgeAlarmNames says, for dashboards in other stacks', () => {
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName);
    expect(names.sort()).toEqual(edgeAlarmNames('app-edge', { additionalMetrics: true }).sort());
    expect(monitoring.alarms).toHaveLength(names.length);
  });

  test('passes cdk-nag', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});

describe('EdgeMonitoring without additional metrics and with overrides', () => {
  test('makes no origin-latency alarm, drops a threshold given as undefined, adds and applies the others', () => {
    const stack = edgeStack();
    new EdgeMonitoring(stack, 'Monitoring', {
      ...BASE,
      additionalMetrics: false,
      thresholds: {
        page: { cloudFront5xxRatePercent: 10 },
        ticket: { cloudFront5xxRatePercent: 1, cloudFront4xxRatePercent: undefined },
      },
    });
    const template = Template.fromStack(stack);
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName);
    expect(names.sort()).toEqual([
      'app-edge-page-cloudFront5xxRatePercent',
      'app-edge-ticket-cloudFront5xxRatePercent',
      'app-edge-ticket-wafBlockedBandWidth',
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'app-edge-page-cloudFront5xxRatePercent',
      Threshold: 10,
    });
  });
});

describe('EdgeMonitoring validation', () => {
  test.each<[string, Partial<EdgeMonitoringProps>, RegExp]>([
    ['a prefix with spaces', { namePrefix: 'my app' }, /namePrefix = "my app" must be 1-200/],
    [
      'a threshold of zero',
      { thresholds: { page: { cloudFront5xxRatePercent: 0 } } },
      /thresholds\.page\.cloudFront5xxRatePercent = 0 must be a number above 0/,
    ],
  ])('rejects %s', (_name, props, message) => {
    expect(() => new EdgeMonitoring(edgeStack(), 'Monitoring', { ...BASE, ...props })).toThrow(message);
  });
});

describe('edgeTopicArn and edgeDashboardRows', () => {
  test('address the edge topics and alarms in us-east-1 from a stack of another region', () => {
    const stack = new Stack(new App(), 'Service', { env: { account: '111111111111', region: 'eu-west-1' } });
    expect(stack.resolve(edgeTopicArn(stack, 'app-edge', 'page', 'us-east-1'))).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:us-east-1:111111111111:app-edge-page']],
    });
    const rows = edgeDashboardRows(stack, {
      alarmNames: ['app-edge-page-cloudFront5xxRatePercent', 'app-eu-west-1-origin-health-check'],
      webAclName: 'app-edge',
      edgeRegion: 'us-east-1',
    });
    new cloudwatch.Dashboard(stack, 'Dashboard', { widgets: rows });
    const body = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(body).toContain(':cloudwatch:us-east-1:111111111111:alarm:app-eu-west-1-origin-health-check');
    expect(body).toContain('MetricName=\\\\\\"HealthCheckStatus\\\\\\"');
    expect(body).toContain('\\"region\\":\\"us-east-1\\"');
  });
});

describe('HealthCheckAlarm', () => {
  const PROPS: HealthCheckAlarmProps = {
    healthCheckId: 'abcd-1234',
    alarmName: 'app-eu-west-1-origin-health-check',
    description: '[page] eu-west-1 origin fails',
    topicArns: ['arn:aws:sns:us-east-1:111111111111:app-edge-page'],
  };
  let stack: Stack;
  let template: Template;
  beforeAll(() => {
    stack = new Stack(new App({ context: FEATURE_FLAGS }), 'Service', {
      env: { account: '111111111111', region: 'eu-west-1' },
    });
    new HealthCheckAlarm(stack, 'OriginHealth', PROPS);
    template = Template.fromStack(stack);
  });
  const call = (phase: 'Create' | 'Update' | 'Delete') => {
    const [resource] = Object.values(template.findResources('Custom::AWS'));
    return JSON.parse(resource.Properties[phase]);
  };

  test('writes a Route 53 health-check-status alarm in us-east-1 on create and update', () => {
    for (const phase of ['Create', 'Update'] as const) {
      expect(call(phase)).toMatchObject({
        service: 'CloudWatch',
        action: 'putMetricAlarm',
        region: 'us-east-1',
        parameters: {
          AlarmName: PROPS.alarmName,
          Namespace: 'AWS/Route53',
          MetricName: 'HealthCheckStatus',
          Dimensions: [{ Name: 'HealthCheckId', Value: 'abcd-1234' }],
          Statistic: 'Minimum',
          Period: 60,
          EvaluationPeriods: 2,
          Threshold: 1,
          ComparisonOperator: 'LessThanThreshold',
          TreatMissingData: 'breaching',
          AlarmActions: PROPS.topicArns,
          OKActions: PROPS.topicArns,
        },
      });
    }
  });

  test('deletes the alarm with the stack', () => {
    expect(call('Delete')).toMatchObject({
      action: 'deleteAlarms',
      region: 'us-east-1',
      parameters: { AlarmNames: [PROPS.alarmName] },
    });
  });

  test('may write and delete that one alarm only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['cloudwatch:DeleteAlarms', 'cloudwatch:PutMetricAlarm'],
            Resource: `arn:aws:cloudwatch:us-east-1:111111111111:alarm:${PROPS.alarmName}`,
          }),
        ]),
      },
    });
  });

  test('passes cdk-nag', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });

  test.each<[string, Partial<HealthCheckAlarmProps>, RegExp]>([
    ['no topic', { topicArns: [] }, /topicArns is empty/],
    ['zero periods', { periods: 0 }, /periods = 0 must be an integer from 1 to 60/],
    ['an empty name', { alarmName: '' }, /alarmName = "" must be 1-255/],
  ])('rejects %s', (_name, props, message) => {
    const scope = new Stack(new App(), 'S');
    expect(() => new HealthCheckAlarm(scope, 'A', { ...PROPS, ...props })).toThrow(message);
  });
});
