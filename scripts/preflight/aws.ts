/**
 * The AWS (and DNS) reads preflight makes, as one interface: `sdkAws()` answers them with the AWS
 * SDK v3 and the credentials of the default chain (`AWS_PROFILE`, SSO, environment), and tests
 * answer them from recorded responses. Every answer is the SDK command's output without
 * `$metadata`, paginated lists merged, so a recorded fixture is the response as the SDK gives it.
 */
import { Resolver } from 'node:dns/promises';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeAddressesCommand,
  DescribeAddressesCommandOutput,
  DescribeInternetGatewaysCommandOutput,
  DescribeNatGatewaysCommandOutput,
  DescribeRegionsCommand,
  DescribeRegionsCommandOutput,
  DescribeSubnetsCommand,
  DescribeSubnetsCommandOutput,
  DescribeVpcsCommandOutput,
  EC2Client,
  paginateDescribeInternetGateways,
  paginateDescribeNatGateways,
  paginateDescribeVpcs,
} from '@aws-sdk/client-ec2';
import { GetRoleCommand, GetRoleCommandOutput, IAMClient } from '@aws-sdk/client-iam';
import {
  DescribeAccountAttributesCommand,
  DescribeAccountAttributesCommandOutput,
  RDSClient,
} from '@aws-sdk/client-rds';
import { GetHostedZoneCommand, GetHostedZoneCommandOutput, Route53Client } from '@aws-sdk/client-route-53';
import {
  GetAWSDefaultServiceQuotaCommand,
  GetAWSDefaultServiceQuotaCommandOutput,
  GetServiceQuotaCommand,
  GetServiceQuotaCommandOutput,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { GetParameterCommand, GetParameterCommandOutput, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, GetCallerIdentityCommandOutput, STSClient } from '@aws-sdk/client-sts';

/** A command's output as preflight reads it: without the SDK's request metadata. */
export type Output<T> = Omit<T, '$metadata'>;

export interface PreflightAws {
  callerIdentity(): Promise<Output<GetCallerIdentityCommandOutput>>;
  /** EC2 DescribeRegions with `AllRegions`, so regions not opted in are listed too. */
  describeRegions(): Promise<Output<DescribeRegionsCommandOutput>>;
  describeStack(region: string, stackName: string): Promise<Output<DescribeStacksCommandOutput>>;
  getParameter(region: string, name: string): Promise<Output<GetParameterCommandOutput>>;
  getRole(roleName: string): Promise<Output<GetRoleCommandOutput>>;
  getServiceQuota(
    region: string,
    serviceCode: string,
    quotaCode: string,
  ): Promise<Output<GetServiceQuotaCommandOutput>>;
  getDefaultServiceQuota(
    region: string,
    serviceCode: string,
    quotaCode: string,
  ): Promise<Output<GetAWSDefaultServiceQuotaCommandOutput>>;
  describeVpcs(region: string): Promise<Output<DescribeVpcsCommandOutput>>;
  describeInternetGateways(region: string): Promise<Output<DescribeInternetGatewaysCommandOutput>>;
  describeAddresses(region: string): Promise<Output<DescribeAddressesCommandOutput>>;
  /** NAT gateways that count toward the quota: pending, available or deleting. */
  describeNatGateways(region: string): Promise<Output<DescribeNatGatewaysCommandOutput>>;
  describeSubnets(region: string, subnetIds: readonly string[]): Promise<Output<DescribeSubnetsCommandOutput>>;
  /** RDS DescribeAccountAttributes: each RDS quota with its current use (`DBClusters`, `DBInstances`). */
  rdsAccountAttributes(region: string): Promise<Output<DescribeAccountAttributesCommandOutput>>;
  getHostedZone(id: string): Promise<Output<GetHostedZoneCommandOutput>>;
  /** The NS records public resolvers answer for `domain`, lower case, without the trailing dot. */
  resolveNameServers(domain: string): Promise<string[]>;
}

/** Recursive resolvers anyone can query; what they answer is what the internet sees. */
export const PUBLIC_RESOLVERS = ['1.1.1.1', '8.8.8.8'];

/** IAM, Route53 and STS are global; their API is called in us-east-1. */
const GLOBAL_REGION = 'us-east-1';

/** `PreflightAws` over the AWS SDK, one client per service and region, made on first use. */
export function sdkAws(): PreflightAws {
  const clients = new Map<string, unknown>();
  const client = <C>(kind: string, region: string, make: (config: { region: string }) => C): C => {
    const key = `${kind}:${region}`;
    if (!clients.has(key)) clients.set(key, make({ region }));
    return clients.get(key) as C;
  };
  const ec2 = (region: string) => client('ec2', region, (c) => new EC2Client(c));
  const quotas = (region: string) => client('quotas', region, (c) => new ServiceQuotasClient(c));
  return {
    callerIdentity: () => client('sts', GLOBAL_REGION, (c) => new STSClient(c)).send(new GetCallerIdentityCommand({})),
    describeRegions: () => ec2(GLOBAL_REGION).send(new DescribeRegionsCommand({ AllRegions: true })),
    describeStack: (region, stackName) =>
      client('cfn', region, (c) => new CloudFormationClient(c)).send(
        new DescribeStacksCommand({ StackName: stackName }),
      ),
    getParameter: (region, name) =>
      client('ssm', region, (c) => new SSMClient(c)).send(new GetParameterCommand({ Name: name })),
    getRole: (roleName) =>
      client('iam', GLOBAL_REGION, (c) => new IAMClient(c)).send(new GetRoleCommand({ RoleName: roleName })),
    getServiceQuota: (region, serviceCode, quotaCode) =>
      quotas(region).send(new GetServiceQuotaCommand({ ServiceCode: serviceCode, QuotaCode: quotaCode })),
    getDefaultServiceQuota: (region, serviceCode, quotaCode) =>
      quotas(region).send(new GetAWSDefaultServiceQuotaCommand({ ServiceCode: serviceCode, QuotaCode: quotaCode })),
    describeVpcs: async (region) => {
      const Vpcs = [];
      for await (const page of paginateDescribeVpcs({ client: ec2(region) }, {})) Vpcs.push(...(page.Vpcs ?? []));
      return { Vpcs };
    },
    describeInternetGateways: async (region) => {
      const InternetGateways = [];
      for await (const page of paginateDescribeInternetGateways({ client: ec2(region) }, {})) {
        InternetGateways.push(...(page.InternetGateways ?? []));
      }
      return { InternetGateways };
    },
    describeAddresses: (region) => ec2(region).send(new DescribeAddressesCommand({})),
    describeNatGateways: async (region) => {
      const NatGateways = [];
      const filter = { Name: 'state', Values: ['pending', 'available', 'deleting'] };
      for await (const page of paginateDescribeNatGateways({ client: ec2(region) }, { Filter: [filter] })) {
        NatGateways.push(...(page.NatGateways ?? []));
      }
      return { NatGateways };
    },
    describeSubnets: (region, subnetIds) => ec2(region).send(new DescribeSubnetsCommand({ SubnetIds: [...subnetIds] })),
    rdsAccountAttributes: (region) =>
      client('rds', region, (c) => new RDSClient(c)).send(new DescribeAccountAttributesCommand({})),
    getHostedZone: (id) =>
      client('route53', GLOBAL_REGION, (c) => new Route53Client(c)).send(new GetHostedZoneCommand({ Id: id })),
    resolveNameServers: async (domain) => {
      const resolver = new Resolver({ timeout: 5000, tries: 2 });
      resolver.setServers(PUBLIC_RESOLVERS);
      return (await resolver.resolveNs(domain)).map(normalizeName);
    },
  };
}

/** A DNS name compared as DNS does: lower case, without the trailing dot. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
