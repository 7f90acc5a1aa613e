import { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { keyDeletionWindow } from './removal';

export interface ReplicaKeyProps {
  /** Alias the replicating stack names the key by, e.g. `alias/blueprint/secrets`. */
  readonly alias: string;
  /**
   * What happens to the key when it leaves the stack. A deleted key leaves every replica it
   * encrypts unreadable until the primary replicates again with another key.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A customer-managed key, rotated yearly, for the replicas that another region's secrets keep in
 * this region. It lives in a stack of its own that deploys before the stack that replicates: a
 * replica whose key does not exist yet is dropped by Secrets Manager while CloudFormation reports
 * the secret created (decision 11).
 */
export class ReplicaKey extends Construct {
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: ReplicaKeyProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, 'Key', {
      alias: props.alias,
      description: 'Encrypts the replicas of secrets created in the primary region',
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: keyDeletionWindow(removalPolicy),
    });
  }
}
