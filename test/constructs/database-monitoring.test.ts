import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuroraShard, AuroraShardProps } from '../../lib/constructs/database';
import { regionalFoundation } from '../helpers';

/** GIVEN a region's network and key, WHEN a shard is added with `props`, THEN its stack. */
function build(props: Partial<AuroraShardProps>, nag = false): Stack {
  const app = new App();
  const stack = new Stack(app, 'Data', { env: { region: 'us-east-1' } });
  const { key, vpc } = regionalFoundation(stack);
  const clientSecurityGroup = new ec2.SecurityGroup(stack, 'DatabaseClients', { vpc });
  new AuroraShard(stack, 'Shard0', {
    appName: 'app',
    shardIndex: 0,
    role: 'primary',
    vpc,
    key,
    clientSecurityGroup,
    ...props,
  });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}

describe('AuroraShard Enhanced Monitoring', () => {
  test('monitoringInterval turns it on for every instance, through a monitoring role that passes cdk-nag', () => {
    const stack = build({ readers: 1, monitoringInterval: Duration.seconds(60) }, true);
    const template = Template.fromStack(stack);
    const instances = Object.values(template.findResources('AWS::RDS::DBInstance'));
    expect(instances).toHaveLength(2);
    for (const instance of instances) {
      expect(instance.Properties).toMatchObject({
        MonitoringInterval: 60,
        MonitoringRoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^Shard0ClusterMonitoringRole/), 'Arn'] },
      });
    }
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'monitoring.rds.amazonaws.com' } })],
      },
    });
  });

  test('is off by default', () => {
    const instances = Object.values(Template.fromStack(build({})).findResources('AWS::RDS::DBInstance'));
    for (const instance of instances) expect(instance.Properties.MonitoringInterval).toBeUndefined();
  });

  test('an interval RDS does not offer is refused, naming the prop', () => {
    expect(() => build({ monitoringInterval: Duration.seconds(7) })).toThrow(
      /^Data\/Shard0: monitoringInterval = "7 seconds" is not allowed \(allowed: 1, 5, 10, 15, 30 or 60 seconds\)$/,
    );
  });
});
