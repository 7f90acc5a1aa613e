import { Match, Template } from 'aws-cdk-lib/assertions';
import { stacksOf } from '../../scripts/common/assembly';
import { checkDeployOrder } from '../../scripts/deploy-order';
import { BuiltBlueprint, buildApp, configWith } from '../helpers';

/**
 * Decision 14 in the prod profile: backups of every shard with a copy in the second region,
 * Enhanced Monitoring, writer discovery in every shard map, and the read-scaling alarms where
 * Aurora Auto Scaling adds no readers. Built once, without cdk-nag: test/app.test.ts nag-checks this
 * same app (the fixture's prod).
 */
describe('prod: backups, failover endpoints and read scaling', () => {
  let prod: BuiltBlueprint;
  const template = (stack: Parameters<typeof Template.fromStack>[0]) => Template.fromStack(stack);
  beforeAll(() => {
    prod = buildApp({}, { checks: false });
  });

  test('the primary backs up every shard: continuous and daily, the daily copied to the vault in eu-west-1', () => {
    const primary = template(prod.data.get('us-east-1')!);
    primary.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: [
          Match.objectLike({
            RuleName: 'Continuous',
            EnableContinuousBackup: true,
            Lifecycle: { DeleteAfterDays: 14 },
          }),
          Match.objectLike({
            RuleName: 'Daily',
            Lifecycle: { DeleteAfterDays: 35 },
            CopyActions: [
              Match.objectLike({
                DestinationBackupVaultArn: {
                  'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':backup:eu-west-1:')])],
                },
              }),
            ],
          }),
        ],
      },
    });
    const selection = Object.values(primary.findResources('AWS::Backup::BackupSelection'))[0];
    expect(selection.Properties.BackupSelection.Resources).toHaveLength(prod.config.database.shards);
    primary.hasResource('AWS::Backup::BackupVault', {
      DeletionPolicy: 'RetainExceptOnCreate',
      Properties: {
        BackupVaultName: 'blueprint-shards',
        LockConfiguration: Match.absent(),
        AccessPolicy: {
          Statement: [Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' } })],
        },
      },
    });
  });

  test("only eu-west-1's Keys stack holds the copy vault; secondaries take no backups of their own", () => {
    // Encrypted with a key of its own: the secrets-replica key's life does not touch the backups.
    template(prod.keys.get('eu-west-1')!).hasResourceProperties('AWS::Backup::BackupVault', {
      BackupVaultName: 'blueprint-shards',
      EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BackupCopyVaultKey'), 'Arn'] },
    });
    template(prod.keys.get('ap-northeast-2')!).resourceCountIs('AWS::Backup::BackupVault', 0);
    for (const region of ['eu-west-1', 'ap-northeast-2']) {
      template(prod.data.get(region as never)!).resourceCountIs('AWS::Backup::BackupPlan', 0);
    }
  });

  test('the copy vault deploys before the plan that names it', () => {
    const report = checkDeployOrder(stacksOf(prod.app.synth()));
    expect(report.hazards).toEqual([]);
    expect(report.checked).toContainEqual(
      expect.objectContaining({
        stack: 'blueprint-Data-us-east-1',
        thing: 'backup-vault eu-west-1 blueprint-shards',
        producers: ['blueprint-Keys-eu-west-1'],
      }),
    );
  });

  test('a failed backup or copy job opens a ticket in the primary region', () => {
    const service = template(prod.service.get('us-east-1')!);
    service.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'blueprint-us-east-1-backup-jobs-failed',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('MonitoringTicket') }],
    });
  });

  test('every database instance has Enhanced Monitoring every 60 s through a monitoring role', () => {
    for (const stack of prod.data.values()) {
      const instances = Object.values(template(stack).findResources('AWS::RDS::DBInstance'));
      expect(instances.length).toBeGreaterThan(0);
      for (const instance of instances) {
        expect(instance.Properties).toMatchObject({
          MonitoringInterval: 60,
          MonitoringRoleArn: { 'Fn::GetAtt': [expect.stringMatching(/MonitoringRole/), 'Arn'] },
        });
      }
    }
  });

  test('every shard map names the global writer endpoint and the cluster endpoint of its region', () => {
    for (const [region, stack] of prod.service) {
      const tasks = Object.values(template(stack).findResources('AWS::ECS::TaskDefinition'));
      const shardMaps = tasks.flatMap((task) =>
        task.Properties.ContainerDefinitions.flatMap(
          (container: { Environment?: { Name: string; Value: unknown }[] }) =>
            (container.Environment ?? []).filter((variable) => variable.Name === 'SHARD_MAP'),
        ),
      );
      expect(shardMaps.length).toBeGreaterThan(0);
      for (const { Value } of shardMaps) {
        const rendered = JSON.stringify(Value);
        expect(rendered).toContain('globalWriterHost');
        expect(rendered).toContain('clusterHost');
      }
      // Read once per shard at deploy time, in the region's own RDS API.
      template(prod.data.get(region)!).resourceCountIs('Custom::GlobalWriterEndpoint', prod.config.database.shards);
    }
  });

  test('secondaries alarm when their readers run near capacity; the autoscaled primary does not', () => {
    for (const [region, stack] of prod.service) {
      const alarms = template(stack).findResources('AWS::CloudWatch::Alarm', {
        Properties: { MetricName: 'ACUUtilization' },
      });
      const expected = region === prod.config.primaryRegion ? 0 : prod.config.database.shards;
      expect(Object.keys(alarms)).toHaveLength(expected);
      for (const alarm of Object.values(alarms)) {
        expect(alarm.Properties).toMatchObject({
          Namespace: 'AWS/RDS',
          Dimensions: expect.arrayContaining([{ Name: 'Role', Value: 'READER' }]),
          AlarmActions: [{ Ref: expect.stringMatching(/MonitoringTicket/) }],
        });
      }
    }
  });
});

describe('backup config', () => {
  test('a vault lock minimum above a retention is refused, naming the key', () => {
    expect(() => configWith({ 'backup.vaultLock': 'governance', 'backup.vaultLockMinRetentionDays': 20 })).toThrow(
      /backup\.vaultLockMinRetentionDays = 20 .*at most 14/,
    );
  });

  test('the defaults are the prod values: on, 14 days of point-in-time restore, 35 of dailies, no lock', () => {
    expect(configWith().backup).toEqual({
      enabled: true,
      continuousRetentionDays: 14,
      dailyRetentionDays: 35,
      vaultLock: 'off',
      vaultLockMinRetentionDays: 7,
    });
  });
});
