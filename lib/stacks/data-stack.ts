import { ArnFormat, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { RegionalCache } from '../constructs/cache';
import { SecretReplicas } from '../constructs/secret-replicas';
import { SharedSecrets } from '../constructs/shared-secrets';
import { StaticReplica } from '../constructs/static-replica';
import { EDGE_REGION } from '../config';
import { DataKey } from '../constructs/data-key';
import { tagCacheForDrills } from '../constructs/chaos';
import { ProtectedVault, ShardBackup } from '../constructs/backup';
import { AuroraShard } from '../constructs/database';
import { GlobalWriterEndpoint } from '../constructs/global-writer-endpoint';
import { InvalidationMesh } from '../constructs/invalidation-mesh';
import { Network } from '../constructs/network';
import { WorkQueue } from '../constructs/work-queue';
import {
  backupCopyRegion,
  backupVaultName,
  cacheAuthSecretName,
  cacheReplicationGroupId,
  dataKeyAlias,
  replicaKeyAlias,
  shardClusterIdentifier,
  shardSecretName,
  sharedSecretNames,
  staticReplicaBucketName,
  staticReplicaRegion,
  workQueueName,
} from './names';
import { DataOutputs, RegionalStack, RegionalStackProps, removalPolicyFor } from './regional-stack';

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
    // Outside the primary, the secrets the primary replicates here, found by complete ARN.
    const replicas = regional.isPrimary
      ? undefined
      : new SecretReplicas(this, 'SecretReplicas', {
          secretNames: [
            sharedNames.session,
            ...Array.from({ length: config.database.shards }, (_, i) => shardSecretName(config.appName, i)),
            ...(joinsGlobalDatastore ? [cacheAuthSecretName(config.appName)] : []),
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
          globalClusterIdentifier: shardClusterIdentifier(config.appName, shardIndex),
          secretName: shardSecretName(config.appName, shardIndex),
          role: regional.isPrimary ? 'primary' : 'secondary',
          vpc: network.vpc,
          key: dataKey.key,
          clientSecurityGroup: dataClients,
          replicaRegions: regional.isPrimary ? otherRegions : undefined,
          replicaKeyAlias: replicaKeyAlias(config.appName),
          replicaSecret: replicas?.secret(shardSecretName(config.appName, shardIndex)),
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
      replicationGroupId: cacheReplicationGroupId(config.appName),
      authSecretName: cacheAuthSecretName(config.appName),
      ...cacheSizes,
      // A global datastore's secondaries inherit engine and node type from its primary.
      ...(joinsGlobalDatastore
        ? {
            global: {
              role: 'secondary' as const,
              globalReplicationGroupId: globalDatastoreId,
              authSecret: replicas?.secret(cacheAuthSecretName(config.appName)),
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
      queueName: workQueueName(config.appName),
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
          names: sharedNames,
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
        bucketName: staticReplicaBucketName(config.appName, this.account, regional.region),
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
          globalClusterIdentifier: shardClusterIdentifier(config.appName, index),
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
