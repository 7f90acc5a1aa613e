/**
 * Recorded AWS answers for the preflight tests, shaped as the AWS SDK v3 returns them: each
 * fixture `satisfies` the command's output type (without `$metadata`), so a misspelt or
 * misplaced field fails `tsc`. Errors carry the `name` the SDK gives the exception class
 * (`ParameterNotFound`, `NoSuchEntityException`, `NoSuchResourceException`; CloudFormation's
 * `ValidationError` for a missing stack).
 *
 * `FakeAws` replays them: a call with no recording throws a non-Error, which `record` does not
 * catch, so a test fails on any read it did not expect instead of seeing a "could not read".
 */
import type { DescribeStacksCommandOutput } from '@aws-sdk/client-cloudformation';
import type {
  DescribeAddressesCommandOutput,
  DescribeInternetGatewaysCommandOutput,
  DescribeNatGatewaysCommandOutput,
  DescribeRegionsCommandOutput,
  DescribeSubnetsCommandOutput,
  DescribeVpcsCommandOutput,
} from '@aws-sdk/client-ec2';
import type { GetRoleCommandOutput } from '@aws-sdk/client-iam';
import type { DescribeAccountAttributesCommandOutput } from '@aws-sdk/client-rds';
import type { GetHostedZoneCommandOutput } from '@aws-sdk/client-route-53';
import type {
  GetAWSDefaultServiceQuotaCommandOutput,
  GetServiceQuotaCommandOutput,
} from '@aws-sdk/client-service-quotas';
import type { GetParameterCommandOutput } from '@aws-sdk/client-ssm';
import type { GetCallerIdentityCommandOutput } from '@aws-sdk/client-sts';
import type { Output, PreflightAws } from '../../../scripts/preflight/aws';
import type { Recorded } from '../../../scripts/preflight/findings';

export const ACCOUNT = '123456789012';

export const callerIdentity = {
  UserId: 'AROAEXAMPLEROLEID:deployer',
  Account: ACCOUNT,
  Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/deployer`,
} satisfies Output<GetCallerIdentityCommandOutput>;

export const regions = {
  Regions: [
    { RegionName: 'us-east-1', Endpoint: 'ec2.us-east-1.amazonaws.com', OptInStatus: 'opt-in-not-required' },
    { RegionName: 'us-west-2', Endpoint: 'ec2.us-west-2.amazonaws.com', OptInStatus: 'opt-in-not-required' },
    { RegionName: 'eu-west-1', Endpoint: 'ec2.eu-west-1.amazonaws.com', OptInStatus: 'opt-in-not-required' },
    { RegionName: 'me-central-1', Endpoint: 'ec2.me-central-1.amazonaws.com', OptInStatus: 'opted-in' },
    { RegionName: 'af-south-1', Endpoint: 'ec2.af-south-1.amazonaws.com', OptInStatus: 'not-opted-in' },
  ],
} satisfies Output<DescribeRegionsCommandOutput>;

export function toolkitStack(
  region: string,
  status: 'CREATE_COMPLETE' | 'UPDATE_COMPLETE' | 'ROLLBACK_COMPLETE' | 'UPDATE_IN_PROGRESS',
) {
  return {
    Stacks: [
      {
        StackId: `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/CDKToolkit/1b2c3d40-0000-11ef-8000-0a1b2c3d4e5f`,
        StackName: 'CDKToolkit',
        Description: 'This stack includes resources needed to deploy AWS CDK apps into this environment',
        CreationTime: new Date('2026-11-02T09:14:07.512Z'),
        StackStatus: status,
        DisableRollback: false,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        Outputs: [
          {
            OutputKey: 'BootstrapVersion',
            OutputValue: '29',
            Description: 'The version of the bootstrap resources that are currently mastered in this stack',
          },
        ],
        Tags: [],
        EnableTerminationProtection: false,
        DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
      },
    ],
  } satisfies Output<DescribeStacksCommandOutput>;
}

export const stackDoesNotExist = { name: 'ValidationError', message: 'Stack with id CDKToolkit does not exist' };

export function bootstrapVersion(region: string, value: string) {
  return {
    Parameter: {
      Name: '/cdk-bootstrap/hnb659fds/version',
      Type: 'String',
      Value: value,
      Version: 1,
      LastModifiedDate: new Date('2026-11-02T09:15:31.044Z'),
      ARN: `arn:aws:ssm:${region}:${ACCOUNT}:parameter/cdk-bootstrap/hnb659fds/version`,
      DataType: 'text',
    },
  } satisfies Output<GetParameterCommandOutput>;
}

export const parameterNotFound = { name: 'ParameterNotFound', message: '' };

export function serviceLinkedRole(roleName: string, serviceName: string) {
  return {
    Role: {
      Path: `/aws-service-role/${serviceName}/`,
      RoleName: roleName,
      RoleId: 'AROAEXAMPLESERVICEROLE',
      Arn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/${serviceName}/${roleName}`,
      CreateDate: new Date('2026-11-02T10:01:12Z'),
      AssumeRolePolicyDocument: encodeURIComponent(
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: serviceName }, Action: 'sts:AssumeRole' }],
        }),
      ),
      MaxSessionDuration: 3600,
      RoleLastUsed: {},
    },
  } satisfies Output<GetRoleCommandOutput>;
}

export function noSuchRole(roleName: string) {
  return { name: 'NoSuchEntityException', message: `The role with name ${roleName} cannot be found.` };
}

export function serviceQuota(region: string, serviceCode: string, quotaCode: string, quotaName: string, value: number) {
  return {
    Quota: {
      ServiceCode: serviceCode,
      ServiceName: serviceCode,
      QuotaArn: `arn:aws:servicequotas:${region}:${ACCOUNT}:${serviceCode}/${quotaCode}`,
      QuotaCode: quotaCode,
      QuotaName: quotaName,
      Value: value,
      Unit: 'None',
      Adjustable: true,
      GlobalQuota: false,
    },
  } satisfies Output<GetServiceQuotaCommandOutput>;
}

export function defaultServiceQuota(
  region: string,
  serviceCode: string,
  quotaCode: string,
  quotaName: string,
  value: number,
) {
  const { Quota } = serviceQuota(region, serviceCode, quotaCode, quotaName, value);
  return {
    Quota: { ...Quota, QuotaArn: `arn:aws:servicequotas:${region}::${serviceCode}/${quotaCode}` },
  } satisfies Output<GetAWSDefaultServiceQuotaCommandOutput>;
}

export const noSuchQuota = {
  name: 'NoSuchResourceException',
  message: 'The request failed because the specified service quota does not exist.',
};

/** The default VPC every region of a new account has. */
export function defaultVpc(region: string) {
  return {
    Vpcs: [
      {
        OwnerId: ACCOUNT,
        InstanceTenancy: 'default',
        CidrBlockAssociationSet: [
          {
            AssociationId: 'vpc-cidr-assoc-0a1b2c3d',
            CidrBlock: '172.31.0.0/16',
            CidrBlockState: { State: 'associated' },
          },
        ],
        IsDefault: true,
        VpcId: `vpc-0${region.length}a1b2c3d4e5f6789`,
        State: 'available',
        CidrBlock: '172.31.0.0/16',
        DhcpOptionsId: 'dopt-0a1b2c3d',
      },
    ],
  } satisfies Output<DescribeVpcsCommandOutput>;
}

export function defaultInternetGateway() {
  return {
    InternetGateways: [
      {
        Attachments: [{ State: 'attached', VpcId: 'vpc-0a1b2c3d4e5f6789' }],
        InternetGatewayId: 'igw-0a1b2c3d4e5f6789',
        OwnerId: ACCOUNT,
        Tags: [],
      },
    ],
  } satisfies Output<DescribeInternetGatewaysCommandOutput>;
}

/** `count` Elastic IPs already allocated in the region; with `stack`, ones CloudFormation made for it. */
export function addresses(count: number, stack?: string) {
  return {
    Addresses: Array.from({ length: count }, (_, i) => ({
      AllocationId: `eipalloc-0${i}a1b2c3d4e5f6789`,
      Domain: 'vpc' as const,
      PublicIpv4Pool: 'amazon',
      NetworkBorderGroup: 'us-east-1',
      PublicIp: `203.0.113.${10 + i}`,
      Tags: stack ? [{ Key: 'aws:cloudformation:stack-name', Value: stack }] : [],
    })),
  } satisfies Output<DescribeAddressesCommandOutput>;
}

/** NAT gateways in use, each in the subnet `subnet-<zone>`. */
export function natGateways(zones: readonly string[]) {
  return {
    NatGateways: zones.map((zone, i) => ({
      CreateTime: new Date('2026-10-01T12:00:00Z'),
      NatGatewayAddresses: [
        {
          AllocationId: `eipalloc-1${i}`,
          PublicIp: `198.51.100.${i + 1}`,
          IsPrimary: true,
          Status: 'succeeded' as const,
        },
      ],
      NatGatewayId: `nat-0${i}a1b2c3d4e5f6789`,
      State: 'available' as const,
      SubnetId: `subnet-${zone}`,
      VpcId: 'vpc-0fedcba987654321',
      ConnectivityType: 'public' as const,
    })),
  } satisfies Output<DescribeNatGatewaysCommandOutput>;
}

export function subnets(zones: readonly string[]) {
  return {
    Subnets: [...new Set(zones)].map((zone) => ({
      AvailabilityZone: zone,
      AvailabilityZoneId: `use1-az${zone.length}`,
      AvailableIpAddressCount: 250,
      CidrBlock: '10.99.0.0/24',
      DefaultForAz: false,
      MapPublicIpOnLaunch: true,
      State: 'available' as const,
      SubnetId: `subnet-${zone}`,
      VpcId: 'vpc-0fedcba987654321',
      OwnerId: ACCOUNT,
    })),
  } satisfies Output<DescribeSubnetsCommandOutput>;
}

export function rdsAccountAttributes(
  clusters: { used: number; max: number },
  instances: { used: number; max: number },
) {
  return {
    AccountQuotas: [
      { AccountQuotaName: 'DBClusters', Used: clusters.used, Max: clusters.max },
      { AccountQuotaName: 'DBInstances', Used: instances.used, Max: instances.max },
      { AccountQuotaName: 'AllocatedStorage', Used: 0, Max: 100000 },
    ],
  } satisfies Output<DescribeAccountAttributesCommandOutput>;
}

export const ZONE_ID = 'Z0123456789ABCDEFGHIJ';
export const ZONE_NAME_SERVERS = [
  'ns-1536.awsdns-00.co.uk',
  'ns-0.awsdns-00.com',
  'ns-1024.awsdns-00.org',
  'ns-512.awsdns-00.net',
];

export function hostedZone(name: string, privateZone = false) {
  return {
    HostedZone: {
      Id: `/hostedzone/${ZONE_ID}`,
      Name: `${name}.`,
      CallerReference: 'RISWorkflow-RD:0a1b2c3d-4e5f-6789-abcd-ef0123456789',
      Config: { Comment: 'HostedZone created by Route53 Registrar', PrivateZone: privateZone },
      ResourceRecordSetCount: 2,
    },
    DelegationSet: { NameServers: ZONE_NAME_SERVERS },
  } satisfies Output<GetHostedZoneCommandOutput>;
}

/** What `dns.promises.Resolver#resolveNs` rejects with for a name without NS records. */
export const dnsNoData = { name: 'Error', message: 'queryNs ENODATA example.com' };

type Answer = Recorded<unknown>;

/** A `PreflightAws` that replays recorded answers, keyed by method and arguments. */
export class FakeAws implements PreflightAws {
  /** Every call made, as its key, in order. */
  public readonly calls: string[] = [];
  private readonly answers = new Map<string, Answer>();

  /** Records the answer (`{ ok }` or `{ error }`) to the call `key`, e.g. `getRole AWSServiceRoleForECS`. */
  answer(key: string, answer: Answer): this {
    this.answers.set(key, answer);
    return this;
  }

  private replay<T>(key: string): Promise<T> {
    this.calls.push(key);
    const answer = this.answers.get(key);
    if (answer === undefined) return Promise.reject({ unrecorded: key });
    if ('ok' in answer) return Promise.resolve(answer.ok as T);
    return Promise.reject(Object.assign(new Error(answer.error.message), { name: answer.error.name }));
  }

  callerIdentity = () => this.replay<any>('callerIdentity');
  describeRegions = () => this.replay<any>('describeRegions');
  describeStack = (region: string, name: string) => this.replay<any>(`describeStack ${region} ${name}`);
  getParameter = (region: string, name: string) => this.replay<any>(`getParameter ${region} ${name}`);
  getRole = (roleName: string) => this.replay<any>(`getRole ${roleName}`);
  getServiceQuota = (region: string, service: string, code: string) =>
    this.replay<any>(`getServiceQuota ${region} ${service} ${code}`);
  getDefaultServiceQuota = (region: string, service: string, code: string) =>
    this.replay<any>(`getDefaultServiceQuota ${region} ${service} ${code}`);
  describeVpcs = (region: string) => this.replay<any>(`describeVpcs ${region}`);
  describeInternetGateways = (region: string) => this.replay<any>(`describeInternetGateways ${region}`);
  describeAddresses = (region: string) => this.replay<any>(`describeAddresses ${region}`);
  describeNatGateways = (region: string) => this.replay<any>(`describeNatGateways ${region}`);
  describeSubnets = (region: string, ids: readonly string[]) =>
    this.replay<any>(`describeSubnets ${region} ${ids.join(',')}`);
  rdsAccountAttributes = (region: string) => this.replay<any>(`rdsAccountAttributes ${region}`);
  getHostedZone = (id: string) => this.replay<any>(`getHostedZone ${id}`);
  resolveNameServers = (domain: string) => this.replay<any>(`resolveNameServers ${domain}`);
}
