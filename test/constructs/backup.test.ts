import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { DENIED_VAULT_ACTIONS, ProtectedVault, ShardBackup } from '../../lib/constructs/backup';
import { FEATURE_FLAGS } from '../helpers';

const ENV = { account: '111111111111', region: 'us-east-1' };
const COPY_VAULT = 'arn:aws:backup:eu-west-1:111111111111:backup-vault:app-shards';

function bareStack(): Stack {
  return new Stack(new App({ context: FEATURE_FLAGS }), 'Bare', { env: ENV });
}

function clusters(stack: Stack): rds.IDatabaseCluster[] {
  return ['app-shard-0', 'app-shard-1'].map((id) =>
    rds.DatabaseCluster.fromDatabaseClusterAttributes(stack, id, { clusterIdentifier: id }),
  );
}

describe('ProtectedVault', () => {
  let template: Template;
  beforeAll(() => {
    const stack = bareStack();
    new ProtectedVault(stack, 'Vault', { vaultName: 'app-shards', key: new kms.Key(stack, 'Key') });
    template = Template.fromStack(stack);
  });

  test('is encrypted with the given key, retained, and not locked by default', () => {
    template.hasResource('AWS::Backup::BackupVault', {
      DeletionPolicy: 'Retain',
      Properties: {
        BackupVaultName: 'app-shards',
        EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
        LockConfiguration: Match.absent(),
      },
    });
  });

  test('its access policy denies every principal deleting the vault or its recovery points', () => {
    const vault = Object.values(template.findResources('AWS::Backup::BackupVault'))[0];
    expect(vault.Properties.AccessPolicy.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: expect.arrayContaining([...DENIED_VAULT_ACTIONS]),
        Resource: '*',
      }),
    ]);
    expect(DENIED_VAULT_ACTIONS).toEqual(
      expect.arrayContaining([
        'backup:DeleteRecoveryPoint',
        'backup:UpdateRecoveryPointLifecycle',
        'backup:DeleteBackupVault',
      ]),
    );
  });

  test('governance lock has no grace period; compliance lock ends its grace period after lockChangeableFor', () => {
    const stack = bareStack();
    const key = new kms.Key(stack, 'Key');
    new ProtectedVault(stack, 'Governance', { vaultName: 'gg', key, lockMode: 'governance' });
    new ProtectedVault(stack, 'Compliance', {
      vaultName: 'cc',
      key,
      lockMode: 'compliance',
      lockMinRetention: Duration.days(14),
      lockChangeableFor: Duration.days(5),
    });
    const locked = Template.fromStack(stack);
    locked.hasResourceProperties('AWS::Backup::BackupVault', {
      BackupVaultName: 'gg',
      LockConfiguration: { MinRetentionDays: 7, ChangeableForDays: Match.absent() },
    });
    locked.hasResourceProperties('AWS::Backup::BackupVault', {
      BackupVaultName: 'cc',
      LockConfiguration: { MinRetentionDays: 14, ChangeableForDays: 5 },
    });
  });

  test('without a key, the vault gets a rotated key of its own with the same removal policy', () => {
    const stack = bareStack();
    new ProtectedVault(stack, 'Vault', { vaultName: 'own', removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE });
    const own = Template.fromStack(stack);
    own.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'RetainExceptOnCreate',
      Properties: { EnableKeyRotation: true, PendingWindowInDays: 30 },
    });
    own.hasResourceProperties('AWS::Backup::BackupVault', {
      EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^VaultKey'), 'Arn'] },
    });
  });

  test('removalPolicy DESTROY deletes the vault with the stack', () => {
    const stack = bareStack();
    new ProtectedVault(stack, 'Vault', {
      vaultName: 'vv',
      key: new kms.Key(stack, 'Key'),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Template.fromStack(stack).hasResource('AWS::Backup::BackupVault', { DeletionPolicy: 'Delete' });
  });

  test('rejects an unknown lock mode and a compliance grace period under 3 days', () => {
    const stack = bareStack();
    const key = new kms.Key(stack, 'Key');
    expect(
      () => new ProtectedVault(stack, 'Bad', { vaultName: 'bb', key, lockMode: 'strict' as 'governance' }),
    ).toThrow(/Bad: lockMode = strict must be one of off, governance, compliance/);
    expect(
      () =>
        new ProtectedVault(stack, 'Short', {
          vaultName: 'ss',
          key,
          lockMode: 'compliance',
          lockChangeableFor: Duration.days(1),
        }),
    ).toThrow(/Short: lockChangeableFor = 1 days must be 3 or more/);
  });
});

describe('ShardBackup', () => {
  let template: Template;
  beforeAll(() => {
    const stack = bareStack();
    const { vault } = new ProtectedVault(stack, 'Vault', { vaultName: 'app-shards', key: new kms.Key(stack, 'Key') });
    const backup = new ShardBackup(stack, 'Backup', {
      clusters: clusters(stack),
      vault,
      copyVaultArn: COPY_VAULT,
      continuousRetention: Duration.days(14),
      dailyRetention: Duration.days(35),
    });
    backup.addFailedJobsAlarm(stack, 'Failed', 'app-backup-jobs-failed');
    template = Template.fromStack(stack);
  });

  test('continuous backup keeps point-in-time restore for continuousRetention', () => {
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: Match.arrayWith([
          Match.objectLike({
            RuleName: 'Continuous',
            EnableContinuousBackup: true,
            Lifecycle: { DeleteAfterDays: 14 },
          }),
        ]),
      },
    });
  });

  test('a daily snapshot is kept dailyRetention and copied to the vault in the other region', () => {
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: Match.arrayWith([
          Match.objectLike({
            RuleName: 'Daily',
            ScheduleExpression: 'cron(0 3 * * ? *)',
            Lifecycle: { DeleteAfterDays: 35 },
            CopyActions: [{ DestinationBackupVaultArn: COPY_VAULT, Lifecycle: { DeleteAfterDays: 35 } }],
          }),
        ]),
      },
    });
  });

  test('selects every cluster by ARN', () => {
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: {
        Resources: [0, 1].map((shard) => `arn:aws:rds:us-east-1:111111111111:cluster:app-shard-${shard}`),
      },
    });
  });

  test('alarms on any failed backup or copy job of its vault', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'app-backup-jobs-failed',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith(
        ['NumberOfBackupJobsFailed', 'NumberOfCopyJobsFailed'].map((MetricName) =>
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({
                Namespace: 'AWS/Backup',
                MetricName,
                Dimensions: [{ Name: 'BackupVaultName', Value: Match.anyValue() }],
              }),
              Stat: 'Sum',
            }),
          }),
        ),
      ),
    });
  });

  test('without copyVaultArn the daily rule copies nowhere', () => {
    const stack = bareStack();
    const { vault } = new ProtectedVault(stack, 'Vault', { vaultName: 'vv', key: new kms.Key(stack, 'Key') });
    new ShardBackup(stack, 'Backup', { clusters: clusters(stack), vault });
    const rules = Object.values(Template.fromStack(stack).findResources('AWS::Backup::BackupPlan'))[0].Properties
      .BackupPlan.BackupPlanRule;
    expect(rules.map((rule: { CopyActions?: unknown }) => rule.CopyActions)).toEqual([undefined, undefined]);
  });

  test('rejects no clusters and a continuous retention AWS Backup does not allow', () => {
    const stack = bareStack();
    const { vault } = new ProtectedVault(stack, 'Vault', { vaultName: 'vv', key: new kms.Key(stack, 'Key') });
    expect(() => new ShardBackup(stack, 'None', { clusters: [], vault })).toThrow(
      /None: clusters must name at least one cluster/,
    );
    expect(
      () =>
        new ShardBackup(stack, 'Long', { clusters: clusters(stack), vault, continuousRetention: Duration.days(36) }),
    ).toThrow(/Long: continuousRetention = 36 days must be whole days from 1 to 35/);
  });
});
