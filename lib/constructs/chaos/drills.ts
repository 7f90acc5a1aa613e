import { ArnFormat, Duration, Tags } from 'aws-cdk-lib';
import type { RegionalCache } from '../cache';
import { DrillContext, DrillDefinition, arn, duration, minutes, perChunk } from './definition';
import { Permission } from './permissions';
import { InvalidationPause, automationExecutionsArn } from './split-brain';

/** Tag by which the cache-failover drill finds the replication group (FIS takes no ARN for one). */
export const CACHE_DRILL_TAG = 'chaos-drill-target';

/**
 * Tags the cache so the cache-failover drill can find it; call it in the cache's own stack. A
 * cache without Multi-AZ has no such drill (see `cacheFailover`) and is left untagged.
 */
export function tagCacheForDrills(cache: RegionalCache): void {
  if (cache.multiAz) Tags.of(cache.replicationGroup).add(CACHE_DRILL_TAG, cache.replicationGroupId);
}

export function taskLoss(ctx: DrillContext): DrillDefinition {
  const { cluster, service } = ctx.props;
  return {
    description: `Task loss: stops ${ctx.taskStopPercent}% of the api tasks in ${ctx.region}. ECS replaces them while the remaining tasks carry the load behind the ALB.`,
    targets: {
      'api-tasks': {
        resourceType: 'aws:ecs:task',
        parameters: { cluster: cluster.clusterName, service: service.serviceName },
        selectionMode: `PERCENT(${ctx.taskStopPercent})`,
      },
    },
    actions: {
      'stop-api-tasks': {
        actionId: 'aws:ecs:stop-task',
        description: `Stop ${ctx.taskStopPercent}% of the api tasks`,
        targets: { Tasks: 'api-tasks' },
      },
    },
    permissions: [
      {
        actions: ['ecs:StopTask', 'ecs:DescribeTasks'],
        resources: [arn(ctx, 'ecs', 'task', `${cluster.clusterName}/*`)],
        conditions: { ArnEquals: { 'ecs:cluster': cluster.clusterArn } },
        wildcardReason: 'Task ids are made at every deployment; only tasks of the api cluster match.',
      },
      {
        actions: ['ecs:ListTasks'],
        resources: ['*'],
        conditions: { ArnEquals: { 'ecs:cluster': cluster.clusterArn } },
        wildcardReason:
          'ecs:ListTasks names no task (task ids are what it returns); the ecs:cluster condition limits it to the api cluster.',
      },
    ],
  };
}

export function databaseFailover(ctx: DrillContext): DrillDefinition {
  const { databases } = ctx.props;
  // A failover needs a reader to promote; a primary shard without one gets its writer rebooted.
  const failingOver = databases.filter((d) => d.role === 'primary' && d.cluster.instanceIdentifiers.length > 1);
  const lonePrimaries = databases.filter((d) => d.role === 'primary' && d.cluster.instanceIdentifiers.length <= 1);
  const secondaries = databases.filter((d) => d.role === 'secondary');
  const clusterArns = failingOver.map((d) =>
    arn(ctx, 'rds', 'cluster', d.cluster.clusterIdentifier, ArnFormat.COLON_RESOURCE_NAME),
  );
  // A secondary cluster of a global database has no writer: every instance in it is a reader.
  const instanceArns = [...lonePrimaries, ...secondaries].flatMap((d) =>
    d.cluster.instanceIdentifiers.map((id) => arn(ctx, 'rds', 'db', id, ArnFormat.COLON_RESOURCE_NAME)),
  );
  const failovers = perChunk(
    clusterArns,
    { resourceType: 'aws:rds:cluster' },
    { target: 'clusters', action: 'fail-over-writers', key: 'Clusters' },
    { actionId: 'aws:rds:failover-db-cluster', description: 'Fail each shard writer over to a reader' },
  );
  const reboots = perChunk(
    instanceArns,
    { resourceType: 'aws:rds:db' },
    { target: 'instances', action: 'reboot-instances', key: 'DBInstances' },
    {
      actionId: 'aws:rds:reboot-db-instances',
      description: 'Reboot the instances of shards that have no reader to fail over to, or no writer',
      parameters: { forceFailover: 'false' },
    },
  );
  const describeReason =
    'Read-only: FIS describes its targets before acting, and a describe without an identifier is authorized against every cluster or instance of the account and region.';
  const permissions: Permission[] = [];
  if (clusterArns.length > 0) {
    permissions.push(
      { actions: ['rds:FailoverDBCluster'], resources: clusterArns },
      {
        actions: ['rds:DescribeDBClusters'],
        resources: [arn(ctx, 'rds', 'cluster', '*', ArnFormat.COLON_RESOURCE_NAME)],
        wildcardReason: describeReason,
      },
    );
  }
  if (instanceArns.length > 0) {
    permissions.push(
      { actions: ['rds:RebootDBInstance'], resources: instanceArns },
      {
        actions: ['rds:DescribeDBInstances'],
        resources: [arn(ctx, 'rds', 'db', '*', ArnFormat.COLON_RESOURCE_NAME)],
        wildcardReason: describeReason,
      },
    );
  }
  const shards = (n: number) => (n === 1 ? '1 shard' : `${n} shards`);
  const parts = [
    failingOver.length > 0 &&
      `fails the writer of ${shards(failingOver.length)} in ${ctx.region} over to a reader; each shard refuses writes for about 30 s while the reader is promoted.`,
    lonePrimaries.length > 0 &&
      `reboots the writer of ${shards(lonePrimaries.length)} in ${ctx.region} without a reader to fail over to; reads and writes there fail until the writer is back.`,
    secondaries.length > 0 &&
      `${ctx.region} is a secondary region with no writer, so it reboots every reader instance of its ${shards(secondaries.length)}; reads and forwarded writes fail there until they are back.`,
  ].filter((part): part is string => typeof part === 'string');
  return {
    description: `Database failover: ${parts.join(' It also ')}`,
    targets: { ...failovers.targets, ...reboots.targets },
    actions: { ...failovers.actions, ...reboots.actions },
    permissions,
  };
}

/**
 * Undefined for a cache without replicas: FIS interrupts AZ power only for replication groups with
 * Multi-AZ enabled, and there would be no replica to promote.
 */
export function cacheFailover(ctx: DrillContext): DrillDefinition | undefined {
  const { cache } = ctx.props;
  if (!cache.multiAz) return undefined;
  const zone = ctx.availabilityZone;
  return {
    description: `Cache failover: interrupts power to the cache nodes in ${zone} for ${minutes(ctx)}. ElastiCache promotes a replica in another zone and cannot replace the lost nodes until power returns.`,
    targets: {
      cache: {
        resourceType: 'aws:elasticache:replicationgroup',
        resourceTags: { [CACHE_DRILL_TAG]: cache.replicationGroupId },
        parameters: { availabilityZoneIdentifier: zone },
        selectionMode: 'ALL',
      },
    },
    actions: {
      'interrupt-az-power': {
        actionId: 'aws:elasticache:replicationgroup-interrupt-az-power',
        description: `Interrupt power to the cache nodes in ${zone}`,
        parameters: { duration: duration(ctx) },
        targets: { ReplicationGroups: 'cache' },
      },
    },
    permissions: [
      {
        actions: ['elasticache:InterruptClusterAzPower'],
        resources: ['*'],
        conditions: { StringEquals: { [`aws:ResourceTag/${CACHE_DRILL_TAG}`]: cache.replicationGroupId } },
        wildcardReason:
          'FIS finds the replication group by tag; the aws:ResourceTag condition (which ElastiCache copies to every node) limits the power interruption to this cache.',
      },
      {
        actions: ['elasticache:DescribeReplicationGroups'],
        resources: [arn(ctx, 'elasticache', 'replicationgroup', '*', ArnFormat.COLON_RESOURCE_NAME)],
        wildcardReason: 'Read-only: FIS describes the replication groups its tag lookup found.',
      },
      {
        actions: ['tag:GetResources'],
        resources: ['*'],
        wildcardReason: 'Read-only: tag:GetResources takes no resource; FIS resolves the tagged cache with it.',
      },
    ],
  };
}

export function splitBrain(ctx: DrillContext, pause: InvalidationPause): DrillDefinition {
  return {
    description: `Split brain: ${ctx.region} stops consuming cache invalidations for ${minutes(ctx)} (its invalidation queue denies ReceiveMessage) while writes continue elsewhere. Its cache serves data stale by at most the cache TTL (${ctx.cacheTtlSeconds} s) and the invalidation-queue age alarm fires; the queue policy is restored after.`,
    targets: {},
    actions: {
      'pause-invalidations': {
        actionId: 'aws:ssm:start-automation-execution',
        description: 'Deny receiving from the invalidation queue, hold, restore its policy',
        parameters: {
          documentArn: pause.documentArn,
          documentParameters: pause.runParameters(),
          // The runbook's two script steps take seconds; the margin only bounds a stuck run.
          maxDuration: Duration.minutes(ctx.drillMinutes + 5).toIsoString(),
        },
      },
    },
    permissions: [
      {
        actions: ['ssm:StartAutomationExecution'],
        resources: [pause.automationDefinitionArn],
        wildcardReason: 'Any version of the drill runbook, which FIS picks when it starts (the $DEFAULT one).',
      },
      {
        actions: ['ssm:GetAutomationExecution', 'ssm:StopAutomationExecution'],
        resources: [automationExecutionsArn(ctx.scope)],
        wildcardReason: 'Automation execution ids are made when FIS starts the runbook.',
      },
      {
        actions: ['iam:PassRole'],
        resources: [pause.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
      },
    ],
  };
}
