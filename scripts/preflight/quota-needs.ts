/**
 * What the app's templates create per region that counts toward an account quota: counted from
 * the synthesized resources, so a profile or an override (`-c network.natGateways=1`) changes the
 * need with it.
 */
import { StackTemplate, Templates } from '../common/assembly';

export type QuotaId =
  | 'vpcs'
  | 'internetGateways'
  | 'elasticIps'
  | 'natGatewaysPerAz'
  | 'fargateVcpu'
  | 'standardVcpu'
  | 'dbClusters'
  | 'dbInstances';

export interface QuotaNeed {
  readonly region: string;
  readonly quota: QuotaId;
  /** How many the app creates in the region (for `natGatewaysPerAz`, in its busiest AZ). */
  readonly count: number;
  /** Per-AZ counts, for quotas that apply per AZ. */
  readonly byZone?: Readonly<Record<string, number>>;
  /** What was counted, for the message: e.g. `3 AWS::EC2::EIP`. */
  readonly counted: string;
}

/** Every nonzero need of every region of `stacks`, regions in first-seen order. */
export function quotaNeeds(stacks: readonly StackTemplate[]): QuotaNeed[] {
  const t = new Templates(stacks);
  const regions = [...new Set(stacks.map((s) => s.region))];
  return regions.flatMap((region) => {
    const inRegion = stacks.filter((s) => s.region === region);
    const all = (type: string) => inRegion.flatMap((stack) => t.resources(stack, type));
    const needs: QuotaNeed[] = [];
    const add = (quota: QuotaId, count: number, counted: string, byZone?: Record<string, number>) => {
      if (count > 0) needs.push({ region, quota, count, counted, ...(byZone ? { byZone } : {}) });
    };
    for (const [quota, type] of [
      ['vpcs', 'AWS::EC2::VPC'],
      ['internetGateways', 'AWS::EC2::InternetGateway'],
      ['elasticIps', 'AWS::EC2::EIP'],
    ] as const) {
      const n = all(type).length;
      add(quota, n, `${n} ${type}`);
    }

    const natZones: Record<string, number> = {};
    for (const nat of all('AWS::EC2::NatGateway')) {
      const zone = t.resolve(nat.stack, nat.props.SubnetId)?.props.AvailabilityZone;
      const key = typeof zone === 'string' ? zone : 'an unknown AZ';
      natZones[key] = (natZones[key] ?? 0) + 1;
    }
    const busiest = Math.max(0, ...Object.values(natZones));
    add('natGatewaysPerAz', busiest, `${all('AWS::EC2::NatGateway').length} AWS::EC2::NatGateway`, natZones);

    const fargate = fargateVcpus(t, inRegion);
    add('fargateVcpu', fargate.vcpus, fargate.counted);

    const instances = all('AWS::EC2::Instance');
    const vcpus = instances.map((i) => standardVcpus(i.props.InstanceType)).filter((v): v is number => v !== undefined);
    add(
      'standardVcpu',
      vcpus.reduce((a, b) => a + b, 0),
      `${vcpus.length} AWS::EC2::Instance (${instances.map((i) => i.props.InstanceType).join(', ')})`,
    );

    const clusters = all('AWS::RDS::DBCluster');
    add('dbClusters', clusters.length, `${clusters.length} AWS::RDS::DBCluster`);
    const dbInstances = dbInstanceCount(t, inRegion);
    add('dbInstances', dbInstances.count, dbInstances.counted);
    return needs;
  });
}

/**
 * vCPUs the region's Fargate services reach at their scaling maximum (`MaxCapacity` of their
 * scalable target, else `DesiredCount`): task `Cpu` units / 1024 per task.
 */
function fargateVcpus(t: Templates, stacks: readonly StackTemplate[]): { vcpus: number; counted: string } {
  let vcpus = 0;
  const parts: string[] = [];
  for (const stack of stacks) {
    const targets = t.resources(stack, 'AWS::ApplicationAutoScaling::ScalableTarget');
    for (const service of t.resources(stack, 'AWS::ECS::Service')) {
      const strategy: { CapacityProvider?: string }[] = service.props.CapacityProviderStrategy ?? [];
      const onDemand = service.props.LaunchType === 'FARGATE' || strategy.some((s) => s.CapacityProvider === 'FARGATE');
      if (!onDemand) continue;
      const cpu = Number(t.resolve(stack, service.props.TaskDefinition)?.props.Cpu);
      const target = targets.find((x) => JSON.stringify(x.props.ResourceId).includes(`"${service.id}"`));
      const tasks = Number(target?.props.MaxCapacity ?? service.props.DesiredCount ?? 1);
      if (!Number.isFinite(cpu) || !Number.isFinite(tasks)) continue;
      vcpus += (cpu / 1024) * tasks;
      parts.push(`${tasks} x ${cpu / 1024} vCPU`);
    }
  }
  return { vcpus, counted: `Fargate tasks at their scaling maximum: ${parts.join(' + ')}` };
}

/**
 * DB instances the region's clusters reach: those in the template, plus the readers reader
 * autoscaling may add (a `rds:cluster:ReadReplicaCount` target's `MaxCapacity` above the
 * template's readers).
 */
function dbInstanceCount(t: Templates, stacks: readonly StackTemplate[]): { count: number; counted: string } {
  let count = 0;
  let scaled = 0;
  for (const stack of stacks) {
    const instances = t.resources(stack, 'AWS::RDS::DBInstance');
    count += instances.length;
    for (const target of t.resources(stack, 'AWS::ApplicationAutoScaling::ScalableTarget')) {
      if (target.props.ScalableDimension !== 'rds:cluster:ReadReplicaCount') continue;
      const cluster = JSON.stringify(target.props.ResourceId).match(/"Ref":"([^"]+)"/)?.[1];
      const members = instances.filter((i) => JSON.stringify(i.props.DBClusterIdentifier) === `{"Ref":"${cluster}"}`);
      const readers = Math.max(0, members.length - 1);
      scaled += Math.max(0, Number(target.props.MaxCapacity) - readers);
    }
  }
  return {
    count: count + scaled,
    counted: `${count} AWS::RDS::DBInstance${scaled > 0 ? ` + ${scaled} readers autoscaling may add` : ''}`,
  };
}

/**
 * vCPUs of an instance type that counts toward "Running On-Demand Standard (A, C, D, H, I, M, R,
 * T, Z) instances", by its size; undefined for other families and sizes this does not know.
 */
export function standardVcpus(instanceType: unknown): number | undefined {
  const match = typeof instanceType === 'string' ? /^([a-z])[a-z0-9-]*\.(\w+)$/.exec(instanceType) : null;
  if (!match || !'acdhimrtz'.includes(match[1])) return undefined;
  const [, family, size] = match;
  if (family === 't' && ['nano', 'micro', 'small', 'medium', 'large'].includes(size)) return 2;
  if (size === 'medium') return 1;
  if (size === 'large') return 2;
  const xlarge = /^(\d*)xlarge$/.exec(size);
  return xlarge ? 4 * Number(xlarge[1] || 1) : undefined;
}
