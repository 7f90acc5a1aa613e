import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { keyByAliasInRegion } from './data-key';

/** Names of the app-wide secrets; the same in every region, so any stack can find its replica. */
export interface SharedSecretNames {
  /** The value CloudFront sends in the origin-verify header and the ALBs require. */
  readonly originVerify: string;
  /** The key that signs session cookies. */
  readonly session: string;
}

export interface SharedSecretsProps {
  /** Names of the secrets, e.g. `<appName>/origin-verify` and `<appName>/session`. */
  readonly names: SharedSecretNames;
  /** The primary region's data key; encrypts the secrets here. */
  readonly key: kms.IKey;
  /**
   * Regions that get a replica, each encrypted with the key `replicaKeyAlias` names there.
   * @default none
   */
  readonly replicaRegions?: readonly string[];
  /**
   * Regions that get a replica encrypted with the AWS-managed key, because they hold no data
   * key of ours (us-east-1 for the Edge stack, when it serves no traffic).
   * @default none
   */
  readonly awsManagedKeyRegions?: readonly string[];
  /**
   * Alias of the key that encrypts the replica in each of `replicaRegions`, e.g.
   * `alias/blueprint/secrets`. It must exist there before this stack deploys: Secrets Manager
   * drops a replica whose key is missing, while CloudFormation reports the secret created.
   */
  readonly replicaKeyAlias: string;
  /**
   * What happens to the secrets when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * App-wide secrets that must hold the same value in every region: created once, in the primary
 * region's Data stack (the first stack to deploy), and replicated to every other region that
 * reads them. Services and load balancers read their local replica by name.
 */
export class SharedSecrets extends Construct {
  public readonly originVerify: secretsmanager.Secret;
  public readonly session: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: SharedSecretsProps) {
    super(scope, id);
    const { names } = props;
    const replicaRegions: secretsmanager.ReplicaRegion[] = [
      ...(props.replicaRegions ?? []).map((region) => ({
        region,
        encryptionKey: keyByAliasInRegion(this, `Key-${region}`, region, props.replicaKeyAlias),
      })),
      ...(props.awsManagedKeyRegions ?? []).map((region) => ({ region })),
    ];
    const secret = (secretId: string, secretName: string, description: string, passwordLength: number) => {
      const created = new secretsmanager.Secret(this, secretId, {
        secretName,
        description,
        encryptionKey: props.key,
        replicaRegions,
        // Header- and cookie-safe: letters and digits only.
        generateSecretString: { passwordLength, excludePunctuation: true, includeSpace: false },
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
      Validations.of(created).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotating this value needs a two-value overlap across CloudFront, every regional ALB or every task, which docs/runbooks/secret-rotation.md performs by hand (decision 15 says why not on a schedule); single-step automatic rotation would cut live traffic or sessions.',
      });
      return created;
    };
    this.originVerify = secret(
      'OriginVerify',
      names.originVerify,
      'Header value CloudFront sends and the ALBs require',
      48,
    );
    this.session = secret('Session', names.session, 'Key that signs session cookies', 64);
  }
}

/**
 * The local replica of a shared secret's value as a deploy-time dynamic reference: CloudFormation
 * resolves it, so the value never appears in a template.
 */
export function sharedSecretValue(secretName: string): string {
  return SecretValue.secretsManager(secretName).unsafeUnwrap();
}
