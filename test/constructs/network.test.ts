import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ConfigError } from '../../lib/config';
import { Network, NetworkProps } from '../../lib/constructs/network';

const AZS = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

function networkTemplate(props: Partial<NetworkProps> = {}): Template {
  const stack = new Stack(new App(), 'Test', { env: { region: 'eu-west-1' } });
  const logKey = new kms.Key(stack, 'Key');
  new Network(stack, 'Network', { availabilityZones: AZS, cidr: '10.20.0.0/16', logKey, ...props });
  return Template.fromStack(stack);
}

describe('Network with defaults', () => {
  let template: Template;
  beforeAll(() => {
    template = networkTemplate();
  });

  test('spans the three given AZs with public, app and isolated subnets in each', () => {
    template.resourceCountIs('AWS::EC2::Subnet', 9);
    for (const az of AZS) {
      for (const tier of ['Public', 'Private', 'Isolated']) {
        template.hasResourceProperties('AWS::EC2::Subnet', {
          AvailabilityZone: az,
          Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: tier }]),
        });
      }
    }
  });

  test('has one NAT gateway per AZ', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 3);
  });

  test('has free gateway endpoints for S3 and DynamoDB and no interface endpoints', () => {
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 2);
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' }, 2);
  });

  test('logs all traffic to a KMS-encrypted, retained log group kept a year', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] }, RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('closes the default security group', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });
});

describe('Network options', () => {
  test('a single NAT gateway when asked (dev)', () => {
    networkTemplate({ natGateways: 1 }).resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  test('interface endpoints sit in the app subnets and admit only HTTPS from the VPC range', () => {
    const template = networkTemplate({ interfaceEndpoints: ['ecr', 'logs', 'sqs'] });
    template.resourcePropertiesCountIs(
      'AWS::EC2::VPCEndpoint',
      { VpcEndpointType: 'Interface', PrivateDnsEnabled: true },
      3,
    );
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.eu-west-1.sqs' });
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [{ CidrIp: '10.20.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }],
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
  });

  test('flow logs can be short-lived and removed with the stack (dev)', () => {
    const template = networkTemplate({
      flowLogRetention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 7 }, DeletionPolicy: 'Delete' });
  });

  test.each([0, 4, 1.5])('rejects %p NAT gateways for three AZs', (natGateways) => {
    expect(() => networkTemplate({ natGateways })).toThrow(ConfigError);
    expect(() => networkTemplate({ natGateways })).toThrow(
      /^network\.natGateways = [\d.]+ is not allowed \(allowed: an integer from 1 to 3/,
    );
  });
});
