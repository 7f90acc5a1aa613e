import * as iam from 'aws-cdk-lib/aws-iam';
import { acknowledgeWildcardResource } from '../nag';

/** One statement of a drill role, with the reason any wildcard resource in it cannot be narrower. */
export interface Permission {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Record<string, Record<string, unknown>>;
  /**
   * Why a wildcard resource of this statement is unavoidable. Without it, a wildcard stays
   * unacknowledged and cdk-nag fails synth.
   */
  readonly wildcardReason?: string;
}

/**
 * Experiment logging to CloudWatch Logs: FIS sets up a vended log delivery as the experiment
 * role, and none of these calls takes a resource.
 */
export const LOG_DELIVERY: Permission = {
  actions: [
    'logs:CreateLogDelivery',
    'logs:PutResourcePolicy',
    'logs:DescribeResourcePolicies',
    'logs:DescribeLogGroups',
  ],
  resources: ['*'],
  wildcardReason:
    'Experiment logging: FIS creates a vended log delivery to the drill log group as this role, and logs:CreateLogDelivery and the account-level resource-policy calls take no resource.',
};

/**
 * Adds `permissions` to `role` and acknowledges cdk-nag AwsSolutions-IAM5 for exactly the
 * wildcard resources that carry a reason (one acknowledgement per resource, reasons joined).
 */
export function grantDrillPermissions(role: iam.Role, permissions: readonly Permission[]): void {
  const reasons = new Map<string, string[]>();
  for (const permission of permissions) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...permission.actions],
        resources: [...permission.resources],
        conditions: permission.conditions,
      }),
    );
    const { wildcardReason } = permission;
    if (wildcardReason === undefined) continue;
    for (const resource of permission.resources.filter((r) => r.includes('*'))) {
      reasons.set(resource, [...(reasons.get(resource) ?? []), wildcardReason]);
    }
  }
  for (const [resource, why] of reasons) acknowledgeWildcardResource(role, resource, why.join(' '));
}
