import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Actions, DrillContext, DrillDefinition, Targets, arn, duration, minutes, perChunk } from './definition';
import { Permission } from './permissions';

/** Every subnet of the VPC (public, app, data), in the order of its zones. */
function allSubnets(vpc: ec2.IVpc): ec2.ISubnet[] {
  return [...vpc.publicSubnets, ...vpc.privateSubnets, ...vpc.isolatedSubnets];
}

/** Denies all traffic in and out of `subnets` for the drill duration, one action per zone (and per five subnets). */
function disconnect(ctx: DrillContext, subnets: readonly ec2.ISubnet[]): Pick<DrillDefinition, 'targets' | 'actions'> {
  const targets: Targets = {};
  const actions: Actions = {};
  const zones = [...new Set(subnets.map((s) => s.availabilityZone))];
  for (const zone of zones) {
    const inZone = subnets.filter((s) => s.availabilityZone === zone);
    const part = perChunk(
      inZone.map((s) => arn(ctx, 'ec2', 'subnet', s.subnetId)),
      { resourceType: 'aws:ec2:subnet' },
      { target: `subnets-${zone}`, action: `disconnect-${zone}`, key: 'Subnets' },
      {
        actionId: 'aws:network:disrupt-connectivity',
        description: `Deny all traffic in and out of the ${zone} subnets`,
        parameters: { scope: 'all', duration: duration(ctx) },
      },
    );
    Object.assign(targets, part.targets);
    Object.assign(actions, part.actions);
  }
  return { targets, actions };
}

/**
 * What `aws:network:disrupt-connectivity` needs: FIS clones each subnet's network ACL into one
 * tagged `managedByFIS=true` with deny entries, swaps the association, and swaps it back.
 */
function networkPermissions(ctx: DrillContext, subnets: readonly ec2.ISubnet[]): Permission[] {
  const { vpc } = ctx.props;
  const networkAcls = arn(ctx, 'ec2', 'network-acl', '*');
  const aclReason =
    'FIS creates its own network ACLs during the drill, so their ids are unknown; creating one needs the managedByFIS=true tag, changing one needs that tag and this VPC.';
  return [
    { actions: ['ec2:CreateNetworkAcl'], resources: [vpc.vpcArn] },
    {
      actions: ['ec2:CreateNetworkAcl'],
      resources: [networkAcls],
      conditions: { StringEquals: { 'aws:RequestTag/managedByFIS': 'true' } },
      wildcardReason: aclReason,
    },
    {
      actions: ['ec2:CreateTags'],
      resources: [networkAcls],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateNetworkAcl', 'aws:RequestTag/managedByFIS': 'true' } },
      wildcardReason: aclReason,
    },
    {
      actions: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAcl'],
      resources: [networkAcls],
      conditions: { StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' }, ArnEquals: { 'ec2:Vpc': vpc.vpcArn } },
      wildcardReason: aclReason,
    },
    {
      // Swaps the drill ACL in and the original (untagged) ACL back, on the target subnets only.
      actions: ['ec2:ReplaceNetworkAclAssociation'],
      resources: [...subnets.map((s) => arn(ctx, 'ec2', 'subnet', s.subnetId)), networkAcls],
      conditions: { ArnEquals: { 'ec2:Vpc': vpc.vpcArn } },
      wildcardReason: aclReason,
    },
    {
      actions: ['ec2:DescribeNetworkAcls', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'ec2:DescribeManagedPrefixLists'],
      resources: ['*'],
      wildcardReason: 'EC2 Describe calls take no resource; FIS reads the subnets and their network ACLs with them.',
    },
  ];
}

export function azLoss(ctx: DrillContext): DrillDefinition {
  const zone = ctx.availabilityZone;
  const subnets = allSubnets(ctx.props.vpc).filter((s) => s.availabilityZone === zone);
  return {
    description: `AZ loss: cuts ${zone} (its public, app and data subnets) off the network for ${minutes(ctx)}. The ALB, NAT, tasks, database and cache nodes there become unreachable; the other zones of ${ctx.region} keep serving.`,
    ...disconnect(ctx, subnets),
    permissions: networkPermissions(ctx, subnets),
  };
}

export function regionLoss(ctx: DrillContext): DrillDefinition {
  const subnets = allSubnets(ctx.props.vpc);
  const { otherRegions } = ctx.props;
  const absorb =
    otherRegions === undefined
      ? 'the other regions absorb its traffic'
      : otherRegions.length > 0
        ? `${otherRegions.join(', ')} absorb its traffic`
        : 'with no other region to take over, the app is down until the drill ends';
  return {
    description: `Region loss (Chaos Kong): cuts every subnet of ${ctx.region} off the network for ${minutes(ctx)}. The ALB becomes unreachable, the Route 53 health check withdraws ${ctx.region} from the latency records, and ${absorb}.`,
    ...disconnect(ctx, subnets),
    permissions: networkPermissions(ctx, subnets),
  };
}
