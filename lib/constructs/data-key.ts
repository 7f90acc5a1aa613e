import { Arn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { keyDeletionWindow } from './removal';

export interface DataKeyProps {
  /**
   * Alias of the key, e.g. `alias/blueprint/data`. Aliases are per region, so every region can
   * use the same one.
   */
  readonly alias: string;
  /**
   * What happens to the key when it leaves the stack. Destroying a key makes every byte it
   * encrypted unreadable, so keep RETAIN wherever data must survive.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The region's customer-managed key for data at rest: databases, caches, queues, secrets and
 * log groups. Rotation is on; CloudWatch Logs in this region may use it for log groups of this
 * account (needed by flow logs and service logs).
 */
export class DataKey extends Construct {
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: DataKeyProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const { region, account } = Stack.of(this);

    this.key = new kms.Key(this, 'Key', {
      alias: props.alias,
      description: `Encrypts data at rest in ${region}`,
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: keyDeletionWindow(removalPolicy),
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsOfThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Stack.of(this).partition}:logs:${region}:${account}:log-group:*`,
          },
        },
      }),
    );
  }
}

/**
 * A KMS key of another region by its alias there, e.g. to encrypt a secret's replica in that
 * region. The key is named, not referenced: it must exist there before the stack that uses it
 * deploys (`scripts/deploy-order.ts` checks it for the app).
 */
export function keyByAliasInRegion(scope: Construct, id: string, region: string, alias: string): kms.IKey {
  const arn = Arn.format(
    { service: 'kms', region, resource: 'alias', resourceName: alias.replace(/^alias\//, '') },
    Stack.of(scope),
  );
  return kms.Key.fromKeyArn(scope, id, arn);
}
