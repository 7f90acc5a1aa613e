import { ArnFormat, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { cacheAuthSecretName, RegionalCache } from '../constructs/cache';
import { SecretReplicas } from '../constructs/secret-replicas';
import { SharedSecrets, sharedSecretNames } from '../constructs/shared-secrets';
import { StaticReplica } from '../constructs/static-replica';
import { EDGE_REGION } from '../config';
import { DataKey } from '../constructs/data-key';
import { tagCacheForDrills } from '../constructs/chaos';
import { ProtectedVault, ShardBackup } from '../constructs/backup';
import { AuroraShard, ShardEndpoint, shardNames } from '../constructs/database';
import { GlobalWriterEndpoint } from '../constructs/global-writer-endpoint';
import { InvalidationMesh } from '../constructs/invalidation-mesh';
import { Network } from '../constructs/network';
import { WorkQueue } from '../constructs/work-queue';
import { backupCopyRegion, backupVaultName, dataKeyAlias, replicaKeyAlias, staticReplicaRegion } from './names';
import { RegionalStack, RegionalStackProps, removalPolicyFor } from './regional-stack';

/**
 * What the services need to follow a shard's writer across regions without a deploy (decision 14):
 * the global database's writer endpoint and this region's cluster endpoint.
 */
export interface WriterDiscovery {
  readonly globalWriterHost: string;
  readonly clusterHost: string;
}

/** What a region's Service stack receives from its Data stack (same region only). */
export interface DataOutputs {
  readonly vpc: ec2.IVpc;
  readonly dataKey: kms.IKey;
  /** Attach to the service tasks: the only group the database and cache admit. */
  readonly dataClientSecurityGroup: ec2.ISecurityGroup;
  /** One per shard, in shard order: the services' shard map, with where writes may move to. */
  readonly shards: readonly (ShardEndpoint & WriterDiscovery)[];
  /** The shards' clusters, for their metrics. */
  readonly databases: readonly AuroraShard[];
  readonly cache: RegionalCache;
  readonly workQueue: WorkQueue;
  readonly invalidation: InvalidationMesh;
  /** The session-signing secret in this region (the primary's, or its replica), by complete ARN. */
  readonly sessionSecret: secretsmanager.ISecret;
  /** The shards' AWS Backup plan: in the primary region with `backup.enabled`. */
  readonly backup?: ShardBackup;
}

/**
 * The stateful half of a region: network, encryption key, the database shards (primary or
 * secondary of each global cluster), the cache, the work queue and the invalidation mesh.
 * Termination protection and retention follow `retainData`.
 */
export class DataStack extends RegionalStack {
  public readonly outputs: DataOutputs;

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    super(scope, id, { ...props, terminationProtection: props.config.retainData });
    const { config, regional } = props;
    const removalPolicy = removalPolicyFor(config.retainData);
    const snapshotOrDestroy = config.retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY;

    const dataKey = new DataKey(this, 'DataKey', { alias: dataKeyAlias(config.appName), removalPolicy });
    const otherRegions = config.regions.filter((r) => r !== regional.region);
    const { globalDatastoreId, nodeType, engine, engineVersion, ...cacheSizes } = config.cache;
    const joinsGlobalDatastore = globalDatastoreId !== undefined && !regional.isPrimary;
    const sharedNames = sharedSecretNames(config.appName);
    const cacheId = `${config.appName}-cache`;
    // Outside the primary, the secrets the primary replicates here, found by complete ARN.
    const replicas = regional.isPrimary
      ? undefined
      : new SecretReplicas(this, 'SecretReplicas', {
          secretNames: [
            sharedNames.session,
            ...Array.from({ length: config.database.shards }, (_, i) => shardNames(config.appName, i).secretName),
            ...(joinsGlobalDatastore ? [cacheAuthSecretName(cacheId)] : []),
          ],
        });
    const network = new Network(this, 'Network', {
      availabilityZones: regional.availabilityZones,
      cidr: regional.vpcCidr,
      logKey: dataKey.key,
      natGateways: config.network.natGateways,
      nat: config.network.nat,
      interfaceEndpoints: config.network.interfaceEndpoints,
      flowLogRetention: config.network.flowLogRetentionDays,
      removalPolicy,
    });
    // Lives here, not in the Service stack, so data-store ingress never points at a stateless stack.
    const dataClients = new ec2.SecurityGroup(this, 'DataClients', {
      vpc: network.vpc,
      description: 'Service tasks allowed to reach the database and the cache',
      allowAllOutbound: false,
    });

    const { database } = config;
    const databases = Array.from(
      { length: database.shards },
      // The id names the shard for good: changing it would replace the database.
      (_, shardIndex) =>
        new AuroraShard(this, `Shard${shardIndex}`, {
          appName: config.appName,
          shardIndex,
          role: regional.isPrimary ? 'primary' : 'secondary',
          vpc: network.vpc,
          key: dataKey.key,
          clientSecurityGroup: dataClients,
          replicaRegions: regional.isPrimary ? otherRegions : undefined,
          replicaKeyAlias: replicaKeyAlias(config.appName),
          replicaSecret: replicas?.secret(shardNames(config.appName, shardIndex).secretName),
          instanceClass: database.instanceClass,
          readers: database.readers,
          minCapacityAcu: database.minCapacityAcu,
          maxCapacityAcu: database.maxCapacityAcu,
          readerAutoScaling: database.readerAutoScaling,
          readConsistency: database.readConsistency,
          backupRetentionDays: database.backupRetentionDays,
          monitoringInterval: database.enhancedMonitoringSeconds
            ? Duration.seconds(database.enhancedMonitoringSeconds)
            : undefined,
          logRetention: config.logRetentionDays,
          deletionProtection: config.retainData,
          removalPolicy: snapshotOrDestroy,
        }),
    );

    const backup = this.backupShards(databases, dataKey.key, removalPolicy);

    const cache = new RegionalCache(this, 'Cache', {
      vpc: network.vpc,
      key: dataKey.key,
      clientSecurityGroup: dataClients,
      replicationGroupId: cacheId,
      ...cacheSizes,
      // A global datastore's secondaries inherit engine and node type from its primary.
      ...(joinsGlobalDatastore
        ? {
            global: {
              role: 'secondary' as const,
              globalReplicationGroupId: globalDatastoreId,
              authSecret: replicas?.secret(cacheAuthSecretName(cacheId)),
            },
          }
        : {
            nodeType,
            engine,
            engineVersion,
            ...(globalDatastoreId && {
              global: {
                role: 'primary' as const,
                secondaryRegions: otherRegions,
                keyAlias: replicaKeyAlias(config.appName),
              },
            }),
          }),
      removalPolicy: snapshotOrDestroy,
    });
    // The cache-failover drill (Service stack) finds the replication group by this tag.
    if (config.resilience.drills) tagCacheForDrills(cache);

    const workQueue = new WorkQueue(this, 'WorkQueue', {
      key: dataKey.key,
      queueName: `${config.appName}-work`,
      maxReceiveCount: config.queue.maxReceiveCount,
      visibilityTimeout: Duration.seconds(config.queue.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(config.queue.retentionDays),
      deadLetterRetentionPeriod: Duration.days(config.queue.deadLetterRetentionDays),
      removalPolicy,
    });
    const invalidation = new InvalidationMesh(this, 'Invalidation', {
      appName: config.appName,
      regions: config.dataDeployOrder,
      region: regional.region,
      key: dataKey.key,
      retentionPeriod: Duration.seconds(config.invalidation.retentionSeconds),
      maxReceiveCount: config.invalidation.maxReceiveCount,
      removalPolicy,
    });

    // The primary creates the app-wide secrets and replicates them into every other region's
    // Keys stack key, which deploys before this stack (decision 11).
    const sharedSecrets = regional.isPrimary
      ? new SharedSecrets(this, 'SharedSecrets', {
          appName: config.appName,
          key: dataKey.key,
          replicaKeyAlias: replicaKeyAlias(config.appName),
          replicaRegions: otherRegions,
          awsManagedKeyRegions: config.regions.includes(EDGE_REGION) ? [] : [EDGE_REGION],
          removalPolicy,
        })
      : undefined;

    if (regional.region === staticReplicaRegion(config)) {
      // CloudFront's failover copy of the static site; it must exist before the Edge stack replicates to it.
      new StaticReplica(this, 'StaticReplica', {
        appName: config.appName,
        logExpiration: Duration.days(config.logRetentionDays),
        removalPolicy,
      });
    }

    this.outputs = {
      vpc: network.vpc,
      dataKey: dataKey.key,
      dataClientSecurityGroup: dataClients,
      shards: databases.map((shard, index) => ({
        ...shard.endpoint,
        globalWriterHost: new GlobalWriterEndpoint(this, `Shard${index}GlobalWriter`, {
          globalClusterIdentifier: shardNames(config.appName, index).globalClusterIdentifier,
          after: shard.globalCluster ?? shard.cluster,
        }).hostname,
        clusterHost: shard.cluster.clusterEndpoint.hostname,
      })),
      databases,
      cache,
      workQueue,
      invalidation,
      sessionSecret: sharedSecrets?.session ?? replicas!.secret(sharedNames.session),
      backup,
    };
  }

  /** The primary backs up the shards; the copy region's Keys stack made the copy vault (decision 14). */
  private backupShards(databases: AuroraShard[], key: kms.IKey, removalPolicy: RemovalPolicy): ShardBackup | undefined {
    const { config, regional } = this;
    if (!config.backup.enabled || !regional.isPrimary) return undefined;
    const vaultName = backupVaultName(config.appName);
    const lock = {
      lockMode: config.backup.vaultLock,
      lockMinRetention: Duration.days(config.backup.vaultLockMinRetentionDays),
    };
    const { vault } = new ProtectedVault(this, 'BackupVault', { vaultName, key, removalPolicy, ...lock });
    const copyRegion = backupCopyRegion(config);
    return new ShardBackup(this, 'Backup', {
      clusters: databases.map((shard) => shard.cluster),
      vault,
      copyVaultArn: copyRegion
        ? this.formatArn({
            service: 'backup',
            region: copyRegion,
            resource: 'backup-vault',
            resourceName: vaultName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          })
        : undefined,
      continuousRetention: Duration.days(config.backup.continuousRetentionDays),
      dailyRetention: Duration.days(config.backup.dailyRetentionDays),
    });
  }
}
