import { Meter, MeterInput, Usage, fixed, props, refOf, refersTo, scaled, share, perRegionUsage } from './kit';

/** How the report names a cache engine. */
const ENGINE_NAMES: Readonly<Record<string, string>> = { valkey: 'Valkey', redis: 'Redis OSS', memcached: 'Memcached' };

/** Meters of the data tier: Aurora, ElastiCache, KMS, secrets, queues, topics, buckets. */
export const DATA_METERS: Readonly<Record<string, Meter>> = {
  'AWS::RDS::DBCluster': (input) => {
    const p = props(input);
    const { context, stack } = input;
    const { assumptions } = context;
    const storage = p.StorageType === 'aurora-iopt1' ? 'aurora.iopt1' : 'aurora';
    const usages = [
      fixed(input, 'Aurora storage', `${storage}.storage.gbMonth`, assumptions.auroraStorageGbPerCluster, 'GB-months'),
    ];
    if (storage === 'aurora') {
      usages.push(
        fixed(input, 'Aurora I/O', 'aurora.io.million', assumptions.auroraIoMillionsPerCluster, 'M requests'),
      );
    }
    const primaryRegion = p.GlobalClusterIdentifier
      ? context.globalClusterRegion(p.GlobalClusterIdentifier)
      : undefined;
    if (p.GlobalClusterIdentifier) {
      usages.push(
        fixed(
          input,
          'Aurora replicated write I/O',
          'aurora.replicatedWriteIo.million',
          assumptions.auroraWriteIoMillionsPerCluster,
          'M writes',
        ),
        fixed(
          input,
          'Data transfer between regions (replication)',
          'dataTransfer.interRegionGb',
          assumptions.replicationGbPerSecondaryRegion / Math.max(1, context.count(stack.region, 'AWS::RDS::DBCluster')),
          'GB',
          { region: primaryRegion ?? stack.region },
        ),
      );
    }
    return usages;
  },

  'AWS::RDS::DBInstance': (input) => {
    const p = props(input);
    const { stack } = input;
    const clusterId = refOf(p.DBClusterIdentifier);
    const cluster = clusterId ? stack.resources[clusterId]?.Properties : undefined;
    const monitoring = enhancedMonitoring(input, Number(p.MonitoringInterval ?? 0));
    if (cluster) return [...monitoring, ...auroraInstances(input, p.DBInstanceClass, cluster, 1, 1)];
    if (!cluster) {
      return [
        fixed(input, `RDS ${p.DBInstanceClass} instances`, `rds.instance.${p.DBInstanceClass}.hour`, 1, 'instances', {
          hours: true,
          what: p.DBInstanceClass,
        }),
      ];
    }
    return monitoring;
  },

  // Aurora is not fully managed by AWS Backup: its recovery points are Aurora snapshots, billed as
  // Aurora backup storage. The continuous rule keeps the point-in-time window Aurora keeps anyway
  // (free up to the cluster's size). Daily snapshots are incremental in their region; copies to
  // another region are full copies, each sent and stored whole (decision 14).
  'AWS::Backup::BackupPlan': (input) => {
    const { stack, logicalId, context } = input;
    const clusters = Object.values(stack.resources)
      .filter((r) => r.Type === 'AWS::Backup::BackupSelection' && refersTo(r.Properties?.BackupPlanId, logicalId))
      .reduce((n, r) => n + ((r.Properties?.BackupSelection?.Resources ?? []) as unknown[]).length, 0);
    const gb = clusters * context.assumptions.auroraStorageGbPerCluster;
    const usages = [fixed(input, 'Aurora snapshots (AWS Backup)', 'aurora.backupStorage.gbMonth', gb, 'GB-months')];
    for (const rule of (props(input).BackupPlan?.BackupPlanRule ?? []) as any[]) {
      for (const copy of (rule.CopyActions ?? []) as any[]) {
        const region = JSON.stringify(copy.DestinationBackupVaultArn).match(/:backup:([a-z0-9-]+):/)?.[1];
        const copies = Number(copy.Lifecycle?.DeleteAfterDays ?? rule.Lifecycle?.DeleteAfterDays ?? 1);
        if (!region) continue;
        usages.push(
          fixed(
            input,
            'Aurora snapshot copies in another region',
            'aurora.backupStorage.gbMonth',
            gb * copies,
            'GB-months',
            { region },
          ),
          fixed(input, 'Data transfer between regions (snapshot copies)', 'dataTransfer.interRegionGb', gb * 30, 'GB'),
        );
      }
    }
    return usages;
  },

  'AWS::ApplicationAutoScaling::ScalableTarget': (input) => {
    const p = props(input);
    if (p.ScalableDimension !== 'rds:cluster:ReadReplicaCount') return [];
    const { stack } = input;
    const clusterId = Object.keys(stack.resources).find(
      (id) => stack.resources[id].Type === 'AWS::RDS::DBCluster' && refersTo(p.ResourceId, id),
    );
    if (!clusterId) return [];
    const instances = Object.values(stack.resources).filter(
      (r) => r.Type === 'AWS::RDS::DBInstance' && refOf(r.Properties?.DBClusterIdentifier) === clusterId,
    );
    const readers = Math.max(0, instances.length - 1);
    const extraFloor = Math.max(0, Number(p.MinCapacity ?? 0) - readers);
    const extraCeiling = Math.max(0, Number(p.MaxCapacity ?? 0) - readers);
    const instanceClass = instances[0]?.Properties?.DBInstanceClass ?? 'db.serverless';
    return auroraInstances(input, instanceClass, stack.resources[clusterId].Properties ?? {}, extraFloor, extraCeiling);
  },

  'AWS::ElastiCache::ReplicationGroup': (input) => {
    const p = props(input);
    const groups: any[] = p.NodeGroupConfiguration ?? [];
    const nodes = groups.length
      ? groups.reduce((n, g) => n + Number(g.ReplicaCount ?? p.ReplicasPerNodeGroup ?? 0) + 1, 0)
      : p.NumNodeGroups !== undefined
        ? Number(p.NumNodeGroups) * (Number(p.ReplicasPerNodeGroup ?? 0) + 1)
        : Number(p.NumCacheClusters ?? 1);
    return cacheNodes(input, p.CacheNodeType, p.Engine, nodes);
  },

  'AWS::ElastiCache::CacheCluster': (input) => {
    const p = props(input);
    return cacheNodes(input, p.CacheNodeType, p.Engine, Number(p.NumCacheNodes ?? 1));
  },

  'AWS::KMS::Key': kmsKey,

  'AWS::KMS::ReplicaKey': kmsKey,

  'AWS::SecretsManager::Secret': (input) => {
    const replicas: any[] = props(input).ReplicaRegions ?? [];
    return [input.stack.region, ...replicas.map((replica) => String(replica.Region))].map((region) =>
      fixed(input, 'Secrets Manager secrets (incl. replicas)', 'secretsManager.secretMonth', 1, 'secrets', { region }),
    );
  },

  'AWS::SQS::Queue': (input) => [
    perRegionUsage(input, 'SQS requests', 'sqs.requests.million', 'sqsRequestsMillionsPerRegion', 'M requests'),
  ],

  'AWS::SNS::Topic': (input) => [
    perRegionUsage(input, 'SNS publishes', 'sns.publishes.million', 'snsPublishesMillionsPerRegion', 'M publishes'),
  ],

  'AWS::S3::Bucket': (input) => [
    fixed(input, 'S3 storage', 's3.storageGbMonth', input.context.assumptions.s3GbPerBucket, 'GB-months'),
  ],
};

/** Enhanced Monitoring of one instance: its samples ingested into CloudWatch Logs (RDSOSMetrics). */
function enhancedMonitoring(input: MeterInput, intervalSeconds: number): Usage[] {
  if (!(intervalSeconds > 0)) return [];
  const samples = (730 * 3600) / intervalSeconds;
  const gb = (samples * input.context.assumptions.enhancedMonitoringKbPerSample) / 1024 / 1024;
  return [fixed(input, 'CloudWatch Logs ingestion (Enhanced Monitoring)', 'logs.ingestGb', gb, 'GB')];
}

/** Aurora instances of `instanceClass` in `cluster`: ACU floor/ceiling for serverless, else hours. */
function auroraInstances(
  input: MeterInput,
  instanceClass: string,
  cluster: Record<string, any>,
  floorCount: number,
  ceilingCount: number,
): Usage[] {
  if (floorCount === 0 && ceilingCount === 0) return [];
  if (instanceClass === 'db.serverless') {
    const scaling = cluster.ServerlessV2ScalingConfiguration ?? {};
    const min = Number(scaling.MinCapacity ?? 0.5);
    const max = Number(scaling.MaxCapacity ?? min);
    return [
      scaled(
        input,
        'Aurora Serverless v2 capacity',
        'aurora.serverlessV2.acuHour',
        floorCount * min,
        ceilingCount * max,
        'ACU',
      ),
    ];
  }
  return [
    scaled(
      input,
      `Aurora ${instanceClass} instances`,
      `aurora.instance.${instanceClass}.hour`,
      floorCount,
      ceilingCount,
      'instances',
      instanceClass,
    ),
  ];
}

/** `nodes` cache nodes of `nodeType`; Valkey nodes cost the Redis OSS price less the Valkey discount. */
function cacheNodes(input: MeterInput, nodeType: string, engine: string | undefined, nodes: number): Usage[] {
  const engineName = ENGINE_NAMES[engine ?? 'redis'] ?? engine;
  const usage = fixed(
    input,
    `ElastiCache ${engineName} ${nodeType} nodes`,
    `elasticache.node.${nodeType}.hour`,
    nodes,
    'nodes',
    {
      hours: true,
      what: nodeType,
    },
  );
  return [engine === 'valkey' ? { ...usage, discountKey: 'elasticache.valkeyDiscount' } : usage];
}

/** A KMS key, primary or replica: the key-month and its share of the region's requests. */
function kmsKey(input: MeterInput): Usage[] {
  return [fixed(input, 'KMS keys', 'kms.keyMonth', 1, 'keys'), ...kmsRequests(input)];
}

function kmsRequests(input: MeterInput): Usage[] {
  const { region } = input.stack;
  const keys = input.context.count(region, 'AWS::KMS::Key') + input.context.count(region, 'AWS::KMS::ReplicaKey');
  return [
    fixed(
      input,
      'KMS requests',
      'kms.requests.10k',
      share(input.context.assumptions.kmsRequestsMillionsPerRegion * 100, keys),
      '10k requests',
    ),
  ];
}
