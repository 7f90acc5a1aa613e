import { App, CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ConfigError } from '../../lib/config';
import { RegionalCache } from '../../lib/constructs/cache';
import {
  CACHE_DRILL_TAG,
  ChaosDrills,
  ChaosDrillsProps,
  DENY_RECEIVE_SID,
  DRILL_NAMES,
  DrillName,
  MAX_ARNS_PER_TARGET,
  pascalDrillName,
  tagCacheForDrills,
} from '../../lib/constructs/chaos';
import { grantDrillPermissions } from '../../lib/constructs/chaos/permissions';
import { AuroraShard, ShardRole } from '../../lib/constructs/database';
import { WorkQueue } from '../../lib/constructs/work-queue';
import { ServiceStack } from '../../lib/stacks/service-stack';
import {
  BuiltBlueprint,
  FEATURE_FLAGS,
  buildApp,
  clusterAndTask,
  fargateService,
  regionalFoundation,
} from '../helpers';

type Json = Record<string, any>;

// ---------------------------------------------------------------------------------------------
// Construct-level fixture: one region in miniature.
// ---------------------------------------------------------------------------------------------

interface Fixture {
  readonly stack: Stack;
  readonly base: ChaosDrillsProps;
  readonly ids: { readonly alarm: string; readonly cluster: string; readonly service: string };
}

interface FixtureOptions {
  readonly region?: string;
  /** Run CDK's CloudFormation lint at synth (schema checks of the FIS templates); costs seconds. */
  readonly lint?: boolean;
  /** Replicas of the cache; 0 is a single node without Multi-AZ. */
  readonly cacheReplicas?: number;
}

/** GIVEN a region's network, key, api service, database shards, cache, invalidation queue and health alarm. */
function fixture(shards: readonly { role: ShardRole; readers: number }[], options: FixtureOptions = {}): Fixture {
  const { region = 'eu-west-1', lint = false, cacheReplicas = 1 } = options;
  const app = new App({ context: FEATURE_FLAGS, builtinCloudFormationValidation: lint });
  const stack = new Stack(app, 'Region', { env: { region } });
  const { key, vpc } = regionalFoundation(stack);
  const api = clusterAndTask(stack, vpc, { name: 'api' });
  const { cluster } = api;
  const service = fargateService(stack, 'Api', api);
  const clients = new ec2.SecurityGroup(stack, 'Clients', { vpc, description: 'service tasks' });
  const databases = shards.map(
    ({ role, readers }, shardIndex) =>
      new AuroraShard(stack, `Shard${shardIndex}`, {
        appName: 'app',
        shardIndex,
        role,
        vpc,
        key,
        clientSecurityGroup: clients,
        readers,
      }),
  );
  const cache = new RegionalCache(stack, 'Cache', {
    vpc,
    key,
    clientSecurityGroup: clients,
    replicationGroupId: 'app-cache',
    replicas: cacheReplicas,
  });
  const invalidations = new WorkQueue(stack, 'Invalidations', { key });
  const alarm = new cloudwatch.CompositeAlarm(stack, 'RegionHealth', {
    alarmRule: cloudwatch.AlarmRule.fromBoolean(false),
  });
  const idOf = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnResource);
  return {
    stack,
    base: {
      appName: 'app',
      stopCondition: alarm,
      cluster,
      service,
      vpc,
      databases,
      cache,
      invalidationQueue: invalidations.queue,
      logKey: key,
    },
    ids: { alarm: idOf(alarm), cluster: idOf(cluster), service: idOf(service) },
  };
}

/** The one experiment template of `drill` (found by its `drill` tag). */
function experiment(template: Template, drill: DrillName): Json {
  const found = Object.values(
    template.findResources('AWS::FIS::ExperimentTemplate', { Properties: { Tags: { drill } } }),
  );
  expect(found).toHaveLength(1);
  return found[0].Properties;
}

/** Statements of the policy attached to the role with logical id `roleId`. */
function statementsOf(template: Template, roleId: string): Json[] {
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
  );
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const isWildcard = (resource: unknown) => JSON.stringify(resource).includes('*');

/** Ids of the rules acknowledged on `construct` itself. */
function acknowledgedIds(construct: IConstruct): string[] {
  return construct.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.keys(entry.data as object))
    .map((id) => id.replace(/^annotation::/i, ''));
}

describe('ChaosDrills with defaults', () => {
  let built: Fixture;
  let drills: ChaosDrills;
  let template: Template;
  beforeAll(() => {
    built = fixture([{ role: 'primary', readers: 1 }], { lint: true });
    drills = new ChaosDrills(built.stack, 'Drills', built.base);
    template = Template.fromStack(built.stack);
  });

  test('makes one template per drill, each with its own role, exposed by drill name', () => {
    template.resourceCountIs('AWS::FIS::ExperimentTemplate', DRILL_NAMES.length);
    expect(Object.keys(drills.experiments).sort()).toEqual([...DRILL_NAMES].sort());
    expect(new Set(Object.values(drills.roles)).size).toBe(DRILL_NAMES.length);
    for (const name of DRILL_NAMES) {
      expect(experiment(template, name).RoleArn).toEqual({
        'Fn::GetAtt': [built.stack.getLogicalId(drills.roles[name]!.node.defaultChild as CfnResource), 'Arn'],
      });
    }
  });

  test('stops half the api tasks and holds the other faults 10 minutes', () => {
    expect(experiment(template, 'task-loss').Targets['api-tasks'].SelectionMode).toBe('PERCENT(50)');
    for (const drill of ['az-loss', 'region-loss', 'cache-failover'] as const) {
      for (const action of Object.values(experiment(template, drill).Actions) as Json[]) {
        expect(action.Parameters.duration).toBe('PT10M');
      }
    }
  });

  test("takes out the VPC's first zone", () => {
    expect(drills.availabilityZone).toBe('eu-west-1a');
    expect(Object.keys(experiment(template, 'az-loss').Targets)).toEqual(['subnets-eu-west-1a']);
    expect(experiment(template, 'cache-failover').Targets.cache.Parameters).toEqual({
      availabilityZoneIdentifier: 'eu-west-1a',
    });
  });

  test('keeps the experiment logs 90 days, encrypted with the data key, after the stack is gone', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        RetentionInDays: 90,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test("states the service's default 60 s cache TTL as the split-brain staleness bound", () => {
    expect(experiment(template, 'split-brain').Description).toContain('at most the cache TTL (60 s)');
  });

  test('says the other regions absorb the traffic of a lost region, unnamed', () => {
    expect(experiment(template, 'region-loss').Description).toContain('and the other regions absorb its traffic.');
  });

  test('descriptions fit the 512 characters FIS allows', () => {
    for (const name of DRILL_NAMES) expect(experiment(template, name).Description.length).toBeLessThanOrEqual(512);
  });

  test('FIS may assume the roles only for experiments of this account and region', () => {
    for (const name of DRILL_NAMES) {
      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: Match.absent(),
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Principal: { Service: 'fis.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnLike: {
                  'aws:SourceArn': {
                    'Fn::Join': ['', ['arn:aws:fis:eu-west-1:', { Ref: 'AWS::AccountId' }, ':experiment/*']],
                  },
                },
              },
            },
          ],
        },
      });
      expect(drills.roles[name]).toBeInstanceOf(iam.Role);
    }
  });

  test('passes cdk-nag AwsSolutions, each wildcard acknowledged by name on its own role', () => {
    const violations = new AwsSolutionsChecks()
      .validateScope(built.stack)
      .violations.filter((v) => v.violatingResources.some((r) => r.constructPath?.includes('/Drills/')));
    expect(violations).toEqual([]);
    const clusterId = built.ids.cluster;
    const expected: Record<DrillName, (string | RegExp)[]> = {
      'task-loss': ['*', `arn:aws:ecs:eu-west-1:<AWS::AccountId>:task/<${clusterId}>/*`],
      'az-loss': ['*', 'arn:aws:ec2:eu-west-1:<AWS::AccountId>:network-acl/*'],
      'region-loss': ['*', 'arn:aws:ec2:eu-west-1:<AWS::AccountId>:network-acl/*'],
      'database-failover': ['*', 'arn:aws:rds:eu-west-1:<AWS::AccountId>:cluster:*'],
      'cache-failover': ['*', 'arn:aws:elasticache:eu-west-1:<AWS::AccountId>:replicationgroup:*'],
      'split-brain': [
        '*',
        /^arn:aws:ssm:eu-west-1:<AWS::AccountId>:automation-definition\/<DrillsInvalidationPauseDocument[0-9A-F]+>:\*$/,
        'arn:aws:ssm:eu-west-1:<AWS::AccountId>:automation-execution/*',
      ],
    };
    for (const name of DRILL_NAMES) {
      const resources = acknowledgedIds(drills.roles[name]!).map((id) => {
        expect(id).toMatch(/^AwsSolutions-IAM5\[Resource::.+\]$/);
        return id.slice('AwsSolutions-IAM5[Resource::'.length, -1);
      });
      expect(resources).toHaveLength(expected[name].length);
      expected[name].forEach((resource, i) =>
        typeof resource === 'string' ? expect(resources[i]).toBe(resource) : expect(resources[i]).toMatch(resource),
      );
    }
  });
});

describe('ChaosDrills options', () => {
  test('takes the zone, durations, retention and removal policy it is given', () => {
    const { stack, base } = fixture([{ role: 'primary', readers: 1 }]);
    new ChaosDrills(stack, 'Drills', {
      ...base,
      availabilityZone: 'eu-west-1b',
      taskStopPercent: 100,
      drillMinutes: 60,
      cacheTtl: Duration.minutes(5),
      otherRegions: [],
      logRetention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const template = Template.fromStack(stack);
    expect(experiment(template, 'task-loss').Targets['api-tasks'].SelectionMode).toBe('PERCENT(100)');
    expect(Object.keys(experiment(template, 'az-loss').Targets)).toEqual(['subnets-eu-west-1b']);
    expect(experiment(template, 'cache-failover').Actions['interrupt-az-power'].Parameters.duration).toBe('PT1H');
    expect(experiment(template, 'split-brain').Description).toContain('(300 s)');
    expect(experiment(template, 'region-loss').Description).toContain(
      'with no other region to take over, the app is down until the drill ends',
    );
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 7 }, DeletionPolicy: 'Delete' });
  });

  test('reboots the writer of a primary shard that has no reader to fail over to', () => {
    const { stack, base } = fixture([{ role: 'primary', readers: 0 }]);
    new ChaosDrills(stack, 'Drills', base);
    const drill = experiment(Template.fromStack(stack), 'database-failover');
    expect(Object.values(drill.Actions).map((a: any) => a.ActionId)).toEqual(['aws:rds:reboot-db-instances']);
    expect(drill.Targets.instances.ResourceArns).toHaveLength(1);
    expect(drill.Description).toContain('without a reader to fail over to');
  });

  test(`splits more than ${MAX_ARNS_PER_TARGET} instances over several targets, all rebooted at once`, () => {
    // GIVEN a secondary region whose two shards have 1 + 6 instances each (14 readers)
    const { stack, base } = fixture(
      [
        { role: 'secondary', readers: 6 },
        { role: 'secondary', readers: 6 },
      ],
      { region: 'ap-northeast-2' },
    );
    new ChaosDrills(stack, 'Drills', base);
    const drill = experiment(Template.fromStack(stack), 'database-failover');
    const targets = Object.entries(drill.Targets) as [string, Json][];
    expect(targets.map(([name]) => name)).toEqual(['instances', 'instances-2', 'instances-3']);
    expect(targets.map(([, t]) => t.ResourceArns.length)).toEqual([5, 5, 4]);
    expect(Object.values(drill.Actions).map((a: any) => [a.Targets.DBInstances, a.StartAfter])).toEqual([
      ['instances', undefined],
      ['instances-2', undefined],
      ['instances-3', undefined],
    ]);
  });
});

describe('ChaosDrills over a cache without replicas (dev)', () => {
  let drills: ChaosDrills;
  let template: Template;
  beforeAll(() => {
    // GIVEN cache.replicas = 0: one node, no Multi-AZ, which FIS's AZ power interruption does not target
    const built = fixture([{ role: 'primary', readers: 0 }], { cacheReplicas: 0 });
    // WHEN the data stack tags the cache for drills, as it does with resilience.drills on
    tagCacheForDrills(built.base.cache);
    drills = new ChaosDrills(built.stack, 'Drills', built.base);
    template = Template.fromStack(built.stack);
  });

  test('has every drill but cache failover: there is no replica to fail over to', () => {
    const expected = DRILL_NAMES.filter((name) => name !== 'cache-failover');
    expect(drills.drillNames).toEqual(expected);
    expect(Object.keys(drills.experiments)).toEqual(expected);
    expect(Object.keys(drills.roles)).toEqual(expected);
    template.resourceCountIs('AWS::FIS::ExperimentTemplate', expected.length);
    expect(JSON.stringify(template.toJSON())).not.toContain('elasticache:InterruptClusterAzPower');
  });

  test('leaves the cache untagged: no drill looks for it', () => {
    const cache = Object.values(template.findResources('AWS::ElastiCache::ReplicationGroup'))[0];
    expect(JSON.stringify(cache)).not.toContain(CACHE_DRILL_TAG);
  });
});

describe('ChaosDrills validation', () => {
  let built: Fixture;
  let attempt = 0;
  beforeAll(() => {
    built = fixture([{ role: 'primary', readers: 1 }]);
  });
  const make = (props: Partial<ChaosDrillsProps>) => () =>
    new ChaosDrills(built.stack, `Drills${attempt++}`, { ...built.base, ...props });

  test.each([0, 101, 12.5])('rejects taskStopPercent %p', (value) => {
    expect(make({ taskStopPercent: value })).toThrow(ConfigError);
    expect(make({ taskStopPercent: value })).toThrow(
      /^resilience\.taskStopPercent = \S+ is not allowed \(allowed: an integer from 1 to 100\)$/,
    );
  });

  test.each([0, 61, 2.5])('rejects drillMinutes %p', (value) => {
    expect(make({ drillMinutes: value })).toThrow(/^resilience\.drillMinutes = \S+ .*an integer from 1 to 60/);
  });

  test('rejects a zone the VPC does not span', () => {
    expect(make({ availabilityZone: 'eu-west-1d' })).toThrow(
      /^resilience\.availabilityZone = "eu-west-1d" is not a zone of the VPC \(allowed: a zone of the VPC: eu-west-1a, eu-west-1b, eu-west-1c\)$/,
    );
  });

  test.each([Duration.millis(1500), Duration.seconds(0), Duration.days(2)])('rejects a cache TTL of %s', (ttl) => {
    expect(make({ cacheTtl: ttl })).toThrow(/^resilience\.cacheTtl = \S+ .*a whole number of seconds from 1 to 86400/);
  });

  test('rejects a region without database shards', () => {
    expect(make({ databases: [] })).toThrow(/^database\.shards = 0 leaves the database-failover drill nothing/);
  });

  test('rejects an empty app name', () => {
    expect(make({ appName: ' ' })).toThrow(/^appName = " " is empty/);
  });

  test('names the config section the props come from', () => {
    expect(make({ taskStopPercent: 0, configPath: 'chaos' })).toThrow(/^chaos\.taskStopPercent = 0 /);
  });
});

describe('Drill permissions', () => {
  test('a wildcard granted without a reason stays unacknowledged and fails cdk-nag', () => {
    const stack = new Stack(new App(), 'Roles');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('fis.amazonaws.com') });
    grantDrillPermissions(role, [{ actions: ['ec2:DescribeSubnets'], resources: ['*'] }]);
    const rules = new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName);
    expect(rules).toContain('AwsSolutions-IAM5[Resource::*]');
  });
});

// ---------------------------------------------------------------------------------------------
// The drills as the prod app wires them (config: 34% of tasks, 7-minute drills).
// ---------------------------------------------------------------------------------------------

describe('the drills in the prod app', () => {
  let prod: BuiltBlueprint;
  let primary: ServiceStack;
  let secondary: ServiceStack;
  let templates: { primary: Template; secondary: Template };
  const idOf = (stack: Stack, construct: IConstruct) =>
    stack.getLogicalId((CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild) as CfnResource);
  beforeAll(() => {
    prod = buildApp({ 'resilience.taskStopPercent': 34, 'resilience.drillMinutes': 7 }, { checks: false });
    primary = prod.service.get('us-east-1')!;
    secondary = prod.service.get('eu-west-1')!;
    templates = { primary: Template.fromStack(primary), secondary: Template.fromStack(secondary) };
  });

  test("every drill stops on the region's composite health alarm and logs to the drill log group", () => {
    for (const [stack, template] of [
      [primary, templates.primary],
      [secondary, templates.secondary],
    ] as const) {
      const alarm = { 'Fn::GetAtt': [idOf(stack, stack.monitoring.regionHealthAlarm), 'Arn'] };
      const logGroup = { 'Fn::GetAtt': [idOf(stack, stack.drills!.logGroup), 'Arn'] };
      for (const name of DRILL_NAMES) {
        const drill = experiment(template, name);
        expect(drill.StopConditions).toEqual([{ Source: 'aws:cloudwatch:alarm', Value: alarm }]);
        expect(drill.LogConfiguration).toEqual({
          LogSchemaVersion: 2,
          CloudWatchLogsConfiguration: { LogGroupArn: logGroup },
        });
        expect(drill.ExperimentOptions).toEqual({
          AccountTargeting: 'single-account',
          EmptyTargetResolutionMode: 'fail',
        });
        expect(drill.Tags).toEqual({ Name: `blueprint-${stack.region}-${name}`, drill: name });
      }
    }
  });

  test("the log group is encrypted with the region's data key and kept for logRetentionDays", () => {
    templates.primary.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        RetentionInDays: prod.config.logRetentionDays,
        KmsKeyId: {
          'Fn::GetStackOutput': Match.objectLike({
            StackName: 'blueprint-Data-us-east-1',
            OutputName: Match.stringLikeRegexp('DataKey.*Arn'),
          }),
        },
      },
      DeletionPolicy: 'RetainExceptOnCreate',
    });
  });

  test('task-loss stops resilience.taskStopPercent of the api service tasks', () => {
    const drill = experiment(templates.primary, 'task-loss');
    expect(drill.Targets).toEqual({
      'api-tasks': {
        ResourceType: 'aws:ecs:task',
        SelectionMode: 'PERCENT(34)',
        Parameters: {
          cluster: { Ref: idOf(primary, primary.cluster) },
          service: { 'Fn::GetAtt': [idOf(primary, primary.api.service), 'Name'] },
        },
      },
    });
    expect(drill.Actions).toEqual({
      'stop-api-tasks': {
        ActionId: 'aws:ecs:stop-task',
        Description: 'Stop 34% of the api tasks',
        Targets: { Tasks: 'api-tasks' },
      },
    });
  });

  test("az-loss cuts every subnet tier of the region's first zone off for drillMinutes", () => {
    const drill = experiment(templates.primary, 'az-loss');
    const target = drill.Targets['subnets-us-east-1a'];
    expect(Object.keys(drill.Targets)).toEqual(['subnets-us-east-1a']);
    expect(target.ResourceType).toBe('aws:ec2:subnet');
    expect(target.SelectionMode).toBe('ALL');
    expect(subnetNames(target.ResourceArns)).toEqual(['appSubnet1', 'dataSubnet1', 'publicSubnet1']);
    expect(drill.Actions).toEqual({
      'disconnect-us-east-1a': {
        ActionId: 'aws:network:disrupt-connectivity',
        Description: 'Deny all traffic in and out of the us-east-1a subnets',
        Parameters: { scope: 'all', duration: 'PT7M' },
        Targets: { Subnets: 'subnets-us-east-1a' },
      },
    });
  });

  test('region-loss cuts every subnet of the region off, one action per zone, all at once', () => {
    const drill = experiment(templates.primary, 'region-loss');
    const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    expect(Object.keys(drill.Targets)).toEqual(zones.map((z) => `subnets-${z}`));
    expect(subnetNames(Object.values(drill.Targets).flatMap((t: any) => t.ResourceArns))).toHaveLength(9);
    for (const zone of zones) {
      expect(drill.Actions[`disconnect-${zone}`]).toEqual({
        ActionId: 'aws:network:disrupt-connectivity',
        Description: `Deny all traffic in and out of the ${zone} subnets`,
        Parameters: { scope: 'all', duration: 'PT7M' },
        Targets: { Subnets: `subnets-${zone}` },
      });
    }
    expect(drill.Description).toMatch(
      /^Region loss \(Chaos Kong\): .*ALB becomes unreachable, the Route 53 health check withdraws us-east-1 .*, and eu-west-1, ap-northeast-2 absorb its traffic\.$/,
    );
  });

  test('database-failover fails every shard writer over in the primary region', () => {
    const drill = experiment(templates.primary, 'database-failover');
    expect(drill.Targets.clusters.ResourceType).toBe('aws:rds:cluster');
    expect(drill.Targets.clusters.ResourceArns.map(outputName)).toEqual([
      expect.stringMatching(/^PublishOutputRefShard0Cluster/),
      expect.stringMatching(/^PublishOutputRefShard1Cluster/),
    ]);
    expect(drill.Actions).toEqual({
      'fail-over-writers': expect.objectContaining({
        ActionId: 'aws:rds:failover-db-cluster',
        Targets: { Clusters: 'clusters' },
      }),
    });
  });

  test('database-failover reboots the reader instances in a secondary region, which has no writer', () => {
    const drill = experiment(templates.secondary, 'database-failover');
    expect(Object.keys(drill.Targets)).toEqual(['instances']);
    expect(drill.Targets.instances.ResourceType).toBe('aws:rds:db');
    expect(drill.Targets.instances.ResourceArns.map(outputName)).toEqual([
      expect.stringMatching(/^PublishOutputRefShard0ClusterWriter/),
      expect.stringMatching(/^PublishOutputRefShard0ClusterReader1/),
      expect.stringMatching(/^PublishOutputRefShard1ClusterWriter/),
      expect.stringMatching(/^PublishOutputRefShard1ClusterReader1/),
    ]);
    expect(drill.Actions).toEqual({
      'reboot-instances': expect.objectContaining({
        ActionId: 'aws:rds:reboot-db-instances',
        Parameters: { forceFailover: 'false' },
        Targets: { DBInstances: 'instances' },
      }),
    });
    expect(drill.Description).toContain('secondary region with no writer');
  });

  test("cache-failover powers off the cache's nodes in the same zone as az-loss, found by the tag its Data stack sets", () => {
    const drill = experiment(templates.primary, 'cache-failover');
    expect(drill.Targets).toEqual({
      cache: {
        ResourceType: 'aws:elasticache:replicationgroup',
        ResourceTags: { [CACHE_DRILL_TAG]: 'blueprint-cache' },
        Parameters: { availabilityZoneIdentifier: 'us-east-1a' },
        SelectionMode: 'ALL',
      },
    });
    expect(drill.Actions['interrupt-az-power']).toMatchObject({
      ActionId: 'aws:elasticache:replicationgroup-interrupt-az-power',
      Parameters: { duration: 'PT7M' },
      Targets: { ReplicationGroups: 'cache' },
    });
    Template.fromStack(prod.data.get('us-east-1')!).hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      ReplicationGroupId: 'blueprint-cache',
      Tags: Match.arrayWith([{ Key: CACHE_DRILL_TAG, Value: 'blueprint-cache' }]),
    });
  });

  test('split-brain runs the invalidation-pause runbook on this region’s queue for drillMinutes', () => {
    const drill = experiment(templates.primary, 'split-brain');
    const pause = primary.drills!.invalidationPause;
    expect(drill.Targets).toEqual({});
    const action = drill.Actions['pause-invalidations'];
    expect(action.ActionId).toBe('aws:ssm:start-automation-execution');
    expect(action.Parameters.maxDuration).toBe('PT12M');
    expect(JSON.stringify(action.Parameters.documentArn)).toContain(`{"Ref":"${idOf(primary, pause.document)}"}`);
    const parameters = JSON.stringify(action.Parameters.documentParameters);
    expect(parameters).toMatch(/QueueUrl.*PublishOutputRefInvalidationQueue/);
    expect(parameters).toContain(`"Fn::GetAtt":["${idOf(primary, pause.role)}","Arn"]`);
    expect(parameters).toContain('\\"HoldDuration\\":\\"PT7M\\"');
    expect(drill.Description).toMatch(
      /stale by at most the cache TTL \(60 s\) and the invalidation-queue age alarm fires/,
    );
  });

  test('the runbook denies receiving, holds, and restores the saved policy even when cancelled', () => {
    const documents = Object.values(templates.primary.findResources('AWS::SSM::Document')) as Json[];
    expect(documents).toHaveLength(1);
    const { DocumentType, Content } = documents[0].Properties;
    expect(DocumentType).toBe('Automation');
    expect(Content.schemaVersion).toBe('0.3');
    expect(Content.assumeRole).toBe('{{ AutomationAssumeRole }}');
    expect(Content.parameters.HoldDuration.default).toBe('PT7M');
    const [deny, hold, restore] = Content.mainSteps;
    expect([deny.name, hold.name, restore.name]).toEqual(['DenyReceive', 'Hold', 'Restore']);
    expect(deny.action).toBe('aws:executeScript');
    expect(deny.inputs.Script).toContain("'Effect': 'Deny'");
    expect(deny.inputs.Script).toContain("'Principal': '*'");
    expect(deny.inputs.Script).toContain("'Action': 'sqs:ReceiveMessage'");
    expect(deny.inputs.Script).toContain(`SID = '${DENY_RECEIVE_SID}'`);
    // the existing statements are kept: the deny is appended to them
    expect(deny.inputs.Script).toContain('statements.append(');
    expect(deny.outputs).toEqual([{ Name: 'OriginalPolicy', Selector: '$.Payload.originalPolicy', Type: 'String' }]);
    expect(hold).toMatchObject({
      action: 'aws:sleep',
      inputs: { Duration: '{{ HoldDuration }}' },
      onFailure: 'step:Restore',
      onCancel: 'step:Restore',
    });
    expect(restore).toMatchObject({ action: 'aws:executeScript', isEnd: true, maxAttempts: 3 });
    expect(restore.inputs.InputPayload.OriginalPolicy).toBe('{{ DenyReceive.OriginalPolicy }}');
    expect(restore.inputs.Script).toContain("Attributes={'Policy': policy}");
  });

  test('the runbook role is assumable by SSM only and may only read and set the one queue’s attributes', () => {
    const pause = primary.drills!.invalidationPause;
    const roleId = idOf(primary, pause.role);
    templates.primary.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'ssm.amazonaws.com' }, Condition: Match.anyValue() })],
      },
    });
    expect(statementsOf(templates.primary, roleId)).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:GetQueueAttributes', 'sqs:SetQueueAttributes'],
        Resource: {
          'Fn::GetStackOutput': expect.objectContaining({
            OutputName: expect.stringMatching(/^PublishOutputFnGetAttInvalidationQueue.*Arn/),
          }),
        },
      },
    ]);
  });

  test('each role reaches data only through the targets; wildcards only where the action needs them', () => {
    // Actions that may appear with a wildcard resource, per drill (each acknowledged with a reason).
    const logging = [
      'logs:CreateLogDelivery',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ];
    const network = [
      ...logging,
      'ec2:DescribeNetworkAcls',
      'ec2:DescribeSubnets',
      'ec2:DescribeVpcs',
      'ec2:DescribeManagedPrefixLists',
      'ec2:CreateNetworkAcl',
      'ec2:CreateTags',
      'ec2:CreateNetworkAclEntry',
      'ec2:DeleteNetworkAcl',
      'ec2:ReplaceNetworkAclAssociation',
    ];
    const wildcardActions: Record<DrillName, string[]> = {
      'task-loss': [...logging, 'ecs:StopTask', 'ecs:DescribeTasks', 'ecs:ListTasks'],
      'az-loss': network,
      'region-loss': network,
      'database-failover': [...logging, 'rds:DescribeDBClusters'],
      'cache-failover': [
        ...logging,
        'elasticache:InterruptClusterAzPower',
        'elasticache:DescribeReplicationGroups',
        'tag:GetResources',
      ],
      'split-brain': [
        ...logging,
        'ssm:StartAutomationExecution',
        'ssm:GetAutomationExecution',
        'ssm:StopAutomationExecution',
      ],
    };
    const guarded: Record<string, unknown> = {
      'ecs:StopTask': { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [idOf(primary, primary.cluster), 'Arn'] } } },
      'ecs:ListTasks': { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [idOf(primary, primary.cluster), 'Arn'] } } },
      'elasticache:InterruptClusterAzPower': {
        StringEquals: { [`aws:ResourceTag/${CACHE_DRILL_TAG}`]: 'blueprint-cache' },
      },
      'ec2:DeleteNetworkAcl': expect.objectContaining({ StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } }),
      'ec2:ReplaceNetworkAclAssociation': { ArnEquals: { 'ec2:Vpc': expect.anything() } },
    };
    for (const name of DRILL_NAMES) {
      const statements = statementsOf(templates.primary, idOf(primary, primary.drills!.roles[name]!));
      for (const statement of statements) {
        const actions = asList<string>(statement.Action);
        if (asList(statement.Resource).some(isWildcard)) {
          expect({ name, actions: actions.filter((a) => !wildcardActions[name].includes(a)) }).toEqual({
            name,
            actions: [],
          });
        }
        for (const action of actions.filter((a) => a in guarded)) expect(statement.Condition).toEqual(guarded[action]);
      }
      const mutations: Partial<Record<DrillName, string>> = {
        'database-failover': 'rds:FailoverDBCluster',
        'split-brain': 'iam:PassRole',
      };
      const mutation = mutations[name];
      if (mutation) {
        const granting = statements.filter((s) => asList(s.Action).includes(mutation));
        expect(granting).toHaveLength(1);
        expect(asList(granting[0].Resource).some(isWildcard)).toBe(false);
      }
    }
    const secondaryStatements = statementsOf(
      templates.secondary,
      idOf(secondary, secondary.drills!.roles['database-failover']!),
    );
    const reboot = secondaryStatements.find((s) => asList(s.Action).includes('rds:RebootDBInstance'))!;
    expect(asList(reboot.Resource)).toHaveLength(4);
    expect(asList(reboot.Resource).some(isWildcard)).toBe(false);
  });

  test('iam:PassRole is for the runbook role, and only to SSM', () => {
    const statements = statementsOf(templates.primary, idOf(primary, primary.drills!.roles['split-brain']!));
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: { 'Fn::GetAtt': [idOf(primary, primary.drills!.invalidationPause.role), 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
    });
  });

  test('passes cdk-nag AwsSolutions in both regions', () => {
    for (const stack of [primary, secondary]) {
      const violations = new AwsSolutionsChecks()
        .validateScope(stack)
        .violations.filter((v) => v.violatingResources.some((r) => r.constructPath?.includes('/Drills/')));
      expect(violations).toEqual([]);
    }
  });

  test('outputs each template id for the runbooks, named Drill<Drill>TemplateId', () => {
    expect(DRILL_NAMES.map((name) => `Drill${pascalDrillName(name)}TemplateId`)).toEqual([
      'DrillTaskLossTemplateId',
      'DrillAzLossTemplateId',
      'DrillDatabaseFailoverTemplateId',
      'DrillCacheFailoverTemplateId',
      'DrillRegionLossTemplateId',
      'DrillSplitBrainTemplateId',
    ]);
    for (const name of DRILL_NAMES) {
      templates.secondary.hasOutput(`Drill${pascalDrillName(name)}TemplateId`, {
        Value: { 'Fn::GetAtt': [idOf(secondary, secondary.drills!.experiments[name]!), 'Id'] },
      });
    }
  });
});

describe('the prod app with resilience.drills false', () => {
  let off: BuiltBlueprint;
  beforeAll(() => {
    off = buildApp({ 'resilience.drills': false }, { checks: false });
  });

  test('has no drill templates, runbook, roles or outputs, and leaves the cache untagged', () => {
    for (const [region, stack] of off.service) {
      expect(stack.drills).toBeUndefined();
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::FIS::ExperimentTemplate', 0);
      template.resourceCountIs('AWS::SSM::Document', 0);
      expect(Object.keys(template.findOutputs('*')).filter((name) => name.startsWith('Drill'))).toEqual([]);
      const cache = Template.fromStack(off.data.get(region)!).findResources('AWS::ElastiCache::ReplicationGroup');
      expect(JSON.stringify(cache)).not.toContain(CACHE_DRILL_TAG);
    }
  });
});

/** `appSubnet1` etc. from subnet ARNs that name a Data-stack output. */
function subnetNames(arns: Json[]): string[] {
  return arns.map((a) => outputName(a).match(/Vpc(\w+Subnet\d)Subnet/)![1]).sort();
}

/** The Data-stack output an ARN is built from. */
function outputName(arn: Json): string {
  const parts: unknown[] = arn['Fn::Join'][1];
  const output = parts.find((p): p is Json => typeof p === 'object' && p !== null && 'Fn::GetStackOutput' in p);
  return output!['Fn::GetStackOutput'].OutputName;
}
