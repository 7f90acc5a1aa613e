import { Stack, Validations } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';

// cdk-nag acknowledgements more than one construct needs: each names exactly what it covers.

/**
 * Acknowledges cdk-nag AwsSolutions-IAM5 for one wildcard resource of `scope`'s policies, named
 * exactly as the rule reports it (references flattened to `<LogicalId.Attr>` and `<AWS::AccountId>`), so any other
 * wildcard that appears later still fails synth.
 */
export function acknowledgeWildcardResource(scope: IConstruct, arn: string, reason: string): void {
  const resource = flatten(Stack.of(scope).resolve(arn));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
}

/** A resolved ARN (or any resolved value) written as cdk-nag names it in findings. */
export function flatten(node: unknown): string {
  if (typeof node === 'string') return node;
  const intrinsic = node as Record<string, unknown>;
  if (Array.isArray(intrinsic['Fn::Join'])) {
    const [delimiter, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(delimiter);
  }
  if (Array.isArray(intrinsic['Fn::GetAtt'])) {
    const [logicalId, attribute] = intrinsic['Fn::GetAtt'] as [string, string];
    return `<${logicalId}.${attribute}>`;
  }
  if (typeof intrinsic.Ref === 'string') return `<${intrinsic.Ref}>`;
  if (typeof intrinsic['Fn::Sub'] === 'string') return intrinsic['Fn::Sub'].replace(/\$\{/g, '<').replace(/\}/g, '>');
  return JSON.stringify(node);
}

/**
 * Acknowledges cdk-nag's managed-policy finding on CDK's one function per stack behind every
 * `AwsCustomResource`; call it after creating one in `scope`'s stack.
 */
export function acknowledgeAwsCustomResourceProvider(scope: Construct): void {
  const provider = Stack.of(scope).node.tryFindChild(
    `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
  );
  if (!provider) return;
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      "CDK's shared AwsCustomResource function logs through AWSLambdaBasicExecutionRole; it holds no other managed policy.",
  });
}
