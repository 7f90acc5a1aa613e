import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ProtectedVault } from '../constructs/backup';
import { ReplicaKey } from '../constructs/replica-key';
import { backupCopyRegion, backupVaultName, replicaKeyAlias } from './names';
import { RegionalStack, RegionalStackProps, removalPolicyFor } from './regional-stack';

/**
 * A non-primary region's key for the replicas of the primary's secrets (shared secrets, shard
 * master secrets, the cache AUTH token of a global datastore). It deploys before the primary's
 * Data stack, which replicates into it by alias: the region's own Data stack, and so its data key,
 * deploys only after the primary's (decision 11). In the backup copy region it also holds the
 * vault the primary's backup plan copies into, for the same reason (decision 14).
 */
export class KeysStack extends RegionalStack {
  public readonly replicaKey: kms.IKey;

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    super(scope, id, { ...props, terminationProtection: props.config.retainData });
    const { config } = props;
    this.replicaKey = new ReplicaKey(this, 'ReplicaKey', {
      alias: replicaKeyAlias(config.appName),
      removalPolicy: removalPolicyFor(config.retainData),
    }).key;
    if (backupCopyRegion(config) === props.regional.region) {
      new ProtectedVault(this, 'BackupCopyVault', {
        vaultName: backupVaultName(config.appName),
        lockMode: config.backup.vaultLock,
        lockMinRetention: Duration.days(config.backup.vaultLockMinRetentionDays),
        removalPolicy: removalPolicyFor(config.retainData),
      });
    }
  }
}
