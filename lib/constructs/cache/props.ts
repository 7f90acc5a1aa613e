import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CacheEngine } from './settings';

/** The cache's role in an ElastiCache global datastore (one writable primary region). */
export type CacheGlobalDatastore =
  | {
      readonly role: 'primary';
      /**
       * Regions whose secondaries will join. The AUTH token secret is replicated to each (same
       * name), so their services can read the token the whole datastore shares.
       * @default none
       */
      readonly secondaryRegions?: readonly string[];
      /**
       * Alias of the key that encrypts the replicated secret in every secondary region; it must
       * exist there before this stack deploys. Required with `secondaryRegions`.
       */
      readonly keyAlias?: string;
    }
  | {
      readonly role: 'secondary';
      /** The datastore id: the primary region's prefix + `-` + the primary's replication group id. */
      readonly globalReplicationGroupId: string;
      /**
       * This region's replica of the primary's AUTH token secret, by complete ARN (see
       * `SecretReplicas`).
       * @default the replica by name (a partial ARN)
       */
      readonly authSecret?: secretsmanager.ISecret;
    };

export interface RegionalCacheProps {
  /** VPC whose isolated data subnets hold the nodes. */
  readonly vpc: ec2.IVpc;
  /** The region's data key: encrypts the nodes' disks and snapshots, and the AUTH token secret. */
  readonly key: kms.IKey;
  /** The only security group admitted to the cache port (attach it to the service tasks). */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /**
   * Replication group id, from the app name (e.g. `blueprint-cache`); also names the global
   * datastore and the node ids that metrics use. Changing it replaces the cache.
   */
  readonly replicationGroupId: string;
  /**
   * Name of the AUTH token secret of a global datastore member, the same in every region: the
   * primary creates it under this name and replicates it to the secondaries' regions.
   * @default `<replicationGroupId>/auth-token`
   */
  readonly authSecretName?: string;
  /**
   * Node type; size it to the working set (memory) and request rate (vCPUs).
   * @default 'cache.r7g.large'
   */
  readonly nodeType?: string;
  /**
   * Engine. Redis OSS for clients or modules that need it; Valkey costs less.
   * @default 'valkey'
   */
  readonly engine?: CacheEngine;
  /**
   * Engine version `major.minor`; pin it to upgrade deliberately (a major change replaces the parameter group).
   * @default '8.1' for Valkey, '7.1' for Redis OSS
   */
  readonly engineVersion?: string;
  /**
   * Replicas per shard, spread over other AZs; each is a failover target and serves reads. 0 is a
   * single node per shard (dev): no Multi-AZ, no automatic failover (cluster mode keeps it on, as
   * ElastiCache requires, with nothing to promote), and a failed node is replaced empty. A global
   * datastore needs at least 1.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Cluster mode: shard the key space over `shards` primaries, for data or writes beyond one
   * node. Clients must then speak the cluster protocol.
   * @default false
   */
  readonly clusterMode?: boolean;
  /**
   * Shards (node groups) in cluster mode; must be 1 without it. A secondary inherits the
   * primary's shards; give it the same count and mode, which name its nodes for metrics.
   * @default 1
   */
  readonly shards?: number;
  /**
   * Port. Not the engine's 6379, which scanners probe first; clients read it from `port`.
   * @default 6380
   */
  readonly port?: number;
  /**
   * Days of daily snapshots kept; 0 turns them off (a cache can be rebuilt, but a warm restore
   * spares the database a cold start).
   * @default 7
   */
  readonly snapshotRetentionDays?: number;
  /**
   * Daily UTC window for snapshots; put it at the region's quietest hour.
   * @default '03:00-04:00'
   */
  readonly snapshotWindow?: string;
  /**
   * Weekly UTC maintenance window; must not overlap the snapshot window.
   * @default 'sun:04:30-sun:05:30'
   */
  readonly maintenanceWindow?: string;
  /**
   * Engine parameters, over `maxmemory-policy: allkeys-lru` (evict least recently used keys
   * when full, as a cache should). `cluster-enabled` follows `clusterMode`.
   * @default { 'maxmemory-policy': 'allkeys-lru' }
   */
  readonly parameters?: Readonly<Record<string, string>>;
  /**
   * Membership in a global datastore. A secondary inherits engine, version, node type,
   * parameters, encryption and AUTH token from the primary, so none of them may be given.
   * @default none: a regional cache, kept consistent across regions by invalidation events (decision 4)
   */
  readonly global?: CacheGlobalDatastore;
  /**
   * What happens to the cache when it leaves the stack. SNAPSHOT takes a final snapshot and
   * deletes the nodes; RETAIN keeps them running; DESTROY (dev) keeps nothing.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
}
