import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** How a node-level metric combines across the nodes of a replication group. */
export type NodeAggregation = 'MAX' | 'SUM' | 'AVG';

/** A node-level ElastiCache metric, or its aggregation over every node, named for alarms. */
export interface CacheMetricSpec {
  readonly metricName: string;
  /** Statistic per node and period. */
  readonly statistic: string;
  /** How nodes combine when no node is named. */
  readonly across: NodeAggregation;
}

/** Alarms on metric math may use at most 10 metrics (CloudWatch quota). */
const MAX_METRICS_PER_ALARM = 10;

/**
 * Builds node metrics for one replication group. ElastiCache publishes engine and host metrics
 * per node (dimension `CacheClusterId`, the member cluster id); none of the metrics below has a
 * replication-group dimension, so a group-wide view is metric math over the member nodes.
 */
export class CacheMetrics {
  constructor(private readonly memberClusterIds: readonly string[]) {}

  /** The metric for one member node, or the aggregation over all of them when `node` is omitted. */
  public metric(spec: CacheMetricSpec, node?: string, options: cloudwatch.MetricOptions = {}): cloudwatch.IMetric {
    if (node !== undefined) return this.nodeMetric(spec, node, options);
    const nodes = this.memberClusterIds;
    if (nodes.length === 0 || nodes.length > MAX_METRICS_PER_ALARM) {
      throw new Error(
        `${spec.metricName}: a group-wide metric needs 1 to ${MAX_METRICS_PER_ALARM} nodes, this group has ${nodes.length}; name a node from memberClusterIds`,
      );
    }
    const usingMetrics = Object.fromEntries(nodes.map((id, i) => [`n${i}`, this.nodeMetric(spec, id, options)]));
    return new cloudwatch.MathExpression({
      expression: `${spec.across}([${Object.keys(usingMetrics).join(',')}])`,
      usingMetrics,
      label: `${spec.metricName} (${spec.across.toLowerCase()} over ${nodes.length} nodes)`,
      period: options.period ?? Duration.minutes(1),
    });
  }

  private nodeMetric(spec: CacheMetricSpec, node: string, options: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (!Token.isUnresolved(node) && !this.memberClusterIds.includes(node)) {
      throw new Error(`${node} is not a node of this cache (nodes: ${this.memberClusterIds.join(', ')})`);
    }
    return new cloudwatch.Metric({
      namespace: 'AWS/ElastiCache',
      metricName: spec.metricName,
      dimensionsMap: { CacheClusterId: node },
      statistic: spec.statistic,
      period: Duration.minutes(1),
      ...options,
    });
  }
}

/**
 * The member cluster ids ElastiCache gives a replication group's nodes: `<id>-00N` without
 * cluster mode, `<id>-000S-00N` per shard with it. They stay the same across failovers.
 */
export function memberClusterIds(
  replicationGroupId: string,
  clusterMode: boolean,
  shards: number,
  nodesPerShard: number,
): string[] {
  if ([replicationGroupId, shards, nodesPerShard].some((v) => Token.isUnresolved(v))) return [];
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const nodes = Array.from({ length: nodesPerShard }, (_, n) => pad(n + 1, 3));
  if (!clusterMode) return nodes.map((node) => `${replicationGroupId}-${node}`);
  return Array.from({ length: shards }, (_, s) =>
    nodes.map((node) => `${replicationGroupId}-${pad(s + 1, 4)}-${node}`),
  ).flat();
}
