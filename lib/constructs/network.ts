import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ConfigError, InterfaceEndpointName } from '../config';

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
  /** Load balancers and NAT gateways. */
  PUBLIC: 'public',
  /** Fargate tasks and interface endpoints; egress through NAT. */
  APP: 'app',
  /** Databases and caches; no route to or from the internet. */
  DATA: 'data',
} as const;

export interface NetworkProps {
  /** AZ names to span, from config (explicit, so synth needs no lookup). */
  readonly availabilityZones: readonly string[];
  /** VPC range; /16 to /18 fits three AZs of every tier. */
  readonly cidr: string;
  /** Key that encrypts the flow-log group. */
  readonly logKey: kms.IKey;
  /**
   * NAT gateways. One per AZ keeps egress up when an AZ fails; one is cheapest.
   * @default one per AZ
   */
  readonly natGateways?: number;
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

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const azCount = props.availabilityZones.length;
    const natGateways = props.natGateways ?? azCount;
    if (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > azCount) {
      throw new ConfigError('network.natGateways', natGateways, `an integer from 1 to ${azCount} (one per AZ at most)`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: [...props.availabilityZones],
      natGateways,
      // Nothing may use the default group; strip its rules rather than rely on a feature flag.
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [
        { name: SubnetGroup.PUBLIC, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: SubnetGroup.APP, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: SubnetGroup.DATA, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 },
      ],
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
