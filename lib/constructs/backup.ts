import { ArnFormat, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { keyDeletionWindow } from './removal';

/**
 * AWS Backup vault lock: `governance` can be removed by a principal allowed
 * `backup:DeleteBackupVaultLockConfiguration`; `compliance` becomes immutable once its grace
 * period (`changeableFor`) ends: nobody, not AWS Support nor the account root, can then delete
 * the vault or shorten a recovery point's retention.
 */
export type VaultLockMode = 'off' | 'governance' | 'compliance';
export const VAULT_LOCK_MODES: readonly VaultLockMode[] = ['off', 'governance', 'compliance'];

/** What nobody may do to a protected vault or its recovery points, whatever their IAM policy says. */
export const DENIED_VAULT_ACTIONS = [
  'backup:DeleteBackupVault',
  'backup:DeleteRecoveryPoint',
  'backup:UpdateRecoveryPointLifecycle',
  'backup:DeleteBackupVaultAccessPolicy',
  'backup:DeleteBackupVaultNotifications',
] as const;

export interface ProtectedVaultProps {
  /** Vault name, unique per account and region; other regions' backup plans copy into it by name. */
  readonly vaultName: string;
  /**
   * Encrypts what AWS Backup stores in the vault, including copies from other regions. A key of
   * its own keeps the vault's recovery points independent of any other key's life.
   * @default a new customer-managed key, rotated yearly, with the vault's removal policy
   */
  readonly key?: kms.IKey;
  /**
   * Vault lock. Compliance mode is irreversible once `lockChangeableFor` has passed: the vault
   * and every recovery point in it then live out their retention, even if the account is lost.
   * @default 'off'
   */
  readonly lockMode?: VaultLockMode;
  /**
   * Shortest retention the lock allows for a recovery point; a rule below it fails its jobs.
   * @default Duration.days(7)
   */
  readonly lockMinRetention?: Duration;
  /**
   * Grace period of a compliance lock, during which it can still be removed; 3 days at least.
   * @default Duration.days(3)
   */
  readonly lockChangeableFor?: Duration;
  /**
   * RETAIN keeps the vault (and so its recovery points) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A KMS-encrypted AWS Backup vault whose access policy denies every principal, the account's
 * administrators included, deleting it or its recovery points or shortening their retention:
 * backups outlive a compromised role. AWS Backup still expires recovery points at the end of
 * their lifecycle. Optionally locked (`lockMode`).
 */
export class ProtectedVault extends Construct {
  public readonly vault: backup.BackupVault;
  public readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: ProtectedVaultProps) {
    super(scope, id);
    const lockMode = props.lockMode ?? 'off';
    if (!VAULT_LOCK_MODES.includes(lockMode)) {
      throw new Error(`${this.node.path}: lockMode = ${lockMode} must be one of ${VAULT_LOCK_MODES.join(', ')}`);
    }
    const lockMinRetention = props.lockMinRetention ?? Duration.days(7);
    const lockChangeableFor = props.lockChangeableFor ?? Duration.days(3);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (!Token.isUnresolved(lockChangeableFor.toDays()) && lockChangeableFor.toDays() < 3) {
      throw new Error(`${this.node.path}: lockChangeableFor = ${lockChangeableFor.toDays()} days must be 3 or more`);
    }

    this.key =
      props.key ??
      new kms.Key(this, 'Key', {
        description: `Encrypts the recovery points of the backup vault ${props.vaultName}`,
        enableKeyRotation: true,
        removalPolicy,
        pendingWindow: keyDeletionWindow(removalPolicy),
      });
    const accessPolicy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'DenyDeletes',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: [...DENIED_VAULT_ACTIONS],
          resources: ['*'],
        }),
      ],
    });
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: props.vaultName,
      encryptionKey: this.key,
      accessPolicy,
      removalPolicy,
      lockConfiguration:
        lockMode === 'off'
          ? undefined
          : {
              minRetention: lockMinRetention,
              // Governance mode is the lock without a grace period's end (CloudFormation: no ChangeableForDays).
              changeableFor: lockMode === 'compliance' ? lockChangeableFor : undefined,
            },
    });
  }
}

export interface ShardBackupProps {
  /** The clusters to back up: this region's shards. */
  readonly clusters: readonly rds.IDatabaseCluster[];
  /** Vault of this region's recovery points (see `ProtectedVault`). */
  readonly vault: backup.IBackupVault;
  /**
   * Vault in another region that every daily snapshot is copied to, by ARN. It must exist before
   * the first daily job: create it in a stack that deploys before this one.
   * @default no copy
   */
  readonly copyVaultArn?: string;
  /**
   * How long daily snapshots (and their copies) are kept.
   * @default Duration.days(35)
   */
  readonly dailyRetention?: Duration;
  /**
   * Point-in-time restore window of continuous backup; AWS Backup allows 1 to 35 days.
   * @default Duration.days(14)
   */
  readonly continuousRetention?: Duration;
  /**
   * How long copies in `copyVaultArn` are kept.
   * @default dailyRetention
   */
  readonly copyRetention?: Duration;
  /**
   * When the daily snapshot starts (UTC).
   * @default 03:00 UTC
   */
  readonly dailySchedule?: events.Schedule;
}

/**
 * An AWS Backup plan for a region's shard clusters: continuous backup (point-in-time restore
 * within `continuousRetention`) and a daily snapshot kept `dailyRetention`, copied to a vault in
 * another region. Exposes the failed-job metric its alarm needs.
 */
export class ShardBackup extends Construct {
  public readonly plan: backup.BackupPlan;
  public readonly vault: backup.IBackupVault;

  constructor(scope: Construct, id: string, props: ShardBackupProps) {
    super(scope, id);
    if (props.clusters.length === 0) throw new Error(`${this.node.path}: clusters must name at least one cluster`);
    const dailyRetention = props.dailyRetention ?? Duration.days(35);
    const continuousRetention = props.continuousRetention ?? Duration.days(14);
    const copyRetention = props.copyRetention ?? dailyRetention;
    checkDays(this, 'continuousRetention', continuousRetention, 1, 35);
    checkDays(this, 'dailyRetention', dailyRetention, 1, 36_500);
    checkDays(this, 'copyRetention', copyRetention, 1, 36_500);
    this.vault = props.vault;

    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupVault: props.vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Continuous',
          enableContinuousBackup: true,
          deleteAfter: continuousRetention,
          // A continuous rule still takes a schedule; it only starts the job that keeps PITR on.
          scheduleExpression: events.Schedule.cron({ minute: '0', hour: '*/12' }),
        }),
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: props.dailySchedule ?? events.Schedule.cron({ minute: '0', hour: '3' }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(8),
          deleteAfter: dailyRetention,
          copyActions: props.copyVaultArn
            ? [
                {
                  destinationBackupVault: backup.BackupVault.fromBackupVaultArn(this, 'CopyVault', props.copyVaultArn),
                  deleteAfter: copyRetention,
                },
              ]
            : undefined,
        }),
      ],
    });
    const selection = this.plan.addSelection('Shards', {
      resources: props.clusters.map((cluster) =>
        backup.BackupResource.fromArn(
          Stack.of(this).formatArn({
            service: 'rds',
            resource: 'cluster',
            resourceName: cluster.clusterIdentifier,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      ),
    });
    for (const policy of ['AWSBackupServiceRolePolicyForBackup', 'AWSBackupServiceRolePolicyForRestores']) {
      Validations.of(selection).acknowledge({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
        reason: `${policy} is the policy AWS maintains for AWS Backup itself, current with what each resource type's backup and restore needs.`,
      });
    }
  }

  /** Backup and copy jobs that failed, summed over `period` (AWS/Backup, this vault). */
  metricFailedJobs(props?: { readonly period?: Duration }): cloudwatch.MathExpression {
    const period = props?.period ?? Duration.hours(1);
    const metric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Backup',
        metricName,
        dimensionsMap: { BackupVaultName: this.vault.backupVaultName },
        statistic: cloudwatch.Stats.SUM,
        period,
      });
    return new cloudwatch.MathExpression({
      expression: 'FILL(backup, 0) + FILL(copy, 0)',
      usingMetrics: { backup: metric('NumberOfBackupJobsFailed'), copy: metric('NumberOfCopyJobsFailed') },
      label: 'Failed backup and copy jobs',
      period,
    });
  }

  /** An alarm in `scope` on any failed backup or copy job in an hour. */
  addFailedJobsAlarm(scope: Construct, id: string, alarmName?: string): cloudwatch.Alarm {
    return this.metricFailedJobs().createAlarm(scope, id, {
      alarmName,
      alarmDescription:
        'An AWS Backup job of the shard clusters, or its copy to the other region, failed: see the AWS Backup console (Jobs) and docs/runbooks/restore-shard.md.',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

function checkDays(scope: Construct, prop: string, value: Duration, min: number, max: number): void {
  const days = value.toDays();
  if (Token.isUnresolved(days)) return;
  if (!Number.isInteger(days) || days < min || days > max) {
    throw new Error(`${scope.node.path}: ${prop} = ${days} days must be whole days from ${min} to ${max}`);
  }
}
