import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeAwsCustomResourceProvider, acknowledgeWildcardResource } from './nag';
import { pascalCase } from './naming';

export interface ServiceLinkedRolesProps {
  /** Service principals whose service-linked role must exist, e.g. `ecs.amazonaws.com`. */
  readonly awsServiceNames: readonly string[];
}

/**
 * Makes sure the account has the service-linked roles that the app's services assume, before the
 * stacks that need them deploy. A service usually creates its role on first use, but not always in
 * time: ECS's `CreateCluster` in a new account races the role's creation and fails with "Unable to
 * assume the service linked role". `AWS::IAM::ServiceLinkedRole` fails where the role exists, so
 * each role is created by an SDK call that treats IAM's "has been taken" (`InvalidInput`) as done.
 * Nothing is deleted with the stack: a service-linked role belongs to the account, not to this app.
 */
export class ServiceLinkedRoles extends Construct {
  /** The service principals covered, in the order given. */
  public readonly awsServiceNames: readonly string[];

  constructor(scope: Construct, id: string, props: ServiceLinkedRolesProps) {
    super(scope, id);
    const names = [...new Set(props.awsServiceNames)];
    if (names.length === 0) throw new Error(`${this.node.path}: awsServiceNames must name at least one service`);
    for (const name of names) {
      if (!/^[a-z0-9.-]+\.amazonaws\.com$/.test(name)) {
        throw new Error(
          `${this.node.path}: awsServiceNames has "${name}", which is not a service principal (<service>.amazonaws.com)`,
        );
      }
    }
    this.awsServiceNames = names;
    const { partition, account } = Stack.of(this);
    // One log group for the one function behind every AwsCustomResource of the stack.
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const name of names) {
      const call: cr.AwsSdkCall = {
        service: 'IAM',
        action: 'createServiceLinkedRole',
        parameters: { AWSServiceName: name },
        physicalResourceId: cr.PhysicalResourceId.of(`service-linked-role:${name}`),
        // "Service role name ... has been taken in this account": it exists, which is the goal.
        ignoreErrorCodesMatching: 'InvalidInput',
      };
      const roleArn = `arn:${partition}:iam::${account}:role/aws-service-role/${name}/*`;
      const role = new cr.AwsCustomResource(this, pascalCase(name.replace(/\./g, '-')), {
        onCreate: call,
        onUpdate: call,
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({
            actions: ['iam:CreateServiceLinkedRole'],
            resources: [roleArn],
            conditions: { StringEquals: { 'iam:AWSServiceName': name } },
          }),
        ]),
        installLatestAwsSdk: false,
        logGroup,
      });
      acknowledgeWildcardResource(
        role,
        roleArn,
        `A service-linked role's name is chosen by the service; the statement allows creating only ${name}'s role (iam:AWSServiceName condition).`,
      );
    }
    acknowledgeAwsCustomResourceProvider(this);
  }
}
