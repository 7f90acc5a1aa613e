import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PropError } from '../../lib/constructs/validation';
import { AuroraShard, AuroraShardProps, dbUserArn } from '../../lib/constructs/database';
import { regionalFoundation } from '../helpers';

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly shard: AuroraShard;
  readonly template: Template;
  readonly base: AuroraShardProps;
}

type Options = Partial<AuroraShardProps> & { readonly region?: string; readonly nag?: boolean };

/** GIVEN a region's network, data key and client group, WHEN a shard is added, THEN its template. */
function build({ region = 'us-east-1', nag = false, ...props }: Options = {}): Built {
  const app = new App();
  const stack = new Stack(app, 'Data', { env: { region } });
  const { key, vpc } = regionalFoundation(stack);
  const clientSecurityGroup = new ec2.SecurityGroup(stack, 'DatabaseClients', { vpc });
  const base: AuroraShardProps = { appName: 'app', shardIndex: 0, role: 'primary', vpc, key, clientSecurityGroup };
  const shard = new AuroraShard(stack, 'Shard0', { ...base, ...props });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, shard, base, template: Template.fromStack(stack) };
}

const keyArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] };
const clusterRef = { Ref: Match.stringLikeRegexp('^Shard0Cluster[A-F0-9]+$') };

function subnetRefs(template: Template, group: string) {
  const subnets = template.findResources('AWS::EC2::Subnet', {
    Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-name', Value: group }]) },
  });
  return Object.keys(subnets).map((id) => ({ Ref: id }));
}

describe('AuroraShard in the primary region', () => {
  let built: Built;
  let template: Template;
  beforeAll(() => {
    built = build({
      replicaRegions: ['eu-west-1', 'ap-northeast-2'],
      replicaKeyAlias: 'alias/app/secrets',
      readerAutoScaling: { minReaders: 1, maxReaders: 5, targetCpuPercent: 60 },
    });
    template = built.template;
  });

  test('creates the global cluster from its cluster, with the derived identifier', () => {
    template.resourceCountIs('AWS::RDS::GlobalCluster', 1);
    template.hasResource('AWS::RDS::GlobalCluster', {
      Properties: {
        GlobalClusterIdentifier: 'app-shard-0',
        SourceDBClusterIdentifier: clusterRef,
        DeletionProtection: true,
      },
      DeletionPolicy: 'RetainExceptOnCreate',
    });
  });

  test('runs Aurora PostgreSQL 16 with a writer and one reader of the given class', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EngineVersion: Match.stringLikeRegexp('^16\\.'),
      DBClusterIdentifier: 'app-shard-0',
      DatabaseName: 'app',
      Port: 5432,
    });
    template.resourcePropertiesCountIs(
      'AWS::RDS::DBInstance',
      { DBInstanceClass: 'db.r7g.large', PubliclyAccessible: false, DBClusterIdentifier: clusterRef },
      2,
    );
  });

  test('encrypts storage and Performance Insights with the region key; IAM auth, backups, tags to snapshots', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      StorageEncrypted: true,
      KmsKeyId: keyArn,
      PerformanceInsightsEnabled: true,
      PerformanceInsightsKmsKeyId: keyArn,
      DatabaseInsightsMode: 'standard',
      EnableIAMDatabaseAuthentication: true,
      BackupRetentionPeriod: 14,
      CopyTagsToSnapshot: true,
    });
  });

  test('enforces TLS and sets the write-forwarding read consistency in its parameter group', () => {
    template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
      Family: 'aurora-postgresql16',
      Parameters: { 'rds.force_ssl': '1', 'apg_write_forward.consistency_mode': 'session' },
    });
  });

  test('is deletion-protected and snapshotted on delete or replace by default', () => {
    template.hasResource('AWS::RDS::DBCluster', {
      Properties: { DeletionProtection: true },
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
    });
  });

  test('generates the master secret under the derived name, encrypted and replicated under the replica key alias', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: {
        Name: 'app/shard-0/master',
        KmsKeyId: keyArn,
        GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"postgres"}' }),
        ReplicaRegions: ['eu-west-1', 'ap-northeast-2'].map((region) => ({
          Region: region,
          KmsKeyId: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, `:kms:${region}:`, { Ref: 'AWS::AccountId' }, ':alias/app/secrets'],
            ],
          },
        })),
      },
      DeletionPolicy: 'RetainExceptOnCreate',
    });
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      MasterUsername: 'postgres',
      MasterUserPassword: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
    });
  });

  test('rotates the master password every 30 days with a single-user function in the app subnets', () => {
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    template.hasResourceProperties('AWS::Serverless::Application', {
      Location: Match.objectLike({ ApplicationId: Match.anyValue() }),
      Parameters: Match.objectLike({
        kmsKeyArn: keyArn,
        vpcSubnetIds: { 'Fn::Join': ['', subnetRefs(template, 'app').flatMap((ref, i) => (i ? [',', ref] : [ref]))] },
      }),
    });
  });

  test('scales readers on average reader CPU between the given bounds', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'rds',
      ScalableDimension: 'rds:cluster:ReadReplicaCount',
      ResourceId: { 'Fn::Join': ['', ['cluster:', clusterRef]] },
      MinCapacity: 1,
      MaxCapacity: 5,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'RDSReaderAverageCPUUtilization' },
        TargetValue: 60,
      },
    });
  });

  test('admits PostgreSQL only from the client group and the rotation function, and sends nothing out', () => {
    const ingress = template.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Shard0SecurityGroup'), 'GroupId'] } },
    });
    const rules = Object.values(ingress).map((rule) => rule.Properties);
    expect(rules).toHaveLength(2);
    expect(rules).toContainEqual({
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      Description: 'PostgreSQL from the service tasks',
      GroupId: expect.anything(),
      SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^DatabaseClients/), 'GroupId'] },
    });
    // The rotation function reaches the cluster on its port attribute (also 5432).
    const port = { 'Fn::GetAtt': [expect.stringMatching(/^Shard0Cluster[A-F0-9]+$/), 'Endpoint.Port'] };
    expect(rules).toContainEqual(
      expect.objectContaining({
        FromPort: port,
        ToPort: port,
        SourceSecurityGroupId: {
          'Fn::GetAtt': [expect.stringMatching(/^Shard0ClusterRotationSingleUserSecurityGroup/), 'GroupId'],
        },
      }),
    );
    expect(rules.every((rule) => rule.CidrIp === undefined && rule.CidrIpv6 === undefined)).toBe(true);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('shard-0'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
  });

  test('places the cluster in the isolated data subnets', () => {
    const dataSubnets = subnetRefs(template, 'data');
    expect(dataSubnets).toHaveLength(3);
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: dataSubnets });
  });

  test('exports postgresql logs to a group it creates first, encrypted, kept 90 days and retained', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', { EnableCloudwatchLogsExports: ['postgresql'] });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: '/aws/rds/cluster/app-shard-0/postgresql', KmsKeyId: keyArn, RetentionInDays: 90 },
      DeletionPolicy: 'RetainExceptOnCreate',
      DependsOn: Match.absent(),
    });
    template.hasResource('AWS::RDS::DBCluster', {
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('^Shard0PostgresqlLogs')]),
    });
    template.resourceCountIs('Custom::LogRetention', 0);
  });

  test('exposes a shard endpoint that writes to the writer and reads from the reader endpoint', () => {
    const { endpoint, cluster, secret } = built.shard;
    expect([endpoint.name, endpoint.port, endpoint.databaseName]).toEqual(['shard-0', 5432, 'app']);
    expect(endpoint.secret).toBe(secret);
    expect(built.stack.resolve(endpoint.writerHost)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^Shard0Cluster/), 'Endpoint.Address'],
    });
    expect(built.stack.resolve(endpoint.readerHost)).toEqual(built.stack.resolve(cluster.clusterReadEndpoint.hostname));
    expect(built.stack.resolve(endpoint.clusterResourceId)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^Shard0Cluster/), 'DBClusterResourceId'],
    });
  });

  test('offers the metrics its alarms need; no global lag on the primary', () => {
    const { shard, stack } = built;
    const dims = (metric: ReturnType<AuroraShard['metricCpuUtilization']>) =>
      stack.resolve(metric.toMetricConfig().metricStat!.dimensions);
    expect(shard.metricCpuUtilization().toMetricConfig().metricStat).toMatchObject({
      namespace: 'AWS/RDS',
      metricName: 'CPUUtilization',
    });
    expect(shard.metricDatabaseConnections().toMetricConfig().metricStat!.metricName).toBe('DatabaseConnections');
    expect(shard.metricFreeableMemory().toMetricConfig().metricStat).toMatchObject({
      metricName: 'FreeableMemory',
      statistic: 'Minimum',
    });
    const replicaLag = shard.metricReplicaLag()!;
    expect(replicaLag.toMetricConfig().metricStat).toMatchObject({
      metricName: 'AuroraReplicaLag',
      statistic: 'Maximum',
    });
    expect(dims(replicaLag)).toEqual(
      expect.arrayContaining([
        { name: 'Role', value: 'READER' },
        { name: 'DBClusterIdentifier', value: { Ref: expect.stringMatching(/^Shard0Cluster/) } },
      ]),
    );
    expect(shard.metricGlobalReplicationLag()).toBeUndefined();
  });
});

describe('AuroraShard in a secondary region', () => {
  let built: Built;
  let template: Template;
  beforeAll(() => {
    built = build({ region: 'eu-west-1', role: 'secondary', readers: 2, readConsistency: 'global' });
    template = built.template;
  });

  test('joins the global cluster by its derived identifier, with global write forwarding', () => {
    template.resourceCountIs('AWS::RDS::GlobalCluster', 0);
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      GlobalClusterIdentifier: 'app-shard-0',
      EnableGlobalWriteForwarding: true,
      Engine: 'aurora-postgresql',
      EngineVersion: Match.stringLikeRegexp('^16\\.'),
    });
  });

  test('carries no master credentials and no database name (they come from the primary)', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      MasterUsername: Match.absent(),
      MasterUserPassword: Match.absent(),
      DatabaseName: Match.absent(),
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.resourceCountIs('AWS::SecretsManager::SecretTargetAttachment', 0);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });

  test('encrypts with its own region key and keeps the same safety settings', () => {
    template.hasResource('AWS::RDS::DBCluster', {
      Properties: {
        StorageEncrypted: true,
        KmsKeyId: keyArn,
        PerformanceInsightsKmsKeyId: keyArn,
        EnableIAMDatabaseAuthentication: true,
        BackupRetentionPeriod: 14,
        DeletionProtection: true,
        EnableCloudwatchLogsExports: ['postgresql'],
      },
      DeletionPolicy: 'Snapshot',
    });
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: subnetRefs(template, 'data') });
    template.resourcePropertiesCountIs('AWS::RDS::DBInstance', { DBInstanceClass: 'db.r7g.large' }, 3);
  });

  test('uses the given read consistency for forwarded writes, with TLS enforced', () => {
    template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
      Parameters: { 'rds.force_ssl': '1', 'apg_write_forward.consistency_mode': 'global' },
    });
  });

  test('admits PostgreSQL from the client group only', () => {
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingress).toHaveLength(1);
    expect(ingress[0].Properties).toMatchObject({
      FromPort: 5432,
      ToPort: 5432,
      SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^DatabaseClients/), 'GroupId'] },
    });
  });

  test('reads the replica secret by its derived name and forwards writes through the reader endpoint', () => {
    const { shard, stack } = built;
    expect(shard.secret.secretName).toBe('app/shard-0/master');
    expect(stack.resolve(shard.secret.secretArn)).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':secretsmanager:eu-west-1:',
          { Ref: 'AWS::AccountId' },
          ':secret:app/shard-0/master',
        ],
      ],
    });
    expect(shard.endpoint.secret).toBe(shard.secret);
    expect(stack.resolve(shard.endpoint.writerHost)).toEqual(stack.resolve(shard.cluster.clusterReadEndpoint.hostname));
  });

  test("names its own cluster's resource id for IAM authentication: each region's cluster has its own", () => {
    const { shard, stack } = built;
    expect(stack.resolve(shard.endpoint.clusterResourceId)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^Shard0Cluster/), 'DBClusterResourceId'],
    });
  });

  test('offers the global replication lag of this secondary', () => {
    expect(built.shard.metricGlobalReplicationLag()!.toMetricConfig().metricStat).toMatchObject({
      namespace: 'AWS/RDS',
      metricName: 'AuroraGlobalDBReplicationLag',
      statistic: 'Maximum',
    });
  });
});

describe('AuroraShard options', () => {
  test('serverless v2 instances with the given capacity bounds, the first reader scaling with the writer', () => {
    const { template } = build({ instanceClass: 'serverless', minCapacityAcu: 1, maxCapacityAcu: 32.5 });
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      ServerlessV2ScalingConfiguration: { MinCapacity: 1, MaxCapacity: 32.5 },
    });
    template.resourcePropertiesCountIs('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless' }, 2);
    template.hasResourceProperties('AWS::RDS::DBInstance', { PromotionTier: 1 });
  });

  test('everything is removed with the stack when asked (dev)', () => {
    const { template } = build({
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
      replicaRegions: ['eu-west-1'],
      readers: 0,
      backupRetentionDays: 1,
      logRetention: logs.RetentionDays.ONE_WEEK,
    });
    template.hasResource('AWS::RDS::DBCluster', {
      Properties: { DeletionProtection: false, BackupRetentionPeriod: 1 },
      DeletionPolicy: 'Delete',
    });
    template.hasResource('AWS::RDS::GlobalCluster', {
      Properties: { DeletionProtection: false },
      DeletionPolicy: 'Delete',
    });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 7 }, DeletionPolicy: 'Delete' });
    template.resourceCountIs('AWS::RDS::DBInstance', 1);
  });

  test('a primary without readers offers no replica-lag metric (it reports none); a secondary does', () => {
    expect(build({ readers: 0 }).shard.metricReplicaLag()).toBeUndefined();
    expect(
      build({ readers: 0, readerAutoScaling: { minReaders: 0, maxReaders: 2 } }).shard.metricReplicaLag(),
    ).toBeDefined();
    expect(build({ region: 'eu-west-1', role: 'secondary', readers: 0 }).shard.metricReplicaLag()).toBeDefined();
  });

  test('no reader autoscaling unless asked', () => {
    build().template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });
});

describe('AuroraShard validation', () => {
  let stack: Stack;
  let base: AuroraShardProps;
  let count = 0;
  beforeAll(() => {
    const built = build();
    stack = built.stack;
    base = { ...built.base, shardIndex: 1 };
  });
  const attempt = (props: Partial<AuroraShardProps>) => () =>
    new AuroraShard(stack, `Bad${count++}`, { ...base, ...props } as AuroraShardProps);

  test.each<[string, Partial<AuroraShardProps>, RegExp]>([
    ['16 readers', { readers: 16 }, /^Data\/Bad\d+: readers = 16 is not allowed \(allowed: an integer from 0 to 15\)$/],
    ['-1 readers', { readers: -1 }, /^Data\/Bad\d+: readers = -1 is not allowed/],
    ['1.5 readers', { readers: 1.5 }, /^Data\/Bad\d+: readers = 1\.5 is not allowed/],
    [
      'autoscaling min above max',
      { readerAutoScaling: { minReaders: 4, maxReaders: 2 } },
      /^Data\/Bad\d+: readerAutoScaling\.minReaders = 4 is greater than maxReaders \(allowed: at most readerAutoScaling\.maxReaders = 2\)$/,
    ],
    [
      'autoscaling max above 15',
      { readerAutoScaling: { minReaders: 1, maxReaders: 16 } },
      /^Data\/Bad\d+: readerAutoScaling\.maxReaders = 16 is not allowed \(allowed: an integer from 1 to 15\)$/,
    ],
    [
      'autoscaling CPU target of 95',
      { readerAutoScaling: { minReaders: 1, maxReaders: 3, targetCpuPercent: 95 } },
      /^Data\/Bad\d+: readerAutoScaling\.targetCpuPercent = 95 is not allowed \(allowed: a number from 10 to 90\)$/,
    ],
    [
      '0 days of backups',
      { backupRetentionDays: 0 },
      /^Data\/Bad\d+: backupRetentionDays = 0 is not allowed \(allowed: an integer from 1 to 35\)$/,
    ],
    ['36 days of backups', { backupRetentionDays: 36 }, /^Data\/Bad\d+: backupRetentionDays = 36 is not allowed/],
    [
      '0.3 ACU',
      { minCapacityAcu: 0.3 },
      /^Data\/Bad\d+: minCapacityAcu = 0\.3 is not allowed \(allowed: 0 to 256 ACUs in steps of 0\.5\)$/,
    ],
    ['257 ACU', { maxCapacityAcu: 257 }, /^Data\/Bad\d+: maxCapacityAcu = 257 is not allowed \(allowed: 1 to 256 ACUs/],
    [
      'min ACU above max',
      { minCapacityAcu: 8, maxCapacityAcu: 4 },
      /^Data\/Bad\d+: minCapacityAcu = 8 is greater than maxCapacityAcu \(allowed: at most maxCapacityAcu = 4\)$/,
    ],
    [
      'strong read consistency',
      { readConsistency: 'strong' as never },
      /^Data\/Bad\d+: readConsistency = "strong" is not allowed \(allowed: session, eventual, global\)$/,
    ],
    [
      'a malformed instance class',
      { instanceClass: 'r7g.large' },
      /^Data\/Bad\d+: instanceClass = "r7g\.large" is not allowed \(allowed: "serverless" or an Aurora class/,
    ],
    [
      'an unknown role',
      { role: 'replica' as never },
      /^Data\/Bad\d+: role = "replica" is not allowed \(allowed: primary, secondary\)$/,
    ],
    [
      'a secondary without a usable global cluster identifier',
      { role: 'secondary', globalClusterIdentifier: '' },
      /^Data\/Bad\d+: globalClusterIdentifier = "" cannot identify the global cluster to join \(allowed: 1-63 lower-case/,
    ],
    [
      'a secondary replicating the secret',
      { role: 'secondary', replicaRegions: ['us-east-1'] },
      /^Data\/Bad\d+: replicaRegions = \["us-east-1"\] is set on a secondary/,
    ],
    [
      'a replica in its own region',
      { replicaRegions: ['us-east-1'] },
      /^Data\/Bad\d+: replicaRegions = \["us-east-1"\] includes own region \(allowed: regions other than us-east-1\)$/,
    ],
    [
      'shard index 16',
      { shardIndex: 16 },
      /^Data\/Bad\d+: shardIndex = 16 is not allowed \(allowed: an integer from 0 to 15\)$/,
    ],
    ['an upper-case database name', { databaseName: 'App' }, /^Data\/Bad\d+: databaseName = "App" is not allowed/],
  ])('rejects %s', (_what, props, message) => {
    expect(attempt(props)).toThrow(PropError);
    expect(attempt(props)).toThrow(message);
  });
});

describe('dbUserArn', () => {
  test('names one database user of one cluster, in the ARN format rds-db:connect takes', () => {
    const stack = new Stack(new App(), 'Service', { env: { region: 'eu-west-1' } });
    expect(stack.resolve(dbUserArn(stack, 'cluster-ABCDEFGHIJKL', 'app_service'))).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':rds-db:eu-west-1:',
          { Ref: 'AWS::AccountId' },
          ':dbuser:cluster-ABCDEFGHIJKL/app_service',
        ],
      ],
    });
  });

  test.each([['App'], ['app-service'], ['*'], ['']])('refuses %p: not a lower-case PostgreSQL identifier', (dbUser) => {
    const stack = new Stack(new App(), 'Service');
    expect(() => dbUserArn(stack, 'cluster-ABCDEFGHIJKL', dbUser)).toThrow(
      new RegExp(`^Service: dbUser = ${dbUser.replace('*', '\\*')} must be a lower-case PostgreSQL identifier`),
    );
  });
});

describe('AuroraShard under cdk-nag', () => {
  test.each<[string, Options]>([
    [
      'a primary with rotation, replicas and autoscaling',
      { replicaRegions: ['eu-west-1'], readerAutoScaling: { minReaders: 1, maxReaders: 3 } },
    ],
    ['a secondary', { region: 'eu-west-1', role: 'secondary' }],
    [
      'a dev primary without deletion protection',
      { instanceClass: 'serverless', readers: 0, deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY },
    ],
  ])('%s synthesizes with no finding and a clean template lint', (_what, options) => {
    const { app } = build({ ...options, nag: true });
    expect(() => app.synth({ force: true })).not.toThrow();
  });
});
