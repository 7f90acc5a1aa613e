import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { BusinessAlarms, BusinessAlarmsProps } from '../../lib/constructs/business-alarms';

const dau = new cloudwatch.Metric({
  namespace: 'app/Service',
  metricName: 'DailyActiveUsers',
  dimensionsMap: { Service: 'api' },
  statistic: 'Maximum',
  period: Duration.minutes(15),
});

function build(props: Partial<BusinessAlarmsProps> = {}) {
  const stack = new Stack(new App(), 'Service', { env: { region: 'eu-west-1' } });
  const topic = new sns.Topic(stack, 'Ticket');
  new BusinessAlarms(stack, 'Business', { dailyActiveUsers: dau, topic, label: 'eu-west-1', ...props });
  return stack;
}

describe('BusinessAlarms', () => {
  let template: Template;
  beforeAll(() => {
    template = Template.fromStack(build({ alarmName: 'app-eu-west-1-dau-drop' }));
  });

  test('DAU below its anomaly band for 3 × 15 minutes tells the topic, and tells when it is back', () => {
    const [alarm] = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarm).toMatchObject({
      AlarmName: 'app-eu-west-1-dau-drop',
      ComparisonOperator: 'LessThanLowerThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: expect.stringMatching(/^Ticket/) }],
      OKActions: [{ Ref: expect.stringMatching(/^Ticket/) }],
    });
    expect(alarm.Metrics).toContainEqual(
      expect.objectContaining({ Expression: expect.stringMatching(/^ANOMALY_DETECTION_BAND\(m\d+, 3\)$/) }),
    );
    expect(alarm.Metrics).toContainEqual(
      expect.objectContaining({
        MetricStat: {
          Metric: {
            Namespace: 'app/Service',
            MetricName: 'DailyActiveUsers',
            Dimensions: [{ Name: 'Service', Value: 'api' }],
          },
          Period: 900,
          Stat: 'Maximum',
        },
      }),
    );
    expect(alarm.AlarmDescription).toBe(
      '[ticket] eu-west-1: daily active users below their usual band (3 standard deviations) for 3 × 15 minutes',
    );
  });

  test.each<[string, Partial<BusinessAlarmsProps>, RegExp]>([
    ['a band of zero', { bandWidth: 0 }, /bandWidth = 0 must be above 0 and at most 10/],
    ['zero periods', { periods: 0 }, /periods = 0 must be an integer from 1 to 24/],
  ])('rejects %s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
