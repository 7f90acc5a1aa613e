import { App, CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { PropError } from '../../lib/constructs/validation';
import { RegionalCache } from '../../lib/constructs/cache';
import {
  CACHE_DRILL_TAG,
  ChaosDrills,
  ChaosDrillsProps,
  DRILL_NAMES,
  DrillName,
  MAX_ARNS_PER_TARGET,
  tagCacheForDrills,
} from '../../lib/constructs/chaos';
import { grantDrillPermissions } from '../../lib/constructs/chaos/permissions';
import { AuroraShard, ShardRole } from '../../lib/constructs/database';
import { WorkQueue } from '../../lib/constructs/work-queue';
import { FEATURE_FLAGS, clusterAndTask, fargateService, regionalFoundation } from '../helpers';
import { Json, experiment } from './chaos.fixture';

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
    expect(make({ taskStopPercent: value })).toThrow(PropError);
    expect(make({ taskStopPercent: value })).toThrow(
      /^Region\/Drills\d+: taskStopPercent = \S+ is not allowed \(allowed: an integer from 1 to 100\)$/,
    );
  });

  test.each([0, 61, 2.5])('rejects drillMinutes %p', (value) => {
    expect(make({ drillMinutes: value })).toThrow(/^Region\/Drills\d+: drillMinutes = \S+ .*an integer from 1 to 60/);
  });

  test('rejects a zone the VPC does not span', () => {
    expect(make({ availabilityZone: 'eu-west-1d' })).toThrow(
      /^Region\/Drills\d+: availabilityZone = "eu-west-1d" is not a zone of the VPC \(allowed: a zone of the VPC: eu-west-1a, eu-west-1b, eu-west-1c\)$/,
    );
  });

  test.each([Duration.millis(1500), Duration.seconds(0), Duration.days(2)])('rejects a cache TTL of %s', (ttl) => {
    expect(make({ cacheTtl: ttl })).toThrow(
      /^Region\/Drills\d+: cacheTtl = \S+ .*a whole number of seconds from 1 to 86400/,
    );
  });

  test('rejects a region without database shards', () => {
    expect(make({ databases: [] })).toThrow(
      /^Region\/Drills\d+: databases = \[\] leaves the database-failover drill nothing/,
    );
  });

  test('rejects an empty app name', () => {
    expect(make({ appName: ' ' })).toThrow(/^Region\/Drills\d+: appName = " " is empty/);
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
