import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PropError } from '../../lib/constructs/validation';
import { Network, NetworkProps } from '../../lib/constructs/network';

const AZS = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

function networkStack(props: Partial<NetworkProps> = {}): { stack: Stack; network: Network } {
  const stack = new Stack(new App(), 'Test', { env: { region: 'eu-west-1' } });
  const logKey = new kms.Key(stack, 'Key');
  const network = new Network(stack, 'Network', { availabilityZones: AZS, cidr: '10.20.0.0/16', logKey, ...props });
  return { stack, network };
}

function networkTemplate(props: Partial<NetworkProps> = {}): Template {
  return Template.fromStack(networkStack(props).stack);
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

  test('runs no EC2 instance', () => {
    template.resourceCountIs('AWS::EC2::Instance', 0);
  });
});

describe('Network with a NAT instance (dev)', () => {
  let stack: Stack;
  let network: Network;
  let template: Template;
  let instanceId: string;
  beforeAll(() => {
    // GIVEN one NAT, as an instance, for three AZs
    ({ stack, network } = networkStack({ nat: 'instance', natGateways: 1 }));
    template = Template.fromStack(stack);
    instanceId = stack.getLogicalId(network.natInstances[0].node.defaultChild as ec2.CfnInstance);
  });

  test('has one t4g.nano NAT instance in the first public subnet and no NAT gateway or Elastic IP', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::EIP', 0);
    template.resourceCountIs('AWS::EC2::Instance', 1);
    expect(network.natInstances).toHaveLength(1);
    template.hasResourceProperties('AWS::EC2::Instance', {
      InstanceType: 't4g.nano',
      AvailabilityZone: 'eu-west-1a',
      SubnetId: { Ref: Match.stringLikeRegexp('^NetworkVpcpublicSubnet1Subnet') },
      SourceDestCheck: false,
      KeyName: Match.absent(),
    });
  });

  test('routes every app subnet to the instance; data subnets stay isolated', () => {
    const defaults = Object.values(
      template.findResources('AWS::EC2::Route', { Properties: { DestinationCidrBlock: '0.0.0.0/0' } }),
    );
    const viaInstance = defaults.filter((route) => route.Properties.InstanceId !== undefined);
    expect(viaInstance.map((route) => route.Properties.InstanceId)).toEqual(AZS.map(() => ({ Ref: instanceId })));
    expect(viaInstance.map((route) => route.Properties.RouteTableId.Ref).sort()).toEqual(
      [1, 2, 3].map((n) => expect.stringMatching(new RegExp(`^NetworkVpcappSubnet${n}RouteTable`))),
    );
    expect(defaults.filter((route) => route.Properties.NatGatewayId !== undefined)).toEqual([]);
    expect(JSON.stringify(defaults)).not.toMatch(/dataSubnet/);
  });

  test('admits all traffic from the VPC range only, and may send anywhere', () => {
    const [groupId] = network.natInstances[0].connections.securityGroups.map((sg) =>
      stack.getLogicalId(sg.node.defaultChild as ec2.CfnSecurityGroup),
    );
    const group = template.findResources('AWS::EC2::SecurityGroup')[groupId];
    expect(group.Properties.SecurityGroupIngress).toEqual([
      { CidrIp: '10.20.0.0/16', IpProtocol: '-1', Description: expect.any(String) },
    ]);
    expect(group.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0' })]);
    template.hasResourceProperties('AWS::EC2::Instance', {
      SecurityGroupIds: [{ 'Fn::GetAtt': [groupId, 'GroupId'] }],
    });
  });

  test('has an encrypted gp3 root volume, requires IMDSv2 and runs in standard credit mode', () => {
    template.hasResourceProperties('AWS::EC2::Instance', {
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', DeleteOnTermination: true } },
      ],
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
      CreditSpecification: { CPUCredits: 'standard' },
    });
  });

  test('boots Amazon Linux 2023 for arm64 from the public SSM parameter, resolved at deploy time', () => {
    const instance = template.findResources('AWS::EC2::Instance')[instanceId];
    const parameter = instance.Properties.ImageId.Ref;
    expect(template.toJSON().Parameters[parameter]).toEqual({
      Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      Default: expect.stringMatching(/^\/aws\/service\/ami-amazon-linux-latest\/al2023-ami-.*-arm64$/),
    });
  });

  test('starts only once the public subnets reach the internet (its user data installs iptables)', () => {
    const instance = template.findResources('AWS::EC2::Instance')[instanceId];
    expect(instance.DependsOn).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^NetworkVpcpublicSubnet1DefaultRoute/),
        expect.stringMatching(/^NetworkVpcpublicSubnet3DefaultRoute/),
      ]),
    );
  });

  /** The user data is Base64 of the script, or of Join('', [...]) with each reference as <Ref>. */
  const scriptOf = (id: string) => {
    const encoded = template.findResources('AWS::EC2::Instance')[id].Properties.UserData['Fn::Base64'];
    const parts: unknown[] = typeof encoded === 'string' ? [encoded] : encoded['Fn::Join'][1];
    return parts
      .map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`))
      .join('')
      .split('\n');
  };

  test('user data retries the iptables install, masquerades out of the default route and persists the rules', () => {
    const script = scriptOf(instanceId);
    expect(script).toEqual(
      expect.arrayContaining([
        'set -euo pipefail',
        expect.stringMatching(
          /^for attempt in \$\(seq 1 30\); do dnf install -y iptables-services aws-cfn-bootstrap && break; sleep 10; done$/,
        ),
        "OUTBOUND=$(ip -4 route show default | awk '{ print $5; exit }')",
        'iptables -t nat -A POSTROUTING -o "$OUTBOUND" -j MASQUERADE',
        'iptables-save > /etc/sysconfig/iptables',
        'systemctl enable --now iptables',
      ]),
    );
    expect(script.join('\n')).not.toMatch(/\broute \|/);
  });

  test('is created only once its user data has verified the NAT and signalled CloudFormation', () => {
    const instance = template.findResources('AWS::EC2::Instance')[instanceId];
    expect(instance.CreationPolicy).toEqual({ ResourceSignal: { Count: 1, Timeout: 'PT15M' } });
    const script = scriptOf(instanceId);
    // The exit trap sends the script's status, success or failure, for this very instance.
    expect(script.slice(0, 6)).toEqual([
      '#!/bin/bash',
      'function exitTrap(){',
      'exitCode=$?',
      `/opt/aws/bin/cfn-signal --stack ${stack.stackName} --resource ${instanceId} --region ${stack.region} -e $exitCode || echo 'Failed to send Cloudformation Signal'`,
      '}',
      'trap exitTrap EXIT',
    ]);
    // The checks come last: nothing signals success before forwarding works.
    expect(script.slice(-5)).toEqual([
      'test "$(sysctl -n net.ipv4.ip_forward)" = 1',
      'iptables -t nat -C POSTROUTING -o "$OUTBOUND" -j MASQUERADE',
      'grep -q -- "-j MASQUERADE" /etc/sysconfig/iptables',
      'systemctl is-active --quiet iptables',
      'curl --fail --silent --show-error --max-time 10 --retry 6 --retry-all-errors --output /dev/null https://checkip.amazonaws.com',
    ]);
    // The app subnets' default routes through it wait for its creation, hence for the signal.
    template.hasResourceProperties('AWS::EC2::Route', {
      DestinationCidrBlock: '0.0.0.0/0',
      InstanceId: { Ref: instanceId },
    });
  });

  test('acknowledges only the cdk-nag findings a replaceable NAT instance cannot meet', () => {
    const acknowledged = network.natInstances[0].node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.keys(entry.data as object));
    expect(acknowledged.map((id) => id.replace(/^annotation::/i, '')).sort()).toEqual([
      'AwsSolutions-EC28',
      'AwsSolutions-EC29',
    ]);
  });
});

describe('Network options', () => {
  test('a single NAT gateway when asked', () => {
    networkTemplate({ natGateways: 1 }).resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  test('one NAT instance per AZ when asked for three, each routing its own AZ and signalling for itself', () => {
    const { stack, network } = networkStack({ nat: 'instance' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::Instance', 3);
    const ids = network.natInstances.map((i) => stack.getLogicalId(i.node.defaultChild as ec2.CfnInstance));
    for (const id of ids) {
      const joined = template.findResources('AWS::EC2::Instance')[id].Properties.UserData['Fn::Base64'];
      expect(JSON.stringify(joined)).toContain(`--resource ${id} --region`);
    }
    [1, 2, 3].forEach((n, i) =>
      template.hasResourceProperties('AWS::EC2::Route', {
        RouteTableId: { Ref: Match.stringLikeRegexp(`^NetworkVpcappSubnet${n}RouteTable`) },
        InstanceId: { Ref: ids[i] },
      }),
    );
  });

  test('a larger or x86 NAT instance type picks its AMI; a non-burstable one has no credit setting', () => {
    const template = networkTemplate({
      nat: 'instance',
      natGateways: 1,
      natInstanceType: ec2.InstanceType.of(ec2.InstanceClass.C7I, ec2.InstanceSize.LARGE),
    });
    template.hasResourceProperties('AWS::EC2::Instance', {
      InstanceType: 'c7i.large',
      CreditSpecification: Match.absent(),
    });
    expect(JSON.stringify(template.toJSON().Parameters)).toMatch(/al2023-ami-[\w.-]+-x86_64/);
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

  test('rejects a NAT kind it does not know, in one line', () => {
    expect(() => networkTemplate({ nat: 'nat-box' as never })).toThrow(
      /^Test\/Network: nat = "nat-box" is not one of the choices \(allowed: gateway, instance\)$/,
    );
  });

  test('rejects a VPC range too small for its AZs, naming the region and the size that fits', () => {
    // CDK aligns each /20 to 4,096 addresses, so three AZs take 19,456: more than a /18.
    expect(() => networkTemplate({ cidr: '10.20.0.0/18' })).toThrow(PropError);
    expect(() => networkTemplate({ cidr: '10.20.0.0/18' })).toThrow(
      /^Test\/Network: cidr = "10\.20\.0\.0\/18" is too small for 3 AZs \(allowed: \/17 or larger for 3 AZs, whose \/24 public, \/20 app and \/22 data subnets take 19,456 addresses\)$/,
    );
  });

  test('a /18 holds two AZs and a /17 five, as CDK allocates them', () => {
    const twoAzs = networkTemplate({ cidr: '10.20.0.0/18', availabilityZones: AZS.slice(0, 2) });
    twoAzs.resourceCountIs('AWS::EC2::Subnet', 6);
    const fiveAzs = ['a', 'b', 'c', 'd', 'e'].map((letter) => `eu-west-1${letter}`);
    networkTemplate({ cidr: '10.20.0.0/17', availabilityZones: fiveAzs }).resourceCountIs('AWS::EC2::Subnet', 15);
    expect(() => networkTemplate({ cidr: '10.20.0.0/17', availabilityZones: [...fiveAzs, 'eu-west-1f'] })).toThrow(
      /is too small for 6 AZs \(allowed: \/16 or larger/,
    );
  });

  test.each([0, 4, 1.5])('rejects %p NAT gateways for three AZs', (natGateways) => {
    expect(() => networkTemplate({ natGateways })).toThrow(PropError);
    expect(() => networkTemplate({ natGateways })).toThrow(
      /^Test\/Network: natGateways = [\d.]+ is not allowed \(allowed: an integer from 1 to 3/,
    );
  });
});
