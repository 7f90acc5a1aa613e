import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PropError } from '../../lib/constructs/validation';
import { RegionalCache, RegionalCacheProps } from '../../lib/constructs/cache';
import { regionalFoundation } from '../helpers';

const KEY = { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] };

type Dependencies = Pick<RegionalCacheProps, 'vpc' | 'key' | 'clientSecurityGroup' | 'replicationGroupId'>;

/** A region's data stack in miniature: the key, the network and a client group for a cache. */
function regionStack(region: string, app = new App()): { stack: Stack; dependencies: Dependencies } {
  const stack = new Stack(app, `Cache-${region}`, { env: { region } });
  const { key, vpc } = regionalFoundation(stack);
  const clientSecurityGroup = new ec2.SecurityGroup(stack, 'Clients', { vpc, description: 'service tasks' });
  return { stack, dependencies: { vpc, key, clientSecurityGroup, replicationGroupId: 'app-cache' } };
}

interface Built {
  readonly stack: Stack;
  readonly cache: RegionalCache;
  readonly template: Template;
}

function buildCache(props: Partial<RegionalCacheProps> = {}, region = 'eu-west-1'): Built {
  const { stack, dependencies } = regionStack(region);
  const cache = new RegionalCache(stack, 'Cache', { ...dependencies, ...props });
  return { stack, cache, template: Template.fromStack(stack) };
}

const SECONDARY = { role: 'secondary', globalReplicationGroupId: 'ldgnf-app-cache' } as const;

describe('RegionalCache with defaults', () => {
  let built: Built;
  let template: Template;
  beforeAll(() => {
    built = buildCache();
    template = built.template;
  });

  test('is a Valkey 8 replication group, Multi-AZ with automatic failover and one replica, no cluster mode', () => {
    template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 1);
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      ReplicationGroupId: 'app-cache',
      Engine: 'valkey',
      EngineVersion: '8.1',
      CacheNodeType: 'cache.r7g.large',
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      NumCacheClusters: 2,
      ClusterMode: 'disabled',
      NumNodeGroups: Match.absent(),
      AutoMinorVersionUpgrade: true,
    });
  });

  test('encrypts at rest with the given key and accepts TLS connections only', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      AtRestEncryptionEnabled: true,
      KmsKeyId: KEY,
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
    });
    expect(built.cache.tls).toBe(true);
    expect(built.stack.resolve(built.cache.redisUrl)).toEqual({
      'Fn::Join': [
        '',
        [
          'rediss://',
          { 'Fn::GetAtt': [expect.stringMatching(/^CacheReplicationGroup/), 'PrimaryEndPoint.Address'] },
          ':6380',
        ],
      ],
    });
  });

  test('requires the AUTH token generated into a secret encrypted with the key, in characters ElastiCache accepts', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const [secretId, secret] = Object.entries(template.findResources('AWS::SecretsManager::Secret'))[0];
    expect(secret.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] });
    expect(secret.Properties.Name).toBeUndefined();
    const { PasswordLength, ExcludeCharacters, IncludeSpace } = secret.Properties.GenerateSecretString;
    expect(PasswordLength).toBeGreaterThanOrEqual(16);
    expect(PasswordLength).toBeLessThanOrEqual(128);
    expect(IncludeSpace).toBe(false);
    for (const allowed of '!&#$^<>-') expect(ExcludeCharacters).not.toContain(allowed);
    for (const forbidden of '"%\'()*+,./:;=?@[\\]_`{|}~') expect(ExcludeCharacters).toContain(forbidden);
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      AuthToken: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']] },
    });
    expect(built.stack.resolve(built.cache.authSecret.secretArn)).toEqual({ Ref: secretId });
  });

  test('places the nodes in the isolated data subnets of all three AZs', () => {
    template.hasResourceProperties('AWS::ElastiCache::SubnetGroup', {
      SubnetIds: [1, 2, 3].map((n) => ({ Ref: Match.stringLikeRegexp(`^NetworkVpcdataSubnet${n}Subnet`) })),
    });
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      CacheSubnetGroupName: { Ref: Match.stringLikeRegexp('^CacheSubnetGroup') },
    });
  });

  test('admits only the client security group, on a non-default port, and sends nothing out', () => {
    expect(built.cache.port).toBe(6380);
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Port: 6380,
      SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^CacheSecurityGroup'), 'GroupId'] }],
    });
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingress.map((r) => r.Properties)).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 6380,
        ToPort: 6380,
        GroupId: { 'Fn::GetAtt': [expect.stringMatching(/^CacheSecurityGroup/), 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^Clients/), 'GroupId'] },
      }),
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Cache app-cache'),
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
  });

  test('keeps a week of daily snapshots and takes a final snapshot when deleted', () => {
    template.hasResource('AWS::ElastiCache::ReplicationGroup', {
      Properties: {
        SnapshotRetentionLimit: 7,
        SnapshotWindow: '03:00-04:00',
        PreferredMaintenanceWindow: 'sun:04:30-sun:05:30',
      },
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
    });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'RetainExceptOnCreate' });
  });

  test('has its own parameter group of the engine family: LRU eviction, cluster mode off', () => {
    template.hasResourceProperties('AWS::ElastiCache::ParameterGroup', {
      CacheParameterGroupFamily: 'valkey8',
      Properties: { 'maxmemory-policy': 'allkeys-lru', 'cluster-enabled': 'no' },
    });
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      CacheParameterGroupName: { Ref: Match.stringLikeRegexp('^CacheParameters') },
    });
  });

  test('is regional: no global datastore', () => {
    template.resourceCountIs('AWS::ElastiCache::GlobalReplicationGroup', 0);
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { GlobalReplicationGroupId: Match.absent() });
    expect(built.cache.globalReplicationGroup).toBeUndefined();
  });

  test('exposes node metrics by CacheClusterId, and group-wide metric math over the nodes', () => {
    expect(built.cache.memberClusterIds).toEqual(['app-cache-001', 'app-cache-002']);
    const cpu = built.cache.metricEngineCpuUtilization('app-cache-002') as cloudwatch.Metric;
    expect(cpu).toMatchObject({
      namespace: 'AWS/ElastiCache',
      metricName: 'EngineCPUUtilization',
      dimensions: { CacheClusterId: 'app-cache-002' },
      statistic: 'Average',
    });
    const cases: [cloudwatch.IMetric, string, string, string][] = [
      [built.cache.metricEngineCpuUtilization(), 'EngineCPUUtilization', 'Average', 'MAX'],
      [built.cache.metricMemoryUsagePercentage(), 'DatabaseMemoryUsagePercentage', 'Average', 'MAX'],
      [built.cache.metricEvictions(), 'Evictions', 'Sum', 'SUM'],
      [built.cache.metricCacheHitRate(), 'CacheHitRate', 'Average', 'AVG'],
      [built.cache.metricReplicationLag()!, 'ReplicationLag', 'Maximum', 'MAX'],
      [built.cache.metricCurrentConnections(), 'CurrConnections', 'Maximum', 'SUM'],
      [built.cache.metricGlobalDatastoreReplicationLag(), 'GlobalDatastoreReplicationLag', 'Maximum', 'MAX'],
    ];
    for (const [metric, metricName, statistic, across] of cases) {
      const math = metric as cloudwatch.MathExpression;
      expect(math.expression).toBe(`${across}([n0,n1])`);
      expect(Object.values(math.usingMetrics)).toEqual([
        expect.objectContaining({ metricName, statistic, dimensions: { CacheClusterId: 'app-cache-001' } }),
        expect.objectContaining({ metricName, statistic, dimensions: { CacheClusterId: 'app-cache-002' } }),
      ]);
    }
    expect(() => built.cache.metricEvictions('other-001')).toThrow(/other-001 is not a node of this cache/);
  });
});

describe('RegionalCache options', () => {
  test('cluster mode shards over N node groups with replicas each, through the configuration endpoint', () => {
    const { template, cache, stack } = buildCache({ clusterMode: true, shards: 4, replicas: 2 });
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      ClusterMode: 'enabled',
      NumNodeGroups: 4,
      ReplicasPerNodeGroup: 2,
      NumCacheClusters: Match.absent(),
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
    });
    template.hasResourceProperties('AWS::ElastiCache::ParameterGroup', {
      Properties: Match.objectLike({ 'cluster-enabled': 'yes' }),
    });
    expect(stack.resolve(cache.host)).toEqual({ 'Fn::GetAtt': [expect.any(String), 'ConfigurationEndPoint.Address'] });
    expect(cache.memberClusterIds).toHaveLength(12);
    expect(cache.memberClusterIds).toContain('app-cache-0004-003');
    expect(() => cache.metricEvictions()).toThrow(/needs 1 to 10 nodes, this group has 12/);
  });

  test('runs Redis OSS with its own parameter family when asked', () => {
    const { template } = buildCache({ engine: 'redis', engineVersion: '7.1' });
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { Engine: 'redis', EngineVersion: '7.1' });
    template.hasResourceProperties('AWS::ElastiCache::ParameterGroup', { CacheParameterGroupFamily: 'redis7' });
  });

  test('merges given parameters over the defaults', () => {
    const { template } = buildCache({ parameters: { 'maxmemory-policy': 'volatile-lru', timeout: '300' } });
    template.hasResourceProperties('AWS::ElastiCache::ParameterGroup', {
      Properties: { 'maxmemory-policy': 'volatile-lru', timeout: '300', 'cluster-enabled': 'no' },
    });
  });

  test('dev: no snapshots kept and everything deleted with the stack', () => {
    const { template } = buildCache({ removalPolicy: RemovalPolicy.DESTROY, snapshotRetentionDays: 0 });
    template.hasResource('AWS::ElastiCache::ReplicationGroup', {
      Properties: { SnapshotRetentionLimit: 0 },
      DeletionPolicy: 'Delete',
    });
    for (const type of [
      'AWS::SecretsManager::Secret',
      'AWS::ElastiCache::ParameterGroup',
      'AWS::ElastiCache::SubnetGroup',
    ]) {
      template.hasResource(type, { DeletionPolicy: 'Delete' });
    }
  });

  test('a retained cache keeps the groups it runs in', () => {
    const { template } = buildCache({ removalPolicy: RemovalPolicy.RETAIN });
    template.hasResource('AWS::ElastiCache::ReplicationGroup', { DeletionPolicy: 'Retain' });
    for (const type of [
      'AWS::ElastiCache::ParameterGroup',
      'AWS::ElastiCache::SubnetGroup',
      'AWS::EC2::SecurityGroup',
    ]) {
      template.hasResource(type, { Properties: Match.anyValue(), DeletionPolicy: 'Retain' });
    }
  });
});

describe('RegionalCache without replicas (dev)', () => {
  let built: Built;
  beforeAll(() => {
    built = buildCache({ replicas: 0, nodeType: 'cache.t4g.micro' });
  });

  test('is a single node with Multi-AZ and automatic failover off', () => {
    built.template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      NumCacheClusters: 1,
      MultiAZEnabled: false,
      AutomaticFailoverEnabled: false,
      ClusterMode: 'disabled',
    });
    expect(built.cache.replicas).toBe(0);
    expect(built.cache.multiAz).toBe(false);
    expect(built.cache.memberClusterIds).toEqual(['app-cache-001']);
  });

  test('keeps TLS, encryption at rest and the AUTH token', () => {
    built.template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      AtRestEncryptionEnabled: true,
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AuthToken: Match.anyValue(),
    });
  });

  test('has no replication-lag metric; the others cover the one node', () => {
    expect(built.cache.metricReplicationLag()).toBeUndefined();
    expect((built.cache.metricEngineCpuUtilization() as cloudwatch.MathExpression).expression).toBe('MAX([n0])');
  });

  test('acknowledges cdk-nag AEC4 (Multi-AZ) on the replication group alone', () => {
    const acknowledged = built.cache.replicationGroup.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.keys(entry.data as object))
      .map((id) => id.replace(/^annotation::/i, ''));
    expect(acknowledged).toEqual(['AwsSolutions-AEC4']);
  });

  test('in cluster mode keeps automatic failover on, as ElastiCache requires, but not Multi-AZ', () => {
    const { template, cache } = buildCache({ replicas: 0, clusterMode: true, shards: 3 });
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      NumNodeGroups: 3,
      ReplicasPerNodeGroup: 0,
      MultiAZEnabled: false,
      AutomaticFailoverEnabled: true,
    });
    expect(cache.memberClusterIds).toEqual(['app-cache-0001-001', 'app-cache-0002-001', 'app-cache-0003-001']);
  });
});

describe('RegionalCache in a global datastore', () => {
  test('the primary creates the datastore named after its group and replicates the token to the secondaries', () => {
    const { template } = buildCache({
      global: { role: 'primary', secondaryRegions: ['us-east-1', 'ap-northeast-2'], keyAlias: 'alias/app/data' },
    });
    template.hasResource('AWS::ElastiCache::GlobalReplicationGroup', {
      Properties: {
        GlobalReplicationGroupIdSuffix: 'app-cache',
        AutomaticFailoverEnabled: true,
        Members: [
          {
            ReplicationGroupId: { Ref: Match.stringLikeRegexp('^CacheReplicationGroup') },
            ReplicationGroupRegion: 'eu-west-1',
            Role: 'PRIMARY',
          },
        ],
      },
      DeletionPolicy: 'RetainExceptOnCreate',
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'app-cache/auth-token',
      ReplicaRegions: [
        { Region: 'us-east-1', KmsKeyId: 'alias/app/data' },
        { Region: 'ap-northeast-2', KmsKeyId: 'alias/app/data' },
      ],
    });
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      AuthToken: Match.anyValue(),
      Engine: 'valkey',
    });
  });

  test('a secondary joins by id and sets none of the settings it inherits', () => {
    const { template, cache } = buildCache({ global: SECONDARY, replicas: 2 }, 'us-east-1');
    const inherited = [
      'Engine',
      'EngineVersion',
      'CacheNodeType',
      'CacheParameterGroupName',
      'AuthToken',
      'AtRestEncryptionEnabled',
      'TransitEncryptionEnabled',
      'TransitEncryptionMode',
      'NumNodeGroups',
      'ClusterMode',
    ];
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      GlobalReplicationGroupId: 'ldgnf-app-cache',
      KmsKeyId: KEY,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      NumCacheClusters: 3,
      Port: 6380,
      ...Object.fromEntries(inherited.map((name) => [name, Match.absent()])),
    });
    template.resourceCountIs('AWS::ElastiCache::ParameterGroup', 0);
    template.resourceCountIs('AWS::ElastiCache::GlobalReplicationGroup', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(cache.authSecret.secretName).toBe('app-cache/auth-token');
    expect(cache.parameterGroup).toBeUndefined();
  });
});

describe('RegionalCache validation', () => {
  let build: (props: Partial<RegionalCacheProps>) => RegionalCache;
  beforeAll(() => {
    const { stack, dependencies } = regionStack('eu-west-1');
    let n = 0;
    build = (props) => new RegionalCache(stack, `Cache${n++}`, { ...dependencies, ...props });
  });

  test.each<[string, Partial<RegionalCacheProps>, RegExp]>([
    [
      'a node type without the cache. prefix',
      { nodeType: 'r7g.large' },
      /^Cache-eu-west-1\/Cache\d+: nodeType = "r7g\.large" is malformed \(allowed: an ElastiCache node type/,
    ],
    [
      'a negative replica count',
      { replicas: -1 },
      /^Cache-eu-west-1\/Cache\d+: replicas = -1 is out of range \(allowed: an integer from 0 to 5/,
    ],
    [
      'a global datastore primary without replicas',
      { global: { role: 'primary' }, replicas: 0 },
      /^Cache-eu-west-1\/Cache\d+: replicas = 0 is too few for a global datastore \(allowed: at least 1 with global/,
    ],
    [
      'a global datastore secondary without replicas',
      { global: SECONDARY, replicas: 0 },
      /^Cache-eu-west-1\/Cache\d+: replicas = 0 is too few for a global datastore/,
    ],
    ['six replicas', { replicas: 6 }, /^Cache-eu-west-1\/Cache\d+: replicas = 6 is out of range/],
    ['a fractional replica count', { replicas: 1.5 }, /^Cache-eu-west-1\/Cache\d+: replicas = 1\.5 is out of range/],
    [
      'shards without cluster mode',
      { shards: 2 },
      /^Cache-eu-west-1\/Cache\d+: shards = 2 needs cluster mode \(allowed: 1 unless clusterMode is true\)/,
    ],
    [
      'no shard',
      { clusterMode: true, shards: 0 },
      /^Cache-eu-west-1\/Cache\d+: shards = 0 is out of range \(allowed: an integer from 1 to 500\)/,
    ],
    ['501 shards', { clusterMode: true, shards: 501 }, /^Cache-eu-west-1\/Cache\d+: shards = 501 is out of range/],
    [
      'more than 500 nodes',
      { clusterMode: true, shards: 100, replicas: 5 },
      /^Cache-eu-west-1\/Cache\d+: shards = 100 is too many nodes \(allowed: at most 83 with 5 replicas/,
    ],
    [
      'negative snapshot retention',
      { snapshotRetentionDays: -1 },
      /^Cache-eu-west-1\/Cache\d+: snapshotRetentionDays = -1 is out of range \(allowed: an integer from 0 to 35\)/,
    ],
    [
      '36 days of snapshots',
      { snapshotRetentionDays: 36 },
      /^Cache-eu-west-1\/Cache\d+: snapshotRetentionDays = 36 is out of range/,
    ],
    [
      'a version without minor',
      { engineVersion: '8' },
      /^Cache-eu-west-1\/Cache\d+: engineVersion = "8" is malformed \(allowed: a major\.minor version such as 8\.1\)/,
    ],
    [
      'an unknown Valkey major',
      { engineVersion: '9.0' },
      /^Cache-eu-west-1\/Cache\d+: engineVersion = "9\.0" is not supported \(allowed: valkey 7\.x or 8\.x\)/,
    ],
    [
      'an old Redis OSS',
      { engine: 'redis', engineVersion: '5.0' },
      /^Cache-eu-west-1\/Cache\d+: engineVersion = "5\.0" is not supported \(allowed: redis 6\.x or 7\.x\)/,
    ],
    [
      'an unknown engine',
      { engine: 'memcached' as never },
      /^Cache-eu-west-1\/Cache\d+: engine = "memcached" is not allowed \(allowed: valkey, redis\)/,
    ],
    [
      'a privileged port',
      { port: 80 },
      /^Cache-eu-west-1\/Cache\d+: port = 80 is out of range \(allowed: an integer from 1024 to 65535\)/,
    ],
    [
      'a malformed snapshot window',
      { snapshotWindow: '3:00-4:00' },
      /^Cache-eu-west-1\/Cache\d+: snapshotWindow = "3:00-4:00" is malformed/,
    ],
    [
      'a malformed maintenance window',
      { maintenanceWindow: 'sunday:04:00-sunday:05:00' },
      /^Cache-eu-west-1\/Cache\d+: maintenanceWindow = "sunday:04:00-sunday:05:00" is malformed/,
    ],
    [
      'an id with upper case',
      { replicationGroupId: 'App-Cache' },
      /^Cache-eu-west-1\/Cache\d+: replicationGroupId = "App-Cache" is malformed/,
    ],
    [
      'an id with a doubled hyphen',
      { replicationGroupId: 'app--cache' },
      /^Cache-eu-west-1\/Cache\d+: replicationGroupId = "app--cache" is malformed/,
    ],
    [
      'an id over 40 characters',
      { replicationGroupId: `a${'b'.repeat(40)}` },
      /^Cache-eu-west-1\/Cache\d+: replicationGroupId = "ab+" is malformed/,
    ],
    [
      'cluster-enabled against the mode',
      { parameters: { 'cluster-enabled': 'yes' } },
      /^Cache-eu-west-1\/Cache\d+: parameters\.cluster-enabled = "yes" contradicts cluster mode \(allowed: "no"/,
    ],
    [
      'a secondary without an id',
      { global: { role: 'secondary', globalReplicationGroupId: '' } },
      /^Cache-eu-west-1\/Cache\d+: global\.globalReplicationGroupId = "" is required for a secondary/,
    ],
    [
      'a secondary id without the region prefix',
      { global: { role: 'secondary', globalReplicationGroupId: 'app-cache' } },
      /^Cache-eu-west-1\/Cache\d+: global\.globalReplicationGroupId = "app-cache" is malformed/,
    ],
    [
      'a secondary with a node type',
      { global: SECONDARY, nodeType: 'cache.r7g.large' },
      /^Cache-eu-west-1\/Cache\d+: nodeType = "cache\.r7g\.large" cannot be set on a global datastore secondary \(allowed: unset/,
    ],
    [
      'a secondary with an engine',
      { global: SECONDARY, engine: 'valkey' },
      /^Cache-eu-west-1\/Cache\d+: engine = "valkey" cannot be set on a global datastore secondary/,
    ],
    [
      'a secondary with a version',
      { global: SECONDARY, engineVersion: '8.1' },
      /^Cache-eu-west-1\/Cache\d+: engineVersion = "8\.1" cannot be set on a global datastore secondary/,
    ],
    [
      'a secondary with parameters',
      { global: SECONDARY, parameters: {} },
      /^Cache-eu-west-1\/Cache\d+: parameters = \{\} cannot be set on a global datastore secondary/,
    ],
    [
      'a burstable primary',
      { global: { role: 'primary' }, nodeType: 'cache.t4g.micro' },
      /^Cache-eu-west-1\/Cache\d+: nodeType = "cache\.t4g\.micro" cannot join a global datastore/,
    ],
    [
      'secondary regions without a key alias',
      { global: { role: 'primary', secondaryRegions: ['us-east-1'] } },
      /^Cache-eu-west-1\/Cache\d+: global\.keyAlias = \(missing\) is required with secondaryRegions/,
    ],
  ])('rejects %s', (_what, props, message) => {
    expect(() => build(props)).toThrow(PropError);
    expect(() => build(props)).toThrow(message);
  });
});

describe('RegionalCache under cdk-nag', () => {
  test('a regional cache, a single node, a global primary and a secondary synthesize with no finding', () => {
    const app = new App();
    const cases: [string, Partial<RegionalCacheProps>][] = [
      ['eu-west-1', {}],
      ['eu-central-1', { replicas: 0, nodeType: 'cache.t4g.micro' }],
      ['eu-west-2', { global: { role: 'primary', secondaryRegions: ['us-east-1'], keyAlias: 'alias/app/data' } }],
      ['us-east-1', { global: SECONDARY }],
    ];
    for (const [region, props] of cases) {
      const { stack, dependencies } = regionStack(region, app);
      new RegionalCache(stack, 'Cache', { ...dependencies, ...props });
    }
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // synth() throws on any unacknowledged cdk-nag or template-lint finding.
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf-8'));
    const reports: { violations: unknown[] }[] = report.pluginReports;
    expect(reports.flatMap((r) => r.violations)).toEqual([]);
  });
});
