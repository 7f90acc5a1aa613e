import { ArnFormat, Duration, RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { keyByAliasInRegion } from './data-key';
import { AuroraShardProps, ResolvedShardProps, resolveShardProps } from './database/props';
import { SubnetGroup } from './network';
import { companionRemovalPolicy } from './removal';

export * from './database/props';

/** PostgreSQL's port. A literal, so the services' shard map holds no deploy-time token. */
export const POSTGRES_PORT = 5432;
const MASTER_USERNAME = 'postgres';

/** One shard as the services see it in their region: where to write, where to read, how to log in. */
export interface ShardEndpoint {
  /** `shard-<index>`, the key of the services' shard map. */
  readonly name: string;
  /** Writes go here: the writer in the primary; the reader endpoint (write forwarding) elsewhere. */
  readonly writerHost: string;
  /** This region's reader endpoint. */
  readonly readerHost: string;
  readonly port: number;
  readonly databaseName: string;
  /**
   * The master user's JSON secret with `username` and `password` (the replica in secondary
   * regions): for migrations only; the services log in with IAM authentication (`dbUserArn`).
   */
  readonly secret: secretsmanager.ISecret;
  /** This region's cluster's `DbClusterResourceId` (`cluster-…`), which IAM authentication policies name. */
  readonly clusterResourceId: string;
}

const DB_USER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The ARN that `rds-db:connect` takes to let a principal log in to a cluster with IAM database
 * authentication as `dbUser`, and as no other user: each region's cluster of a global database
 * has its own resource id, so a policy names the cluster of its own region.
 */
export function dbUserArn(scope: Construct, clusterResourceId: string, dbUser: string): string {
  if (!DB_USER.test(dbUser)) {
    throw new Error(
      `${scope.node.path}: dbUser = ${dbUser} must be a lower-case PostgreSQL identifier (${DB_USER.source})`,
    );
  }
  return Stack.of(scope).formatArn({
    service: 'rds-db',
    resource: 'dbuser',
    resourceName: `${clusterResourceId}/${dbUser}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * One shard of the data tier in one region: an Aurora PostgreSQL cluster in the isolated subnets,
 * encrypted with the region's key, TLS-only, IAM authentication on, logs exported to an encrypted
 * group. The primary creates the global cluster, the master secret (replicated to the secondary
 * regions, rotated) and reader autoscaling; a secondary joins the global cluster by its derived
 * identifier and forwards writes to the primary.
 */
export class AuroraShard extends Construct {
  public readonly cluster: rds.DatabaseCluster;
  /** In the primary the master secret; elsewhere its replica, by name. */
  public readonly secret: secretsmanager.ISecret;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly endpoint: ShardEndpoint;
  public readonly logGroup: logs.LogGroup;
  /** Created in the primary only. */
  public readonly globalCluster?: rds.CfnGlobalCluster;
  /** Created in the primary when `readerAutoScaling` is given. */
  public readonly readerScaling?: appscaling.ScalableTarget;
  public readonly role: AuroraShardProps['role'];
  /** Whether the cluster has (or may scale to) instances in the READER role: a secondary always does. */
  private readonly hasReaders: boolean;

  constructor(scope: Construct, id: string, props: AuroraShardProps) {
    super(scope, id);
    const resolved = resolveShardProps(this, props, Stack.of(this).region);
    const { names, role } = resolved;
    const isPrimary = role === 'primary';
    const retainedOrDestroyed = companionRemovalPolicy(resolved.removalPolicy);
    this.role = role;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `PostgreSQL of ${names.name}, from the service tasks only`,
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(
      props.clientSecurityGroup,
      ec2.Port.tcp(POSTGRES_PORT),
      'PostgreSQL from the service tasks',
    );

    // Created before the cluster so that RDS writes into an encrypted group with a retention,
    // without the log-retention custom resource (a Lambda) the L2 would add.
    this.logGroup = new logs.LogGroup(this, 'PostgresqlLogs', {
      logGroupName: `/aws/rds/cluster/${names.globalClusterIdentifier}/postgresql`,
      encryptionKey: props.key,
      retention: resolved.logRetention,
      removalPolicy: retainedOrDestroyed,
    });

    const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: resolved.engineVersion });
    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine,
      clusterIdentifier: names.globalClusterIdentifier,
      credentials: isPrimary
        ? rds.Credentials.fromGeneratedSecret(MASTER_USERNAME, {
            secretName: names.secretName,
            encryptionKey: props.key,
            replicaRegions: resolved.replicaRegions.map((region) => ({
              region,
              encryptionKey: resolved.replicaKeyAlias
                ? keyByAliasInRegion(this, `ReplicaKey-${region}`, region, resolved.replicaKeyAlias)
                : undefined,
            })),
          })
        : // Rendered only to stop the L2 generating a secret; removed below (secondaries inherit them).
          rds.Credentials.fromPassword(
            MASTER_USERNAME,
            SecretValue.secretsManager(names.secretName, { jsonField: 'password' }),
          ),
      defaultDatabaseName: isPrimary ? resolved.databaseName : undefined,
      port: POSTGRES_PORT,
      writer: this.instance('Writer', resolved, false),
      readers: Array.from({ length: resolved.readers }, (_, i) => this.instance(`Reader${i + 1}`, resolved, i === 0)),
      serverlessV2MinCapacity: resolved.serverless ? resolved.minCapacityAcu : undefined,
      serverlessV2MaxCapacity: resolved.serverless ? resolved.maxCapacityAcu : undefined,
      vpc: props.vpc,
      vpcSubnets: { subnetGroupName: SubnetGroup.DATA },
      securityGroups: [this.securityGroup],
      storageEncrypted: true,
      storageEncryptionKey: props.key,
      iamAuthentication: true,
      parameters: {
        'rds.force_ssl': '1',
        // Takes effect on clusters with global write forwarding: the secondaries (and the primary
        // once a switchover demotes it).
        'apg_write_forward.consistency_mode': resolved.readConsistency,
      },
      backup: { retention: Duration.days(resolved.backupRetentionDays) },
      cloudwatchLogsExports: ['postgresql'],
      // OS metrics of every instance (the L2 creates the role RDS publishes them with).
      monitoringInterval: resolved.monitoringInterval,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: props.key,
      databaseInsightsMode: rds.DatabaseInsightsMode.STANDARD,
      copyTagsToSnapshot: true,
      deletionProtection: resolved.deletionProtection,
      removalPolicy: resolved.removalPolicy,
    });
    this.cluster.node.addDependency(this.logGroup);

    if (isPrimary) {
      // No L2 for global databases (aws-cdk#22212): the global cluster is created from the
      // primary cluster, which hands it its engine, version and encryption.
      this.globalCluster = new rds.CfnGlobalCluster(this, 'GlobalCluster', {
        globalClusterIdentifier: names.globalClusterIdentifier,
        sourceDbClusterIdentifier: this.cluster.clusterIdentifier,
        deletionProtection: resolved.deletionProtection,
      });
      this.globalCluster.applyRemovalPolicy(retainedOrDestroyed);
      // The generated secret (the L2's `Secret` child) is the only copy of the password: keep it.
      (this.cluster.node.findChild('Secret') as rds.DatabaseSecret).applyRemovalPolicy(retainedOrDestroyed);
      this.cluster.addRotationSingleUser({
        automaticallyAfter: resolved.rotationInterval,
        vpcSubnets: resolved.rotationSubnets,
      });
      this.secret = this.cluster.secret!;
      if (resolved.readerAutoScaling) this.readerScaling = this.addReaderAutoScaling(resolved);
    } else {
      // Joining a global cluster: the L2 has no prop for it (aws-cdk#22212) and always renders
      // master credentials, which a secondary must not carry (aws-cdk#29880); strip them.
      const cfnCluster = this.cluster.node.defaultChild as rds.CfnDBCluster;
      cfnCluster.globalClusterIdentifier = names.globalClusterIdentifier;
      cfnCluster.enableGlobalWriteForwarding = true;
      cfnCluster.masterUsername = undefined;
      cfnCluster.masterUserPassword = undefined;
      cfnCluster.databaseName = undefined;
      this.secret = resolved.replicaSecret ?? secretsmanager.Secret.fromSecretNameV2(this, 'Secret', names.secretName);
    }

    const monitoringRole = this.cluster.node.tryFindChild('MonitoringRole');
    if (monitoringRole) {
      Validations.of(monitoringRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
        reason:
          'AmazonRDSEnhancedMonitoringRole is the policy AWS maintains for RDS to publish OS metrics to CloudWatch Logs (RDSOSMetrics); nothing else.',
      });
    }
    if (!resolved.deletionProtection) {
      Validations.of(this.cluster).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason:
          'Deletion protection is off only where the caller asked for it (retainData=false, the dev profile), so the stack can be destroyed.',
      });
    }
    this.hasReaders = !isPrimary || resolved.readers > 0 || this.readerScaling !== undefined;
    this.endpoint = {
      name: names.name,
      writerHost: isPrimary ? this.cluster.clusterEndpoint.hostname : this.cluster.clusterReadEndpoint.hostname,
      readerHost: this.cluster.clusterReadEndpoint.hostname,
      port: POSTGRES_PORT,
      databaseName: resolved.databaseName,
      secret: this.secret,
      clusterResourceId: this.cluster.clusterResourceIdentifier,
    };
  }

  /** Average CPU of the cluster's instances. */
  metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.cluster.metricCPUUtilization(props);
  }

  /** Open connections across the cluster. */
  metricDatabaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.cluster.metricDatabaseConnections(props);
  }

  /** Least freeable memory of an instance; low values precede swapping and OOM restarts. */
  metricFreeableMemory(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.cluster.metricFreeableMemory({ statistic: cloudwatch.Stats.MINIMUM, ...props });
  }

  /**
   * Worst in-region replica lag (ms) of the readers behind this cluster's writer or primary
   * instance; undefined for a primary cluster without readers, which reports none.
   */
  metricReplicaLag(props?: cloudwatch.MetricOptions): cloudwatch.IMetric | undefined {
    if (!this.hasReaders) return undefined;
    return this.cluster.metric('AuroraReplicaLag', {
      statistic: cloudwatch.Stats.MAXIMUM,
      dimensionsMap: { DBClusterIdentifier: this.cluster.clusterIdentifier, Role: 'READER' },
      ...props,
    });
  }

  /**
   * Lag (ms) of this secondary behind the primary region. Aurora emits it for secondary clusters
   * only, so the primary returns undefined rather than a metric that never has data.
   */
  metricGlobalReplicationLag(props?: cloudwatch.MetricOptions): cloudwatch.IMetric | undefined {
    if (this.role === 'primary') return undefined;
    return this.cluster.metric('AuroraGlobalDBReplicationLag', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  private instance(id: string, props: ResolvedShardProps, failoverTarget: boolean): rds.IClusterInstance {
    const common = {
      publiclyAccessible: false,
      promotionTier: failoverTarget ? 1 : undefined,
      // Same as the cluster's setting; stated per instance so CDK does not warn of a mismatch.
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: props.key,
    };
    if (props.serverless) {
      // The first reader follows the writer's capacity, so a failover lands on a warm instance.
      return rds.ClusterInstance.serverlessV2(id, { ...common, scaleWithWriter: failoverTarget });
    }
    return rds.ClusterInstance.provisioned(id, {
      ...common,
      instanceType: new ec2.InstanceType(props.instanceClass.replace(/^db\./, '')),
    });
  }

  private addReaderAutoScaling(props: ResolvedShardProps): appscaling.ScalableTarget {
    const scaling = props.readerAutoScaling!;
    const target = new appscaling.ScalableTarget(this, 'ReaderScaling', {
      serviceNamespace: appscaling.ServiceNamespace.RDS,
      scalableDimension: 'rds:cluster:ReadReplicaCount',
      resourceId: `cluster:${this.cluster.clusterIdentifier}`,
      minCapacity: scaling.minReaders,
      maxCapacity: scaling.maxReaders,
    });
    // Registered once the writer and readers exist: Aurora Auto Scaling acts on an available cluster.
    target.node.addDependency(this.cluster);
    target.scaleToTrackMetric('ReaderCpu', {
      predefinedMetric: appscaling.PredefinedMetric.RDS_READER_AVERAGE_CPU_UTILIZATION,
      targetValue: scaling.targetCpuPercent ?? 70,
    });
    return target;
  }
}
