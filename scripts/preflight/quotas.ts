/**
 * Quotas: per region, what the app creates (quota-needs.ts) plus what the account already uses
 * must fit in the applied quota. The quota is read with Service Quotas GetServiceQuota, falling
 * back to GetAWSDefaultServiceQuota for a quota never changed in the account; usage is read where
 * one cheap call counts it. RDS reports quota and usage together (DescribeAccountAttributes), so
 * its quotas need no code.
 *
 * | quota                                      | service code | quota code | default | usage read from         |
 * | ------------------------------------------ | ------------ | ---------- | ------- | ----------------------- |
 * | VPCs per Region                            | vpc          | L-F678F1CE | 5       | DescribeVpcs            |
 * | Internet gateways per Region               | vpc          | L-A4707A72 | 5       | DescribeInternetGateways|
 * | NAT gateways per Availability Zone         | vpc          | L-FE5A380F | 5       | DescribeNatGateways     |
 * | EC2-VPC Elastic IPs                        | ec2          | L-0263D0A3 | 5       | DescribeAddresses       |
 * | Fargate On-Demand vCPU resource count      | fargate      | L-3032A538 | varies  | not read                |
 * | Running On-Demand Standard instances (vCPU)| ec2          | L-1216C47A | varies  | not read                |
 *
 * Codes: the Amazon VPC User Guide's quota table (awsdocs/amazon-vpc-user-guide,
 * doc_source/amazon-vpc-limits.md) for the VPC and Elastic IP rows; the Service Quotas console
 * links of the ECS (Fargate) and EC2 guides for the last two. New accounts may start with lower
 * Fargate and EC2 vCPU quotas that grow with use, which is why those two are worth checking.
 */
import type { AccountQuota, DescribeAccountAttributesCommandOutput } from '@aws-sdk/client-rds';
import type {
  DescribeAddressesCommandOutput,
  DescribeInternetGatewaysCommandOutput,
  DescribeNatGatewaysCommandOutput,
  DescribeSubnetsCommandOutput,
  DescribeVpcsCommandOutput,
} from '@aws-sdk/client-ec2';
import type {
  GetAWSDefaultServiceQuotaCommandOutput,
  GetServiceQuotaCommandOutput,
} from '@aws-sdk/client-service-quotas';
import type { Output, PreflightAws } from './aws';
import { Finding, Recorded, record } from './findings';
import type { QuotaId, QuotaNeed } from './quota-needs';

interface ServiceQuotaSpec {
  readonly kind: 'service-quotas';
  readonly name: string;
  readonly serviceCode: string;
  readonly quotaCode: string;
  readonly unit: string;
}

interface RdsQuotaSpec {
  readonly kind: 'rds';
  readonly name: string;
  /** `AccountQuotaName` in RDS DescribeAccountAttributes. */
  readonly accountQuotaName: string;
  readonly unit: string;
}

export const QUOTAS: Record<QuotaId, ServiceQuotaSpec | RdsQuotaSpec> = {
  vpcs: { kind: 'service-quotas', name: 'VPCs per Region', serviceCode: 'vpc', quotaCode: 'L-F678F1CE', unit: 'VPCs' },
  internetGateways: {
    kind: 'service-quotas',
    name: 'Internet gateways per Region',
    serviceCode: 'vpc',
    quotaCode: 'L-A4707A72',
    unit: 'internet gateways',
  },
  natGatewaysPerAz: {
    kind: 'service-quotas',
    name: 'NAT gateways per Availability Zone',
    serviceCode: 'vpc',
    quotaCode: 'L-FE5A380F',
    unit: 'NAT gateways',
  },
  elasticIps: {
    kind: 'service-quotas',
    name: 'EC2-VPC Elastic IPs',
    serviceCode: 'ec2',
    quotaCode: 'L-0263D0A3',
    unit: 'Elastic IPs',
  },
  fargateVcpu: {
    kind: 'service-quotas',
    name: 'Fargate On-Demand vCPU resource count',
    serviceCode: 'fargate',
    quotaCode: 'L-3032A538',
    unit: 'vCPUs',
  },
  standardVcpu: {
    kind: 'service-quotas',
    name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
    serviceCode: 'ec2',
    quotaCode: 'L-1216C47A',
    unit: 'vCPUs',
  },
  dbClusters: { kind: 'rds', name: 'RDS DB clusters', accountQuotaName: 'DBClusters', unit: 'DB clusters' },
  dbInstances: { kind: 'rds', name: 'RDS DB instances', accountQuotaName: 'DBInstances', unit: 'DB instances' },
};

type ServiceQuotaAnswer = {
  readonly applied: Recorded<Output<GetServiceQuotaCommandOutput>>;
  /** Read only when the applied value was not. */
  readonly default?: Recorded<Output<GetAWSDefaultServiceQuotaCommandOutput>>;
};

/** Everything read in one region for its needs; a usage answer is there when a need reads it. */
export interface QuotaAnswers {
  readonly region: string;
  readonly quotas: Partial<Record<QuotaId, ServiceQuotaAnswer>>;
  readonly vpcs?: Recorded<Output<DescribeVpcsCommandOutput>>;
  readonly internetGateways?: Recorded<Output<DescribeInternetGatewaysCommandOutput>>;
  readonly addresses?: Recorded<Output<DescribeAddressesCommandOutput>>;
  readonly natGateways?: Recorded<Output<DescribeNatGatewaysCommandOutput>>;
  /** The subnets of the NAT gateways in use, for their AZs. */
  readonly natSubnets?: Recorded<Output<DescribeSubnetsCommandOutput>>;
  readonly rds?: Recorded<Output<DescribeAccountAttributesCommandOutput>>;
}

export async function readQuotas(
  aws: PreflightAws,
  region: string,
  needs: readonly QuotaNeed[],
): Promise<QuotaAnswers> {
  const ids = new Set(needs.filter((n) => n.region === region).map((n) => n.quota));
  const quotas: Partial<Record<QuotaId, ServiceQuotaAnswer>> = {};
  await Promise.all(
    [...ids].map(async (id) => {
      const spec = QUOTAS[id];
      if (spec.kind !== 'service-quotas') return;
      const applied = await record(() => aws.getServiceQuota(region, spec.serviceCode, spec.quotaCode));
      quotas[id] =
        'ok' in applied && applied.ok.Quota?.Value !== undefined
          ? { applied }
          : {
              applied,
              default: await record(() => aws.getDefaultServiceQuota(region, spec.serviceCode, spec.quotaCode)),
            };
    }),
  );
  const when = <T>(id: QuotaId, call: () => Promise<T>) => (ids.has(id) ? record(call) : undefined);
  const [vpcs, internetGateways, addresses, natGateways, rds] = await Promise.all([
    when('vpcs', () => aws.describeVpcs(region)),
    when('internetGateways', () => aws.describeInternetGateways(region)),
    when('elasticIps', () => aws.describeAddresses(region)),
    when('natGatewaysPerAz', () => aws.describeNatGateways(region)),
    ids.has('dbClusters') || ids.has('dbInstances') ? record(() => aws.rdsAccountAttributes(region)) : undefined,
  ]);
  const natSubnetIds = natGateways && 'ok' in natGateways ? subnetIdsOf(natGateways.ok) : [];
  const natSubnets =
    natSubnetIds.length > 0 ? await record(() => aws.describeSubnets(region, natSubnetIds)) : undefined;
  return { region, quotas, vpcs, internetGateways, addresses, natGateways, natSubnets, rds };
}

function subnetIdsOf(answer: Output<DescribeNatGatewaysCommandOutput>): string[] {
  return [...new Set((answer.NatGateways ?? []).map((n) => n.SubnetId).filter((id): id is string => !!id))];
}

/**
 * One finding per need that does not fit, or whose quota or usage could not be read. Resources
 * CloudFormation tagged as belonging to one of `appStacks` are not counted as in use: a deploy
 * updates them rather than creating more (preflight run again after a partial first deploy).
 */
export function quotaFindings(
  needs: readonly QuotaNeed[],
  answers: QuotaAnswers,
  appStacks: ReadonlySet<string> = new Set(),
): Finding[] {
  const { region } = answers;
  const finding = (severity: Finding['severity'], message: string, fix: string): Finding => ({
    severity,
    check: 'quotas',
    region,
    message,
    fix,
  });
  return needs
    .filter((need) => need.region === region)
    .flatMap((need): Finding[] => {
      const spec = QUOTAS[need.quota];
      const limit = limitOf(need.quota, answers);
      if (limit.error !== undefined) {
        return [
          finding(
            'warning',
            `could not read the quota "${spec.name}" (${limit.error}); the app needs ${need.count} ${spec.unit} (${need.counted}).`,
            spec.kind === 'service-quotas'
              ? `allow servicequotas:GetServiceQuota and GetAWSDefaultServiceQuota, or check ${spec.serviceCode}/${spec.quotaCode} in the Service Quotas console of ${region}.`
              : `allow rds:DescribeAccountAttributes, or check "${spec.name}" in the Service Quotas console of ${region}.`,
          ),
        ];
      }
      const usage = usageOf(need.quota, answers, appStacks);
      const zones = need.byZone ? Object.entries(need.byZone) : [[undefined, need.count] as const];
      const findings: Finding[] = [];
      if (usage.error !== undefined) {
        findings.push(
          finding(
            'warning',
            `could not count the ${spec.unit} already in use (${usage.error}); the app needs ${need.count} of the ${limit.value} "${spec.name}".`,
            `check the ${spec.unit} in use in the console of ${region}.`,
          ),
        );
      }
      for (const [zone, count] of zones) {
        const used = usage.byZone?.[zone ?? ''] ?? usage.total ?? 0;
        if (count + used <= limit.value) continue;
        const where = zone ? ` in ${zone}` : '';
        const inUse =
          usage.total === undefined && usage.byZone === undefined ? ' (usage not counted)' : `, ${used} in use`;
        findings.push(
          finding(
            'error',
            `the app needs ${count} ${spec.unit}${where} (${need.counted}) but the quota "${spec.name}" is ${limit.value} (${limit.source})${inUse}.`,
            spec.kind === 'service-quotas'
              ? `\`aws service-quotas request-service-quota-increase --region ${region} --service-code ${spec.serviceCode} --quota-code ${spec.quotaCode} --desired-value ${Math.ceil(count + used)}\`${used > 0 ? `, or free ${Math.ceil(count + used - limit.value)}` : ''}.`
              : `request at least ${count + used} in the Service Quotas console of ${region} (Amazon RDS > ${spec.name}), or free ${count + used - limit.value}.`,
          ),
        );
      }
      return findings;
    });
}

type Limit = { value: number; source: string; error?: undefined } | { error: string; value?: undefined };

function limitOf(id: QuotaId, answers: QuotaAnswers): Limit {
  const spec = QUOTAS[id];
  if (spec.kind === 'rds') {
    const quota = rdsQuota(spec.accountQuotaName, answers);
    if ('error' in quota) return { error: quota.error };
    return quota.Max === undefined ? { error: 'no Max in the answer' } : { value: quota.Max, source: 'applied' };
  }
  const answer = answers.quotas[id];
  if (answer && 'ok' in answer.applied && answer.applied.ok.Quota?.Value !== undefined) {
    return { value: answer.applied.ok.Quota.Value, source: 'applied' };
  }
  if (answer?.default && 'ok' in answer.default && answer.default.ok.Quota?.Value !== undefined) {
    return { value: answer.default.ok.Quota.Value, source: 'the AWS default' };
  }
  const errors = [answer?.applied, answer?.default].flatMap((a) => (a && 'error' in a ? [a.error.name] : []));
  return { error: errors.length > 0 ? errors.join(', ') : 'no value in the answer' };
}

function rdsQuota(name: string, answers: QuotaAnswers): AccountQuota | { error: string } {
  if (!answers.rds) return { error: 'not read' };
  if ('error' in answers.rds) return { error: answers.rds.error.name };
  return (
    answers.rds.ok.AccountQuotas?.find((q) => q.AccountQuotaName === name) ?? { error: `no ${name} in the answer` }
  );
}

interface Usage {
  readonly total?: number;
  readonly byZone?: Readonly<Record<string, number>>;
  readonly error?: string;
}

function usageOf(id: QuotaId, answers: QuotaAnswers, appStacks: ReadonlySet<string>): Usage {
  const others = (items: readonly Tagged[] | undefined) => (items ?? []).filter((item) => !ownedBy(item, appStacks));
  const count = <T>(answer: Recorded<T> | undefined, list: (ok: T) => readonly Tagged[] | undefined): Usage =>
    !answer
      ? { error: 'not read' }
      : 'error' in answer
        ? { error: answer.error.name }
        : { total: others(list(answer.ok)).length };
  switch (id) {
    case 'vpcs':
      return count(answers.vpcs, (ok) => ok.Vpcs);
    case 'internetGateways':
      return count(answers.internetGateways, (ok) => ok.InternetGateways);
    case 'elasticIps':
      return count(answers.addresses, (ok) => ok.Addresses);
    case 'natGatewaysPerAz':
      return natUsage(answers, appStacks);
    case 'dbClusters':
    case 'dbInstances': {
      const quota = rdsQuota((QUOTAS[id] as RdsQuotaSpec).accountQuotaName, answers);
      return 'error' in quota ? { error: quota.error } : { total: quota.Used ?? 0 };
    }
    default:
      return {};
  }
}

interface Tagged {
  readonly Tags?: readonly { readonly Key?: string; readonly Value?: string }[];
}

/** Whether CloudFormation created `item` for one of `stacks` (its `aws:cloudformation:stack-name` tag). */
function ownedBy(item: Tagged, stacks: ReadonlySet<string>): boolean {
  const stack = item.Tags?.find((tag) => tag.Key === 'aws:cloudformation:stack-name')?.Value;
  return stack !== undefined && stacks.has(stack);
}

function natUsage(answers: QuotaAnswers, appStacks: ReadonlySet<string>): Usage {
  if (!answers.natGateways) return { error: 'not read' };
  if ('error' in answers.natGateways) return { error: answers.natGateways.error.name };
  const gateways = (answers.natGateways.ok.NatGateways ?? []).filter((gateway) => !ownedBy(gateway, appStacks));
  if (gateways.length === 0) return { byZone: {} };
  if (!answers.natSubnets || 'error' in answers.natSubnets) {
    return { error: answers.natSubnets && 'error' in answers.natSubnets ? answers.natSubnets.error.name : 'not read' };
  }
  const zoneOf = new Map((answers.natSubnets.ok.Subnets ?? []).map((s) => [s.SubnetId, s.AvailabilityZone]));
  const byZone: Record<string, number> = {};
  for (const gateway of gateways) {
    const zone = zoneOf.get(gateway.SubnetId);
    if (zone) byZone[zone] = (byZone[zone] ?? 0) + 1;
  }
  return { byZone };
}
