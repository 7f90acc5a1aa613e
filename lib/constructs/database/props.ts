import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { checkInteger, PropError } from '../validation';
import { SubnetGroup } from '../network';

/** The primary region's cluster takes writes; secondaries replicate it and forward writes to it. */
export type ShardRole = 'primary' | 'secondary';

/**
 * What a session on a secondary sees after a forwarded write (`apg_write_forward.consistency_mode`):
 * `session` its own writes, `global` every write committed before the query, `eventual` no wait.
 */
export type ReadConsistency = 'session' | 'eventual' | 'global';

export const SHARD_ROLES: readonly ShardRole[] = ['primary', 'secondary'];
export const READ_CONSISTENCIES: readonly ReadConsistency[] = ['session', 'eventual', 'global'];

/** Aurora's limit on reader instances per cluster. */
export const MAX_READERS = 15;

/** Target tracking of the primary's reader count on average reader CPU. */
export interface ReaderAutoScalingProps {
  /** Fewest readers Aurora Auto Scaling keeps. */
  readonly minReaders: number;
  /** Most readers Aurora Auto Scaling adds; at most 15 per cluster. */
  readonly maxReaders: number;
  /**
   * Average reader CPU to hold; lower buys headroom for spikes at the cost of more readers.
   * @default 70
   */
  readonly targetCpuPercent?: number;
}

export interface AuroraShardProps {
  /** Prefix of the derived names shared by every region (`<appName>-shard-<index>`). */
  readonly appName: string;
  /** Position of this shard in the stable hash ring, from 0. Changing it moves the shard's names. */
  readonly shardIndex: number;
  /** `primary` in the primary region (creates the global cluster), `secondary` everywhere else. */
  readonly role: ShardRole;
  /** VPC with the isolated `data` subnet group (see `Network`). */
  readonly vpc: ec2.IVpc;
  /** This region's data key: storage, secret, Performance Insights and log group encryption. */
  readonly key: kms.IKey;
  /**
   * The only group admitted on the PostgreSQL port: the service tasks'. Create it in the Data
   * stack and attach it to tasks, so the database never references the Service stack.
   */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /**
   * Identifier of the global cluster this shard belongs to, also each region's cluster
   * identifier: the same in every region, so that each region's stack derives it. Changing it
   * replaces the shard's clusters.
   * @default `<appName>-shard-<shardIndex>`
   */
  readonly globalClusterIdentifier?: string;
  /**
   * Name of the master credentials secret, the same in every region: the primary creates it and
   * replicates it to `replicaRegions`; a secondary finds its replica by this name.
   * @default `<appName>/shard-<shardIndex>/master`
   */
  readonly secretName?: string;
  /**
   * Regions the primary replicates the credentials secret to (the secondary regions), each
   * encrypted there with the key `replicaKeyAlias` names. Primary only.
   * @default none
   */
  readonly replicaRegions?: readonly string[];
  /**
   * Alias of the KMS key that encrypts the secret's replica in each of `replicaRegions`. It must
   * exist there before this stack deploys: Secrets Manager drops a replica whose key is missing.
   * @default the AWS-managed key `aws/secretsmanager`
   */
  readonly replicaKeyAlias?: string;
  /**
   * On a secondary, this region's replica of the primary's master secret, by complete ARN (see
   * `SecretReplicas`); the primary creates the secret itself.
   * @default the replica by name (a partial ARN)
   */
  readonly replicaSecret?: secretsmanager.ISecret;
  /**
   * `serverless` for Aurora Serverless v2, or a provisioned class such as `db.r7g.large`.
   * Serverless suits spiky or small loads; provisioned is cheaper at steady high load.
   * @default 'db.r7g.large'
   */
  readonly instanceClass?: string;
  /**
   * Reader instances in this region besides the writer. One gives a failover target in another AZ.
   * @default 1
   */
  readonly readers?: number;
  /**
   * Serverless v2 floor per instance in ACUs (0 to 256, steps of 0.5). Raise it to keep buffers warm.
   * @default 0.5
   */
  readonly minCapacityAcu?: number;
  /**
   * Serverless v2 ceiling per instance in ACUs (1 to 256, steps of 0.5); caps cost and connections.
   * @default 16
   */
  readonly maxCapacityAcu?: number;
  /**
   * Reader autoscaling of the primary cluster (Application Auto Scaling on ReadReplicaCount);
   * ignored on secondaries. Readers it adds are not in the template.
   * @default no autoscaling: the primary keeps `readers` readers
   */
  readonly readerAutoScaling?: ReaderAutoScalingProps;
  /**
   * Read consistency of forwarded writes on secondaries; stronger modes wait for replication.
   * @default 'session' (read-your-writes within a connection)
   */
  readonly readConsistency?: ReadConsistency;
  /**
   * Days of automated backups: the point-in-time recovery window.
   * @default 14
   */
  readonly backupRetentionDays?: number;
  /**
   * Interval of Enhanced Monitoring (OS metrics per instance, billed as CloudWatch Logs
   * ingestion); 1, 5, 10, 15, 30 or 60 seconds.
   * @default no Enhanced Monitoring
   */
  readonly monitoringInterval?: Duration;
  /**
   * How long exported `postgresql` logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Refuse API deletion of the clusters and the global cluster. Off only for throwaway (dev) stacks.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the cluster when it leaves the stack: SNAPSHOT keeps a final snapshot; the
   * secret and log group are retained unless DESTROY (dev).
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Database created in the primary (secondaries replicate it).
   * @default 'app'
   */
  readonly databaseName?: string;
  /**
   * Engine version; every region must run the same. Upgrade through a global-database major upgrade.
   * @default rds.AuroraPostgresEngineVersion.VER_16_9
   */
  readonly engineVersion?: rds.AuroraPostgresEngineVersion;
  /**
   * How often the master password rotates (primary; replicas follow).
   * @default Duration.days(30)
   */
  readonly rotationInterval?: Duration;
  /**
   * Subnets of the rotation function; it needs the Secrets Manager API (NAT or an interface endpoint).
   * @default the `app` subnet group
   */
  readonly rotationSubnets?: ec2.SubnetSelection;
}

/** Names every region derives from the app name alone, so no stack references another region. */
export interface ShardNames {
  /** `shard-<index>`: the key of the services' shard map. */
  readonly name: string;
  /** Global cluster identifier, also each region's cluster identifier. */
  readonly globalClusterIdentifier: string;
  /** Name of the master secret in the primary and of its replica in every other region. */
  readonly secretName: string;
}

export function shardNames(appName: string, shardIndex: number): ShardNames {
  return {
    name: `shard-${shardIndex}`,
    globalClusterIdentifier: `${appName}-shard-${shardIndex}`,
    secretName: `${appName}/shard-${shardIndex}/master`,
  };
}

const SERVERLESS = 'serverless';
const INSTANCE_CLASS = /^db\.[a-z0-9-]+\.[a-z0-9]+$/;
const CLUSTER_IDENTIFIER = /^[a-z](?!.*--)[a-z0-9-]{0,61}[a-z0-9]$/;
const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Props with defaults resolved, after validation. */
export type ResolvedShardProps = Required<
  Omit<
    AuroraShardProps,
    | 'readerAutoScaling'
    | 'rotationSubnets'
    | 'replicaRegions'
    | 'replicaKeyAlias'
    | 'replicaSecret'
    | 'monitoringInterval'
    | 'secretName'
  >
> &
  Pick<AuroraShardProps, 'readerAutoScaling' | 'replicaKeyAlias' | 'replicaSecret' | 'monitoringInterval'> & {
    readonly replicaRegions: readonly string[];
    readonly rotationSubnets: ec2.SubnetSelection;
    readonly serverless: boolean;
    readonly names: ShardNames;
  };

/** Validates, then fills in defaults. Throws `PropError` naming the prop at fault. */
export function resolveShardProps(scope: IConstruct, props: AuroraShardProps, region: string): ResolvedShardProps {
  if (!SHARD_ROLES.includes(props.role)) {
    throw new PropError(scope, 'role', props.role, SHARD_ROLES.join(', '));
  }
  checkInteger(scope, 'shardIndex', props.shardIndex, 0, 15);
  const names = shardNames(props.appName, props.shardIndex);
  const globalClusterIdentifier = props.globalClusterIdentifier ?? names.globalClusterIdentifier;
  if (!Token.isUnresolved(globalClusterIdentifier) && !CLUSTER_IDENTIFIER.test(globalClusterIdentifier)) {
    throw new PropError(
      scope,
      'globalClusterIdentifier',
      globalClusterIdentifier,
      '1-63 lower-case letters, digits or single hyphens, starting with a letter',
      props.role === 'secondary' ? 'cannot identify the global cluster to join' : 'is not an identifier',
    );
  }
  const replicaRegions = props.replicaRegions ?? [];
  if (props.role === 'secondary' && replicaRegions.length > 0) {
    throw new PropError(
      scope,
      'replicaRegions',
      replicaRegions,
      'none on a secondary',
      'is set on a secondary (only the primary replicates its secret)',
    );
  }
  if (replicaRegions.includes(region)) {
    throw new PropError(scope, 'replicaRegions', replicaRegions, `regions other than ${region}`, 'includes own region');
  }

  const instanceClass = props.instanceClass ?? 'db.r7g.large';
  if (instanceClass !== SERVERLESS && !INSTANCE_CLASS.test(instanceClass)) {
    throw new PropError(scope, 'instanceClass', instanceClass, '"serverless" or an Aurora class such as db.r7g.large');
  }
  const readers = props.readers ?? 1;
  checkInteger(scope, 'readers', readers, 0, MAX_READERS);
  const minCapacityAcu = props.minCapacityAcu ?? 0.5;
  const maxCapacityAcu = props.maxCapacityAcu ?? 16;
  checkAcu(scope, 'minCapacityAcu', minCapacityAcu, 0);
  checkAcu(scope, 'maxCapacityAcu', maxCapacityAcu, 1);
  if (minCapacityAcu > maxCapacityAcu) {
    throw new PropError(
      scope,
      'minCapacityAcu',
      minCapacityAcu,
      `at most maxCapacityAcu = ${maxCapacityAcu}`,
      'is greater than maxCapacityAcu',
    );
  }
  if (props.readerAutoScaling) checkAutoScaling(scope, props.readerAutoScaling);

  const readConsistency = props.readConsistency ?? 'session';
  if (!READ_CONSISTENCIES.includes(readConsistency)) {
    throw new PropError(scope, 'readConsistency', readConsistency, READ_CONSISTENCIES.join(', '));
  }
  const backupRetentionDays = props.backupRetentionDays ?? 14;
  checkInteger(scope, 'backupRetentionDays', backupRetentionDays, 1, 35);
  const monitoringSeconds = props.monitoringInterval?.toSeconds();
  if (
    monitoringSeconds !== undefined &&
    !Token.isUnresolved(monitoringSeconds) &&
    ![1, 5, 10, 15, 30, 60].includes(monitoringSeconds)
  ) {
    throw new PropError(
      scope,
      'monitoringInterval',
      props.monitoringInterval?.toHumanString(),
      '1, 5, 10, 15, 30 or 60 seconds',
    );
  }
  const databaseName = props.databaseName ?? 'app';
  if (!DATABASE_NAME.test(databaseName)) {
    throw new PropError(
      scope,
      'databaseName',
      databaseName,
      '1-63 lower-case letters, digits or underscores, not starting with a digit',
    );
  }

  return {
    ...props,
    names: { ...names, globalClusterIdentifier, secretName: props.secretName ?? names.secretName },
    globalClusterIdentifier,
    replicaRegions,
    instanceClass,
    serverless: instanceClass === SERVERLESS,
    readers,
    minCapacityAcu,
    maxCapacityAcu,
    readConsistency,
    backupRetentionDays,
    databaseName,
    logRetention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    deletionProtection: props.deletionProtection ?? true,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
    engineVersion: props.engineVersion ?? rds.AuroraPostgresEngineVersion.VER_16_9,
    rotationInterval: props.rotationInterval ?? Duration.days(30),
    rotationSubnets: props.rotationSubnets ?? { subnetGroupName: SubnetGroup.APP },
  };
}

function checkAutoScaling(scope: IConstruct, scaling: ReaderAutoScalingProps): void {
  const key = 'readerAutoScaling';
  checkInteger(scope, `${key}.maxReaders`, scaling.maxReaders, 1, MAX_READERS);
  checkInteger(scope, `${key}.minReaders`, scaling.minReaders, 0, MAX_READERS);
  if (scaling.minReaders > scaling.maxReaders) {
    throw new PropError(
      scope,
      `${key}.minReaders`,
      scaling.minReaders,
      `at most ${key}.maxReaders = ${scaling.maxReaders}`,
      'is greater than maxReaders',
    );
  }
  const target = scaling.targetCpuPercent ?? 70;
  if (!Token.isUnresolved(target) && !(target >= 10 && target <= 90)) {
    throw new PropError(scope, `${key}.targetCpuPercent`, target, 'a number from 10 to 90');
  }
}

function checkAcu(scope: IConstruct, key: string, value: number, min: number): void {
  if (Token.isUnresolved(value)) return;
  if (typeof value !== 'number' || value < min || value > 256 || !Number.isInteger(value * 2)) {
    throw new PropError(scope, key, value, `${min} to 256 ACUs in steps of 0.5`);
  }
}
