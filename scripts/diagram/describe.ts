import { refTarget } from '../common/assembly';
import { describeEdge } from './edge';
import { ArchitectureModel, Lane } from './model';
import { MeshCounts, RegionStacks, describeRegion, describeRouting } from './region';
import { TemplateView, arnRegion, literalText, plural } from './template';

/** The synthesized stacks the diagram is drawn from. */
export interface DiagramSource {
  readonly appName: string;
  readonly profile: string;
  readonly edge: TemplateView;
  /** One entry per serving region, in `regions` order. */
  readonly regions: readonly RegionStacks[];
  /** Every other stack of the app: listed under the legend, not drawn. */
  readonly others: readonly TemplateView[];
}

/** Reads what the diagram shows out of the templates. */
export function describeArchitecture(source: DiagramSource): ArchitectureModel {
  const { regions } = source;
  const subscriptions = meshSubscriptions(regions.map((r) => r.data));
  const meshOf = (region: string): MeshCounts => ({
    outgoing: subscriptions.filter((s) => s.from === region).length,
    incoming: subscriptions.filter((s) => s.to === region).length,
  });
  const columns = regions.map((stacks) => describeRegion(stacks, source.appName, meshOf(stacks.data.region)));
  const stackCount = 1 + regions.length * 2 + source.others.length;
  return {
    title: `${source.appName} (${source.profile}): architecture`,
    subtitle: `${plural(stackCount, 'stack')} · ${plural(regions.length, 'serving region')} · drawn from the synthesized CloudFormation templates by scripts/diagram.ts (npm run diagram)`,
    edge: describeEdge(source.edge),
    routing: describeRouting(regions.map((r) => r.service)),
    regions: columns,
    replication: replicationLane(regions.map((r) => r.data)),
    invalidation: subscriptions.length
      ? {
          name: 'cache invalidation',
          detail: `Cache invalidation mesh: each region's SNS topic delivers to every other region's SQS queue (${plural(subscriptions.length, 'cross-region subscription')})`,
          from: [...new Set(subscriptions.map((s) => s.from))],
          to: [...new Set(subscriptions.map((s) => s.to))],
        }
      : undefined,
    notes: source.others.length
      ? [`Also in the app, not drawn: ${source.others.map((s) => `${s.stackName} (${s.region})`).join(', ')}.`]
      : [],
  };
}

/** Topic region → queue region of every SNS→SQS subscription that crosses regions. */
function meshSubscriptions(datas: readonly TemplateView[]): { from: string; to: string }[] {
  const seen = new Map<string, { from: string; to: string }>();
  for (const data of datas) {
    for (const subscription of data.ofType('AWS::SNS::Subscription')) {
      const { TopicArn, Endpoint, Region, Protocol } = subscription.props;
      if (Protocol !== 'sqs') continue;
      const local = (value: unknown) => (data.byId(refTarget(value)) ? data.region : undefined);
      const from = local(TopicArn) ?? arnRegion(TopicArn, 'sns') ?? (typeof Region === 'string' ? Region : undefined);
      const to = local(Endpoint) ?? arnRegion(Endpoint, 'sqs');
      if (from && to && from !== to) seen.set(`${from}>${to}`, { from, to });
    }
  }
  return [...seen.values()];
}

/** From each region that creates Aurora global clusters to the regions whose clusters join them. */
function replicationLane(datas: readonly TemplateView[]): Lane | undefined {
  for (const primary of datas) {
    const ids = new Set(
      primary.ofType('AWS::RDS::GlobalCluster').map((g) => literalText(g.props.GlobalClusterIdentifier)),
    );
    if (ids.size === 0) continue;
    const secondaries = datas
      .filter((data) => data !== primary)
      .filter((data) =>
        data.ofType('AWS::RDS::DBCluster').some((c) => ids.has(literalText(c.props.GlobalClusterIdentifier))),
      )
      .map((data) => data.region);
    if (secondaries.length === 0) return undefined;
    return {
      name: 'Aurora global replication',
      detail: `Aurora global database: ${plural(ids.size, 'global cluster')} replicate the shards' storage from ${primary.region} to ${secondaries.join(', ')}`,
      from: [primary.region],
      to: secondaries,
    };
  }
  return undefined;
}
