import { RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CacheMetrics, memberClusterIds } from './cache/metrics';
import { RegionalCacheProps } from './cache/props';
import {
  AUTH_TOKEN_EXCLUDED_CHARACTERS,
  AUTH_TOKEN_LENGTH,
  DEFAULT_ENGINE_VERSION,
  INHERITED_BY_SECONDARY,
  checkGlobalNodeType,
  checkGlobalReplicationGroupId,
  checkMaintenanceWindow,
  checkNodeType,
  checkReplicationGroupId,
  checkSnapshotWindow,
  parameterGroupFamily,
} from './cache/settings';
import { SubnetGroup } from './network';
import { companionRemovalPolicy } from './removal';
import { CACHE_MAX_NODES } from './choices';
import { checkInteger, PropError } from './validation';

const OUT_OF_RANGE = 'is out of range';

export type { CacheEngine } from './cache/settings';
export type { CacheGlobalDatastore, RegionalCacheProps } from './cache/props';

/** Keys evicted least-recently-used first once memory is full: the right policy for a pure cache. */
const DEFAULT_PARAMETERS = { 'maxmemory-policy': 'allkeys-lru' };

/**
 * A Valkey (or Redis OSS) replication group in the isolated data subnets: Multi-AZ with
 * automatic failover (given replicas; without, a single node per shard), TLS required,
 * encrypted at rest with the region's key, AUTH token from Secrets Manager, reachable only from
 * the client security group, with daily snapshots.
 * Optionally the primary or a secondary of a global datastore.
 *
 * L1 only: ElastiCache has no L2 construct yet (aws-cdk#6908).
 */
export class RegionalCache extends Construct implements ec2.IConnectable {
  public readonly replicationGroup: elasticache.CfnReplicationGroup;
  public readonly replicationGroupId: string;
  public readonly subnetGroup: elasticache.CfnSubnetGroup;
  /** The engine parameters; undefined on a secondary, which uses the primary's. */
  public readonly parameterGroup?: elasticache.CfnParameterGroup;
  /** The global datastore, on its primary only. */
  public readonly globalReplicationGroup?: elasticache.CfnGlobalReplicationGroup;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly connections: ec2.Connections;
  /** The AUTH token (a plain string secret): inject it as the client's password, e.g. `REDIS_AUTH_TOKEN`. */
  public readonly authSecret: secretsmanager.ISecret;
  /** Endpoint host: the primary endpoint, or the configuration endpoint in cluster mode. Read-only on a global datastore secondary. */
  public readonly host: string;
  public readonly port: number;
  /** Connections must use TLS; `redisUrl` uses the `rediss://` scheme for it. */
  public readonly tls = true;
  /** `rediss://<host>:<port>` without credentials, e.g. for `REDIS_URL`. */
  public readonly redisUrl: string;
  public readonly clusterMode: boolean;
  /** Replicas per shard; 0 is a single node per shard, without failover or a replication-lag metric. */
  public readonly replicas: number;
  /** Multi-AZ, with a replica to promote in another AZ when a primary fails: false without replicas. */
  public readonly multiAz: boolean;
  /** Ids of the nodes (`CacheClusterId` in CloudWatch), stable across failovers. */
  public readonly memberClusterIds: readonly string[];
  private readonly metrics: CacheMetrics;

  constructor(scope: Construct, id: string, props: RegionalCacheProps) {
    super(scope, id);
    const { global, replicationGroupId } = props;
    checkReplicationGroupId(this, replicationGroupId);
    if (global?.role === 'secondary') {
      checkGlobalReplicationGroupId(this, global.globalReplicationGroupId);
      for (const name of INHERITED_BY_SECONDARY) {
        if (props[name] !== undefined) {
          throw new PropError(
            this,
            name,
            props[name],
            'unset: a secondary inherits it from the global datastore primary',
            'cannot be set on a global datastore secondary',
          );
        }
      }
    }
    const engine = props.engine ?? 'valkey';
    const engineVersion = props.engineVersion ?? DEFAULT_ENGINE_VERSION[engine];
    const family = parameterGroupFamily(this, engine, engineVersion);
    const nodeType = props.nodeType ?? 'cache.r7g.large';
    checkNodeType(this, nodeType);
    if (global?.role === 'primary') checkGlobalNodeType(this, nodeType);
    const replicas = props.replicas ?? 1;
    checkInteger(
      this,
      'replicas',
      replicas,
      0,
      5,
      'an integer from 0 to 5 (one or more for automatic failover)',
      OUT_OF_RANGE,
    );
    if (global && !Token.isUnresolved(replicas) && replicas === 0) {
      throw new PropError(
        this,
        'replicas',
        replicas,
        'at least 1 with global (a global datastore fails over automatically, which needs a replica in every member)',
        'is too few for a global datastore',
      );
    }
    const clusterMode = props.clusterMode ?? false;
    const shards = props.shards ?? 1;
    const countsKnown = !Token.isUnresolved(shards) && !Token.isUnresolved(replicas);
    if (countsKnown && !clusterMode && shards !== 1) {
      throw new PropError(this, 'shards', shards, '1 unless clusterMode is true', 'needs cluster mode');
    }
    checkInteger(this, 'shards', shards, 1, 500, undefined, OUT_OF_RANGE);
    if (countsKnown && shards * (replicas + 1) > CACHE_MAX_NODES) {
      const most = Math.floor(CACHE_MAX_NODES / (replicas + 1));
      throw new PropError(
        this,
        'shards',
        shards,
        `at most ${most} with ${replicas} replicas (${CACHE_MAX_NODES} nodes per cluster)`,
        'is too many nodes',
      );
    }
    const port = props.port ?? 6380;
    checkInteger(this, 'port', port, 1024, 65535, undefined, OUT_OF_RANGE);
    const snapshotRetentionDays = props.snapshotRetentionDays ?? 7;
    checkInteger(this, 'snapshotRetentionDays', snapshotRetentionDays, 0, 35, undefined, OUT_OF_RANGE);
    const snapshotWindow = props.snapshotWindow ?? '03:00-04:00';
    checkSnapshotWindow(this, snapshotWindow);
    const maintenanceWindow = props.maintenanceWindow ?? 'sun:04:30-sun:05:30';
    checkMaintenanceWindow(this, maintenanceWindow);
    const clusterEnabled = clusterMode ? 'yes' : 'no';
    const given = props.parameters ?? {};
    if (given['cluster-enabled'] !== undefined && given['cluster-enabled'] !== clusterEnabled) {
      throw new PropError(
        this,
        'parameters.cluster-enabled',
        given['cluster-enabled'],
        `"${clusterEnabled}" (it follows clusterMode = ${clusterMode})`,
        'contradicts cluster mode',
      );
    }
    const secondaryRegions = global?.role === 'primary' ? (global.secondaryRegions ?? []) : [];
    if (global?.role === 'primary' && secondaryRegions.length > 0 && !global.keyAlias) {
      throw new PropError(
        this,
        'global.keyAlias',
        global.keyAlias,
        'the alias of the key that encrypts the replicas in every secondary region, e.g. alias/blueprint/secrets',
        'is required with secondaryRegions',
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    // The group's subnet group, parameter group and security group must outlive it when it is kept running.
    const keptRunning = removalPolicy !== RemovalPolicy.DESTROY && removalPolicy !== RemovalPolicy.SNAPSHOT;
    const supportPolicy = keptRunning ? companionRemovalPolicy(removalPolicy) : RemovalPolicy.DESTROY;
    const secretPolicy = companionRemovalPolicy(removalPolicy);

    // A token count is taken to have replicas: the safe settings for a production cache.
    const hasReplicas = Token.isUnresolved(replicas) || replicas > 0;

    this.replicationGroupId = replicationGroupId;
    this.port = port;
    this.clusterMode = clusterMode;
    this.replicas = replicas;
    this.multiAz = hasReplicas;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Cache ${replicationGroupId}: TLS on its port from its clients only`,
      allowAllOutbound: false,
    });
    this.securityGroup.applyRemovalPolicy(supportPolicy);
    this.connections = new ec2.Connections({
      securityGroups: [this.securityGroup],
      defaultPort: ec2.Port.tcp(port),
    });
    this.connections.allowDefaultPortFrom(props.clientSecurityGroup, 'Cache clients');

    this.subnetGroup = new elasticache.CfnSubnetGroup(this, 'SubnetGroup', {
      description: `Isolated data subnets of cache ${replicationGroupId}`,
      subnetIds: props.vpc.selectSubnets({ subnetGroupName: SubnetGroup.DATA }).subnetIds,
    });
    this.subnetGroup.applyRemovalPolicy(supportPolicy);

    const authSecretName = props.authSecretName ?? `${replicationGroupId}/auth-token`;
    let regionalSettings: Partial<elasticache.CfnReplicationGroupProps>;
    if (global?.role === 'secondary') {
      // Replicated here by the primary's stack, which deploys first; the name is derived, never referenced.
      this.authSecret = global.authSecret ?? secretsmanager.Secret.fromSecretNameV2(this, 'AuthToken', authSecretName);
      regionalSettings = { globalReplicationGroupId: global.globalReplicationGroupId };
    } else {
      const secret = new secretsmanager.Secret(this, 'AuthToken', {
        description: `AUTH token of cache ${replicationGroupId}`,
        encryptionKey: props.key,
        // Named only when replicated, so that a retained secret never blocks redeploying a regional cache.
        secretName: global ? authSecretName : undefined,
        generateSecretString: {
          passwordLength: AUTH_TOKEN_LENGTH,
          excludeCharacters: AUTH_TOKEN_EXCLUDED_CHARACTERS,
          includeSpace: false,
        },
        removalPolicy: secretPolicy,
      });
      if (secondaryRegions.length > 0) {
        // The L2 ReplicaRegion takes an IKey, whose ARN would name this region; the replica's key is
        // found by the alias it has in the replica's region.
        (secret.node.defaultChild as secretsmanager.CfnSecret).replicaRegions = secondaryRegions.map((region) => ({
          region,
          kmsKeyId: global?.role === 'primary' ? global.keyAlias : undefined,
        }));
      }
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'An ElastiCache AUTH token rotates in two steps on the replication group (ModifyReplicationGroup ROTATE, then SET once clients use the new token), which no Secrets Manager rotation function performs; it is rotated by docs/runbooks/secret-rotation.md (decision 15).',
      });
      this.authSecret = secret;

      this.parameterGroup = new elasticache.CfnParameterGroup(this, 'Parameters', {
        cacheParameterGroupFamily: family,
        description: `Parameters of cache ${replicationGroupId}`,
        properties: { ...DEFAULT_PARAMETERS, ...given, 'cluster-enabled': clusterEnabled },
      });
      this.parameterGroup.applyRemovalPolicy(supportPolicy);
      regionalSettings = {
        engine,
        engineVersion,
        cacheNodeType: nodeType,
        cacheParameterGroupName: this.parameterGroup.ref,
        clusterMode: clusterMode ? 'enabled' : 'disabled',
        numNodeGroups: clusterMode ? shards : undefined,
        atRestEncryptionEnabled: true,
        transitEncryptionEnabled: true,
        transitEncryptionMode: 'required',
        authToken: secret.secretValue.unsafeUnwrap(),
      };
    }

    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupId,
      replicationGroupDescription: `Cache ${replicationGroupId}`,
      cacheSubnetGroupName: this.subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      port,
      // Multi-AZ needs a replica to promote; without one a failed node is replaced in place.
      // Cluster mode requires automatic failover on (CreateReplicationGroup), replicas or not.
      multiAzEnabled: hasReplicas,
      automaticFailoverEnabled: hasReplicas || clusterMode,
      ...(clusterMode ? { replicasPerNodeGroup: replicas } : { numCacheClusters: replicas + 1 }),
      kmsKeyId: props.key.keyArn,
      snapshotRetentionLimit: snapshotRetentionDays,
      snapshotWindow,
      preferredMaintenanceWindow: maintenanceWindow,
      autoMinorVersionUpgrade: true,
      ...regionalSettings,
    });
    this.replicationGroup.applyRemovalPolicy(removalPolicy);
    if (!hasReplicas) {
      Validations.of(this.replicationGroup).acknowledge({
        id: 'AwsSolutions-AEC4',
        reason:
          'Configured without replicas (cache.replicas = 0, the dev preset): Multi-AZ needs a replica to promote. The cache is not a system of record: while ElastiCache replaces a failed node, the service reads from the database.',
      });
    }
    if (global?.role === 'secondary') {
      for (const [rule, what] of [
        ['AwsSolutions-AEC3', 'at-rest and in-transit encryption'],
        ['AwsSolutions-AEC6', 'the AUTH token'],
      ]) {
        Validations.of(this.replicationGroup).acknowledge({
          id: rule,
          reason: `A global datastore secondary inherits ${what} from the primary, which sets it; ElastiCache rejects it on a secondary.`,
        });
      }
    }

    if (global?.role === 'primary') {
      this.globalReplicationGroup = new elasticache.CfnGlobalReplicationGroup(this, 'GlobalDatastore', {
        globalReplicationGroupIdSuffix: replicationGroupId,
        globalReplicationGroupDescription: `Cache ${replicationGroupId} across regions`,
        automaticFailoverEnabled: true,
        members: [
          {
            replicationGroupId: this.replicationGroup.ref,
            replicationGroupRegion: Stack.of(this).region,
            role: 'PRIMARY',
          },
        ],
      });
      this.globalReplicationGroup.applyRemovalPolicy(secretPolicy);
    }

    this.host = clusterMode
      ? this.replicationGroup.attrConfigurationEndPointAddress
      : this.replicationGroup.attrPrimaryEndPointAddress;
    this.redisUrl = `rediss://${this.host}:${port}`;
    this.memberClusterIds = memberClusterIds(replicationGroupId, clusterMode, shards, replicas + 1);
    this.metrics = new CacheMetrics(this.memberClusterIds);
  }

  /** Engine (main thread) CPU percent; the engine is single-threaded, so alarm on this, not host CPU. Max over nodes. */
  public metricEngineCpuUtilization(node?: string, options?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metrics.metric(
      { metricName: 'EngineCPUUtilization', statistic: 'Average', across: 'MAX' },
      node,
      options,
    );
  }

  /** Percent of `maxmemory` in use; near 100 means evictions. Max over nodes. */
  public metricMemoryUsagePercentage(node?: string, options?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metrics.metric(
      { metricName: 'DatabaseMemoryUsagePercentage', statistic: 'Average', across: 'MAX' },
      node,
      options,
    );
  }

  /** Keys evicted for lack of memory; sustained evictions mean the node type is too small. Sum over nodes. */
  public metricEvictions(node?: string, options?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metrics.metric({ metricName: 'Evictions', statistic: 'Sum', across: 'SUM' }, node, options);
  }

  /** Percent of reads served from the cache; a drop sends load to the database. Average over nodes. */
  public metricCacheHitRate(node?: string, options?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metrics.metric({ metricName: 'CacheHitRate', statistic: 'Average', across: 'AVG' }, node, options);
  }

  /**
   * Seconds a replica trails its primary. Only replicas report it, so a cache without replicas
   * returns undefined rather than a metric that never has data. Max over nodes.
   */
  public metricReplicationLag(node?: string, options?: cloudwatch.MetricOptions): cloudwatch.IMetric | undefined {
    if (this.replicas === 0) return undefined;
    return this.metrics.metric({ metricName: 'ReplicationLag', statistic: 'Maximum', across: 'MAX' }, node, options);
  }

  /** Seconds a global datastore secondary trails the primary region. Max over nodes. */
  public metricGlobalDatastoreReplicationLag(node?: string, options?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metrics.metric(
      { metricName: 'GlobalDatastoreReplicationLag', statistic: 'Maximum', across: 'MAX' },
      node,
      options,
    );
  }

  /** Client connections open; a climb towards 65,000 per node means a client leaks connections. Sum over nodes. */
  public metricCurrentConnections(node?: string, options?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metrics.metric({ metricName: 'CurrConnections', statistic: 'Maximum', across: 'SUM' }, node, options);
  }
}
