import type { MetricSeries } from '../metric-series';
import type { Assumptions, CfnResource, StackTemplate } from '../model';

/**
 * One meter per billed CloudFormation type: a small pure function from one resource (and counts of
 * its neighbours) to the usages it is billed for. Quantities are per month, in the unit of the
 * price key; an hourly usage carries `hours`. `maxQuantity` is the same usage at max scale.
 */
export interface Usage {
  readonly item: string;
  readonly priceKey: string;
  /** Region whose price applies, or `global` for services priced the same everywhere. */
  readonly region: string;
  readonly quantity: number;
  readonly maxQuantity: number;
  readonly unit: string;
  readonly hours?: number;
  readonly stackId: string;
  /** What is priced, for the error when the price table lacks the key (e.g. a node type). */
  readonly what?: string;
  /** A price key holding a fraction taken off the unit price (Valkey nodes). */
  readonly discountKey?: string;
}

export interface MeterInput {
  readonly stack: StackTemplate;
  readonly logicalId: string;
  readonly resource: CfnResource;
  readonly context: MeterContext;
}

export type Meter = (input: MeterInput) => Usage[];

/** Region key of usages priced the same everywhere (Route 53, CloudFront, WAF on CloudFront). */
export const GLOBAL = 'global';

/** What the meters need beyond one resource: counts of its kind per region, and the assumptions. */
export class MeterContext {
  private readonly counts = new Map<string, number>();
  private readonly globalClusterRegions = new Map<string, string>();
  private readonly regionsByType = new Map<string, Set<string>>();

  constructor(
    public readonly stacks: readonly StackTemplate[],
    public readonly assumptions: Assumptions,
    public readonly hoursPerMonth: number,
    public readonly metricSeries: MetricSeries,
  ) {
    for (const stack of stacks) {
      for (const resource of Object.values(stack.resources)) {
        const key = countKey(stack.region, resource.Type, variantOf(resource));
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
        const all = countKey('*', resource.Type, variantOf(resource));
        this.counts.set(all, (this.counts.get(all) ?? 0) + 1);
        const regions = this.regionsByType.get(resource.Type) ?? new Set<string>();
        this.regionsByType.set(resource.Type, regions.add(stack.region));
        if (
          resource.Type === 'AWS::RDS::GlobalCluster' &&
          typeof resource.Properties?.GlobalClusterIdentifier === 'string'
        ) {
          this.globalClusterRegions.set(resource.Properties.GlobalClusterIdentifier, stack.region);
        }
      }
    }
  }

  /** Resources of `type` (and `variant`, see `variantOf`) in `region`, or in all regions with `*`. */
  count(region: string, type: string, variant = ''): number {
    return this.counts.get(countKey(region, type, variant)) ?? 0;
  }

  /** How many regions have at least one resource of `type`. */
  regionsWith(type: string): number {
    return this.regionsByType.get(type)?.size ?? 0;
  }

  /** The region whose stack creates the global cluster `id`: the primary of a global database. */
  globalClusterRegion(id: unknown): string | undefined {
    return typeof id === 'string' ? this.globalClusterRegions.get(id) : undefined;
  }
}

const countKey = (region: string, type: string, variant: string) => `${region}|${type}|${variant}`;

/** Sub-kinds counted apart: interface vs gateway endpoints, application vs network load balancers. */
function variantOf(resource: CfnResource): string {
  const props = resource.Properties ?? {};
  if (resource.Type === 'AWS::EC2::VPCEndpoint') return props.VpcEndpointType ?? 'Gateway';
  if (resource.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer') return props.Type ?? 'application';
  if (resource.Type === 'AWS::Route53::RecordSet') return props.Region && !props.AliasTarget ? 'latency' : '';
  return '';
}

/** A usage whose quantity does not change with scale. */
export function fixed(
  input: MeterInput,
  item: string,
  priceKey: string,
  quantity: number,
  unit: string,
  options: { region?: string; hours?: boolean; what?: string } = {},
): Usage {
  return {
    item,
    priceKey,
    region: options.region ?? input.stack.region,
    quantity,
    maxQuantity: quantity,
    unit,
    hours: options.hours ? input.context.hoursPerMonth : undefined,
    stackId: input.stack.stackName,
    what: options.what,
  };
}

/** A usage between a floor and a ceiling (tasks, ACUs, readers). */
export function scaled(
  input: MeterInput,
  item: string,
  priceKey: string,
  floor: number,
  ceiling: number,
  unit: string,
  what?: string,
): Usage {
  return { ...fixed(input, item, priceKey, floor, unit, { hours: true, what }), maxQuantity: ceiling };
}

/** The share of a regional assumption that falls on one of `count` resources of a kind. */
export const share = (total: number, count: number) => (count > 0 ? total / count : 0);

/** The share of a per-region assumption that falls on this resource, among those of its type in its region. */
export const regionalShare = (input: MeterInput, perRegion: number) =>
  share(perRegion, input.context.count(input.stack.region, input.resource.Type));

/** Numeric assumptions given per region (quantities, not ratios or sizes). */
type PerRegionAssumption = {
  [K in keyof Assumptions]: K extends `${string}PerRegion` ? (Assumptions[K] extends number ? K : never) : never;
}[keyof Assumptions];

/** `item` priced at `priceKey`: this resource's share of the per-region assumption `assumption`. */
export const perRegionUsage = (
  input: MeterInput,
  item: string,
  priceKey: string,
  assumption: PerRegionAssumption,
  unit: string,
): Usage => fixed(input, item, priceKey, regionalShare(input, input.context.assumptions[assumption]), unit);

export const props = (input: MeterInput): Record<string, any> => input.resource.Properties ?? {};

/** Whether `value` (a template fragment) refers to the resource `logicalId` by Ref or GetAtt. */
export function refersTo(value: unknown, logicalId: string): boolean {
  if (value === null || typeof value !== 'object') return false;
  const node = value as Record<string, unknown>;
  if (node.Ref === logicalId) return true;
  if (Array.isArray(node['Fn::GetAtt']) && node['Fn::GetAtt'][0] === logicalId) return true;
  return Object.values(node).some((child) => refersTo(child, logicalId));
}

/** The logical id `value` refers to with Ref, if any. */
export const refOf = (value: unknown): string | undefined =>
  value && typeof value === 'object' && typeof (value as { Ref?: unknown }).Ref === 'string'
    ? (value as { Ref: string }).Ref
    : undefined;

/** Scalable targets of `stack` whose resource id names `logicalId` (an ECS service or a DB cluster). */
export function scalableTargetOf(
  stack: StackTemplate,
  logicalId: string,
  dimension: string,
): Record<string, any> | undefined {
  return Object.values(stack.resources).find(
    (r) =>
      r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget' &&
      r.Properties?.ScalableDimension === dimension &&
      refersTo(r.Properties?.ResourceId, logicalId),
  )?.Properties;
}
