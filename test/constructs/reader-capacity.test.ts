import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ReaderCapacityAlarm } from '../../lib/constructs/reader-capacity';
import { FEATURE_FLAGS } from '../helpers';

const bareStack = () => new Stack(new App({ context: FEATURE_FLAGS }), 'Bare', { env: { region: 'eu-west-1' } });

describe('ReaderCapacityAlarm', () => {
  test('serverless readers: average ACU utilization of the READER role at 80% for 15 minutes', () => {
    const stack = bareStack();
    new ReaderCapacityAlarm(stack, 'Readers', {
      clusterIdentifier: 'app-shard-0',
      serverless: true,
      alarmName: 'app-shard-0-readers-saturated',
      runbook: 'docs/runbooks/scale-readers.md',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'app-shard-0-readers-saturated',
      Namespace: 'AWS/RDS',
      MetricName: 'ACUUtilization',
      Dimensions: [
        { Name: 'DBClusterIdentifier', Value: 'app-shard-0' },
        { Name: 'Role', Value: 'READER' },
      ],
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 15,
      Threshold: 80,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp('add a reader \\(docs/runbooks/scale-readers.md\\)'),
    });
  });

  test('provisioned readers are watched on CPU, with the given threshold and duration', () => {
    const stack = bareStack();
    new ReaderCapacityAlarm(stack, 'Readers', {
      clusterIdentifier: 'app-shard-1',
      serverless: false,
      thresholdPercent: 70,
      sustainedFor: Duration.minutes(30),
      runbook: 'docs/runbooks/scale-readers.md',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CPUUtilization',
      Threshold: 70,
      EvaluationPeriods: 30,
    });
  });

  test('rejects a threshold outside (0, 100] and a duration that is not whole minutes', () => {
    const stack = bareStack();
    const common = { clusterIdentifier: 'c', serverless: true, runbook: 'r' };
    expect(() => new ReaderCapacityAlarm(stack, 'High', { ...common, thresholdPercent: 120 })).toThrow(
      /High: thresholdPercent = 120 must be above 0 and at most 100/,
    );
    expect(() => new ReaderCapacityAlarm(stack, 'Short', { ...common, sustainedFor: Duration.seconds(30) })).toThrow(
      /Short: sustainedFor = 0.5 minutes must be whole minutes from 1 to 1440/,
    );
  });
});
