import { Fn, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { addressesForAzs, InterfaceEndpointName, NAT_KINDS, NatKind, SUBNET_PREFIXES } from './choices';
import { PropError } from './validation';

export { addressesForAzs };

const ENDPOINT_SERVICES: Record<InterfaceEndpointName, ec2.InterfaceVpcEndpointAwsService> = {
  ecr: ec2.InterfaceVpcEndpointAwsService.ECR,
  'ecr-docker': ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  secretsmanager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
  sns: ec2.InterfaceVpcEndpointAwsService.SNS,
  kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  sts: ec2.InterfaceVpcEndpointAwsService.STS,
};

/** Subnet group names: what each tier is for, and how other constructs select it. */
export const SubnetGroup = {
  /** Load balancers and NAT gateways or instances. */
  PUBLIC: 'public',
  /** Fargate tasks and interface endpoints; egress through NAT. */
  APP: 'app',
  /** Databases and caches; no route to or from the internet. */
  DATA: 'data',
} as const;

/**
 * Each AZ's subnets, in the order CDK carves them out of the VPC range: every public subnet, then
 * every app subnet, then every data subnet. Changing the order or a mask moves every subnet.
 */
const SUBNET_LAYOUT: readonly ec2.SubnetConfiguration[] = [
  { name: SubnetGroup.PUBLIC, subnetType: ec2.SubnetType.PUBLIC, cidrMask: SUBNET_PREFIXES.public },
  { name: SubnetGroup.APP, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: SUBNET_PREFIXES.app },
  { name: SubnetGroup.DATA, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: SUBNET_PREFIXES.data },
];

/** A VPC range too small for the subnets says so, instead of CDK's allocation failure. */
function checkCidrFits(scope: Construct, cidr: string, azCount: number): void {
  if (Token.isUnresolved(cidr)) return;
  const prefix = Number(cidr.split('/')[1]);
  const needed = addressesForAzs(azCount);
  if (2 ** (32 - prefix) >= needed) return;
  const largestPrefix = 32 - Math.ceil(Math.log2(needed));
  throw new PropError(
    scope,
    'cidr',
    cidr,
    `/${largestPrefix} or larger for ${azCount} AZs, whose /24 public, /20 app and /22 data subnets take ${needed.toLocaleString('en-US')} addresses`,
    `is too small for ${azCount} AZs`,
  );
}

export interface NetworkProps {
  /** AZ names to span, given explicitly so that synth needs no lookup. */
  readonly availabilityZones: readonly string[];
  /** VPC range: a /16 holds six AZs of the subnet layout, a /17 five, a /18 two (`addressesForAzs`). */
  readonly cidr: string;
  /** Key that encrypts the flow-log group. */
  readonly logKey: kms.IKey;
  /**
   * NAT gateways, or NAT instances with `nat: 'instance'`. One per AZ keeps egress up when an AZ
   * fails; one is cheapest.
   * @default one per AZ
   */
  readonly natGateways?: number;
  /**
   * What the app subnets reach the internet through. `gateway`: managed NAT gateways, which scale
   * and are replaced by AWS without an outage. `instance`: one small EC2 instance per NAT, a
   * fraction of a gateway's hourly price and no per-GB charge, for dev; egress stops while
   * CloudFormation replaces it (a new AMI, a new instance type), and its bandwidth is the
   * instance's.
   * @default 'gateway'
   */
  readonly nat?: NatKind;
  /**
   * Instance type of each NAT instance (with `nat: 'instance'`); a larger one for more bandwidth.
   * Its architecture picks the Amazon Linux 2023 AMI. Burstable types run in standard credit mode.
   * @default t4g.nano
   */
  readonly natInstanceType?: ec2.InstanceType;
  /**
   * Interface endpoints in the app subnets, so calls to AWS APIs stay inside the VPC.
   * @default none
   */
  readonly interfaceEndpoints?: readonly InterfaceEndpointName[];
  /**
   * How long flow logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogRetention?: logs.RetentionDays;
  /**
   * What happens to the flow-log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A VPC over the given AZs with three tiers (public, app with NAT egress, isolated data), free
 * gateway endpoints for S3 and DynamoDB, optional interface endpoints, and flow logs of all
 * traffic to an encrypted log group.
 */
export class Network extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly flowLogGroup: logs.LogGroup;
  /** The NAT instances, one per NAT, with `nat: 'instance'`; empty with NAT gateways. */
  public readonly natInstances: readonly ec2.Instance[];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const azCount = props.availabilityZones.length;
    const natGateways = props.natGateways ?? azCount;
    if (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > azCount) {
      throw new PropError(this, 'natGateways', natGateways, `an integer from 1 to ${azCount} (one per AZ at most)`);
    }
    const nat = props.nat ?? 'gateway';
    if (!(NAT_KINDS as readonly string[]).includes(nat)) {
      throw new PropError(this, 'nat', nat, NAT_KINDS.join(', '), 'is not one of the choices');
    }
    checkCidrFits(this, props.cidr, azCount);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const natInstances =
      nat === 'instance' ? natInstanceProvider(props.natInstanceType ?? DEFAULT_NAT_INSTANCE_TYPE) : undefined;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: [...props.availabilityZones],
      natGateways,
      natGatewayProvider: natInstances,
      // Nothing may use the default group; strip its rules rather than rely on a feature flag.
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [...SUBNET_LAYOUT],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });

    Validations.of(this.vpc).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason:
        'AZ names are configured explicitly so that synth needs no account lookup; they are validated against the region in lib/config.',
    });
    this.natInstances = natInstances ? hardenNatInstances(natInstances, this.vpc, props.cidr) : [];

    const endpoints = props.interfaceEndpoints ?? [];
    if (endpoints.length > 0) {
      // One group for all endpoints, admitting HTTPS from the VPC's own (literal) range only.
      const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: this.vpc,
        description: 'HTTPS from inside the VPC to interface endpoints',
        allowAllOutbound: false,
      });
      endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(props.cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
      for (const name of endpoints) {
        this.vpc.addInterfaceEndpoint(`Endpoint-${name}`, {
          service: ENDPOINT_SERVICES[name],
          subnets: { subnetGroupName: SubnetGroup.APP },
          privateDnsEnabled: true,
          open: false,
          securityGroups: [endpointSecurityGroup],
        });
      }
    }

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      encryptionKey: props.logKey,
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}

/** The smallest Graviton instance: enough for dev's egress (image pulls, AWS APIs, package updates). */
const DEFAULT_NAT_INSTANCE_TYPE = ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO);

/**
 * NAT instances on Amazon Linux 2023 (the AMI from AWS's public SSM parameter, which
 * CloudFormation resolves at deploy time: no lookup at synth), without a key pair, admitting
 * nothing until `hardenNatInstances` opens the VPC's own range.
 */
function natInstanceProvider(instanceType: ec2.InstanceType): ec2.NatInstanceProviderV2 {
  return ec2.NatProvider.instanceV2({
    instanceType,
    defaultAllowedTraffic: ec2.NatTrafficDirection.OUTBOUND_ONLY,
    // Standard credits: a busy NAT slows down instead of running up an unlimited-credit bill.
    creditSpecification: instanceType.isBurstable() ? ec2.CpuCredits.STANDARD : undefined,
    userData: natUserData(),
  });
}

/** Longest a NAT instance may take from launch to its success signal (boot, installs, checks). */
const NAT_SIGNAL_TIMEOUT = 'PT15M';

/**
 * Turns the instance into a NAT at first boot. Replaces the provider's default commands, which
 * install iptables once and give up when cloud-init's own dnf run holds the lock (aws-cdk#36717),
 * and find the outbound interface with `route` from net-tools, which AL2023 images may lack.
 * Any failure stops the script (cloud-init logs it) rather than leaving a half-configured NAT.
 * The last commands check the result: forwarding on, the masquerade rule loaded and saved, the
 * iptables service running, and the internet reachable from the instance. With `signal`, the
 * script's exit status goes to CloudFormation (cfn-signal from aws-cfn-bootstrap, which AL2023
 * images do not ship: amazon-linux-2023#768), so a failed setup fails the instance's creation
 * instead of surfacing later as image pulls timing out in the Service stack.
 */
function natUserData(signal?: ec2.Instance): ec2.UserData {
  const userData = ec2.UserData.forLinux();
  if (signal) userData.addSignalOnExitCommand(signal);
  userData.addCommands(
    'set -euo pipefail',
    'for attempt in $(seq 1 30); do dnf install -y iptables-services aws-cfn-bootstrap && break; sleep 10; done',
    'rpm -q iptables-services aws-cfn-bootstrap',
    'echo "net.ipv4.ip_forward=1" > /etc/sysctl.d/90-nat-forwarding.conf',
    'sysctl -p /etc/sysctl.d/90-nat-forwarding.conf',
    "OUTBOUND=$(ip -4 route show default | awk '{ print $5; exit }')",
    'iptables -t nat -A POSTROUTING -o "$OUTBOUND" -j MASQUERADE',
    'iptables -F FORWARD',
    // Saved for the iptables service, which restores the rules on every boot.
    'iptables-save > /etc/sysconfig/iptables',
    'systemctl enable --now iptables',
    'test "$(sysctl -n net.ipv4.ip_forward)" = 1',
    'iptables -t nat -C POSTROUTING -o "$OUTBOUND" -j MASQUERADE',
    'grep -q -- "-j MASQUERADE" /etc/sysconfig/iptables',
    'systemctl is-active --quiet iptables',
    'curl --fail --silent --show-error --max-time 10 --retry 6 --retry-all-errors --output /dev/null https://checkip.amazonaws.com',
  );
  return userData;
}

/**
 * Lets the VPC's range through the NAT instances, and gives each an encrypted root volume and
 * IMDSv2 only. Runs after the VPC exists: the provider makes its instances and security group
 * when the VPC configures its subnets.
 */
function hardenNatInstances(provider: ec2.NatInstanceProviderV2, vpc: ec2.Vpc, vpcCidr: string): ec2.Instance[] {
  provider.connections.allowFrom(ec2.Peer.ipv4(vpcCidr), ec2.Port.allTraffic(), 'Traffic from the VPC to forward');
  return provider.gatewayInstances.map((instance) => {
    // Its user data installs iptables from the Amazon Linux repositories at first boot: the
    // public subnets' internet routes must exist before it starts.
    instance.node.addDependency(...vpc.publicSubnets.map((subnet) => subnet.internetConnectivityEstablished));
    const cfn = instance.node.defaultChild as ec2.CfnInstance;
    // NatProvider.instanceV2 passes neither block devices nor metadata options to the instance
    // it creates (aws-cdk#23803 asks for IMDSv2), so both are set on its CfnInstance. /dev/xvda
    // is the root device of the Amazon Linux 2023 AMIs; the size stays the AMI's. EBS's
    // AWS-managed key suffices: the volume holds the OS and iptables rules, no application data.
    cfn.blockDeviceMappings = [
      { deviceName: '/dev/xvda', ebs: { encrypted: true, volumeType: 'gp3', deleteOnTermination: true } },
    ];
    cfn.metadataOptions = { httpTokens: 'required', httpEndpoint: 'enabled' };
    // Created only once its user data has verified the NAT and signalled success; the routes of
    // the app subnets, which reference it, wait for that. Per instance, as the signal names it.
    cfn.userData = Fn.base64(natUserData(instance).render());
    cfn.cfnOptions.creationPolicy = { resourceSignal: { count: 1, timeout: NAT_SIGNAL_TIMEOUT } };
    Validations.of(instance).acknowledge({
      id: 'AwsSolutions-EC28',
      reason:
        'A NAT instance forwards packets and runs nothing else: its basic 5-minute EC2 metrics and the VPC flow logs show what it does, and detailed (1-minute) monitoring is billed per metric, about two thirds of what the dev NAT instance itself costs.',
    });
    Validations.of(instance).acknowledge({
      id: 'AwsSolutions-EC29',
      reason:
        'The NAT instance holds no state and CloudFormation must be able to replace it (a new AMI or instance type); termination protection would block that. A NAT instance is the dev choice (`network.nat`); prod uses NAT gateways.',
    });
    return instance;
  });
}
