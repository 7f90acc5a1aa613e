import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ReplicaKey } from '../constructs/replica-key';
import { replicaKeyAlias } from './names';
import { RegionalStack, RegionalStackProps, removalPolicyFor } from './regional-stack';

/**
 * A non-primary region's key for the replicas of the primary's secrets (shared secrets, shard
 * master secrets, the cache AUTH token of a global datastore). It deploys before the primary's
 * Data stack, which replicates into it by alias: the region's own Data stack, and so its data key,
 * deploys only after the primary's (decision 11).
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
  }
}
