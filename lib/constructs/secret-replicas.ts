import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeAwsCustomResourceProvider } from './nag';
import { pascalCase } from './naming';

export interface SecretReplicasProps {
  /**
   * Names of secrets that another region's stack replicates into this one; the replicas must exist
   * when this stack deploys.
   */
  readonly secretNames: readonly string[];
}

/**
 * This region's replicas of secrets created in another region, each found by name at deploy time
 * and handed on by its complete ARN (the primary's ARN with this region: the random suffix is
 * the same). ECS takes a Secrets Manager secret by complete ARN only; a name or partial ARN is a
 * known source of AccessDenied at task start. A missing replica fails this stack's deploy, with
 * Secrets Manager's "can't find the specified secret", instead of the first task that needs it.
 */
export class SecretReplicas extends Construct {
  private readonly byName = new Map<string, secretsmanager.ISecret>();

  constructor(scope: Construct, id: string, props: SecretReplicasProps) {
    super(scope, id);
    if (props.secretNames.length === 0) throw new Error(`${this.node.path}: secretNames must name at least one secret`);
    const stack = Stack.of(this);
    // One log group for the one function behind every AwsCustomResource of the stack.
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const secretName of new Set(props.secretNames)) {
      // Ids from the name, so adding or removing one secret leaves the others' resources alone.
      const id = pascalCase(secretName.replace(/[^A-Za-z0-9]+/g, '-'));
      const describe: cr.AwsSdkCall = {
        service: 'SecretsManager',
        action: 'describeSecret',
        parameters: { SecretId: secretName },
        physicalResourceId: cr.PhysicalResourceId.fromResponse('ARN'),
        outputPaths: ['ARN'],
      };
      const lookup = new cr.AwsCustomResource(this, `Lookup${id}`, {
        onCreate: describe,
        onUpdate: describe,
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({
            actions: ['secretsmanager:DescribeSecret'],
            // A complete ARN ends in `-` and six random characters.
            resources: [
              stack.formatArn({
                service: 'secretsmanager',
                resource: 'secret',
                resourceName: `${secretName}-??????`,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            ],
          }),
        ]),
        installLatestAwsSdk: false,
        logGroup,
      });
      this.byName.set(
        secretName,
        secretsmanager.Secret.fromSecretCompleteArn(this, `Secret${id}`, lookup.getResponseField('ARN')),
      );
    }
    acknowledgeAwsCustomResourceProvider(this);
  }

  /** The replica of `secretName`, by complete ARN. */
  secret(secretName: string): secretsmanager.ISecret {
    const found = this.byName.get(secretName);
    if (!found)
      throw new Error(
        `${this.node.path}: no replica of ${secretName}; secretNames has ${[...this.byName.keys()].join(', ')}`,
      );
    return found;
  }
}
