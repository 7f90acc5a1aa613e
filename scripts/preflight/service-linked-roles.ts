/**
 * Service-linked roles the app's resources need. Most services create theirs on first use, but
 * in a new account that first use can race the role's creation: ECS's first CreateCluster fails
 * with "Unable to assume the service linked role" (aws-samples/baseline-environment-on-aws#238).
 * IAM is global, so each role is checked once. The app may create a role itself
 * (`AWS::IAM::ServiceLinkedRole`, or a custom resource calling CreateServiceLinkedRole or typed
 * `Custom::…ServiceLinkedRole…`); a plain
 * `AWS::IAM::ServiceLinkedRole` fails where the role already exists.
 *
 * Route53 ARC routing controls (`resilience.arc`) need no service-linked role: ARC's role is for
 * readiness checks, which the app would only need with `AWS::Route53RecoveryReadiness::*`.
 */
import type { GetRoleCommandOutput } from '@aws-sdk/client-iam';
import type { CfnResource, StackTemplate } from '../common/assembly';
import type { Output, PreflightAws } from './aws';
import { Finding, Recorded, record } from './findings';

interface RoleRule {
  readonly roleName: string;
  /** The service principal, as `iam create-service-linked-role --aws-service-name` takes it. */
  readonly serviceName: string;
  readonly needs: (resource: CfnResource) => boolean;
  /** The service's first use fails while the role is being created (rather than waiting). */
  readonly racesFirstUse?: boolean;
}

const ofType =
  (...types: string[]) =>
  (resource: CfnResource) =>
    types.includes(resource.Type);
const scalableIn = (namespace: string) => (resource: CfnResource) =>
  resource.Type === 'AWS::ApplicationAutoScaling::ScalableTarget' &&
  resource.Properties?.ServiceNamespace === namespace;

export const SERVICE_LINKED_ROLES: readonly RoleRule[] = [
  {
    roleName: 'AWSServiceRoleForECS',
    serviceName: 'ecs.amazonaws.com',
    needs: ofType('AWS::ECS::Cluster', 'AWS::ECS::Service'),
    racesFirstUse: true,
  },
  {
    roleName: 'AWSServiceRoleForElasticLoadBalancing',
    serviceName: 'elasticloadbalancing.amazonaws.com',
    needs: ofType('AWS::ElasticLoadBalancingV2::LoadBalancer'),
  },
  {
    roleName: 'AWSServiceRoleForElastiCache',
    serviceName: 'elasticache.amazonaws.com',
    needs: ofType(
      'AWS::ElastiCache::ReplicationGroup',
      'AWS::ElastiCache::CacheCluster',
      'AWS::ElastiCache::GlobalReplicationGroup',
      'AWS::ElastiCache::ServerlessCache',
    ),
  },
  {
    roleName: 'AWSServiceRoleForRDS',
    serviceName: 'rds.amazonaws.com',
    needs: ofType('AWS::RDS::DBCluster', 'AWS::RDS::DBInstance', 'AWS::RDS::GlobalCluster'),
  },
  { roleName: 'AWSServiceRoleForFIS', serviceName: 'fis.amazonaws.com', needs: ofType('AWS::FIS::ExperimentTemplate') },
  {
    roleName: 'AWSServiceRoleForApplicationAutoScaling_ECSService',
    serviceName: 'ecs.application-autoscaling.amazonaws.com',
    needs: scalableIn('ecs'),
  },
  {
    roleName: 'AWSServiceRoleForApplicationAutoScaling_RDSCluster',
    serviceName: 'rds.application-autoscaling.amazonaws.com',
    needs: scalableIn('rds'),
  },
  {
    roleName: 'AWSServiceRoleForAutoScaling',
    serviceName: 'autoscaling.amazonaws.com',
    needs: ofType('AWS::AutoScaling::AutoScalingGroup'),
  },
  {
    roleName: 'AWSServiceRoleForRoute53RecoveryReadiness',
    serviceName: 'route53-recovery-readiness.amazonaws.com',
    needs: (resource) => resource.Type.startsWith('AWS::Route53RecoveryReadiness::'),
  },
];

export interface RoleNeed {
  readonly roleName: string;
  readonly serviceName: string;
  readonly racesFirstUse: boolean;
  /** What needs it, e.g. `AWS::ECS::Service in blueprint-Service-eu-west-1`. */
  readonly neededBy: string;
  /** The stack that creates the role, and how; unset when the app leaves it to the service. */
  readonly createdBy?: {
    readonly stack: string;
    readonly how: 'resource' | 'conditional resource' | 'custom resource';
  };
}

/** The roles the templates need, in `SERVICE_LINKED_ROLES` order, each with who creates it. */
export function roleNeeds(stacks: readonly StackTemplate[]): RoleNeed[] {
  const resources = stacks.flatMap((stack) =>
    Object.values(stack.resources).map((resource) => ({ stack: stack.stackName, resource })),
  );
  return SERVICE_LINKED_ROLES.flatMap((rule) => {
    const user = resources.find(({ resource }) => rule.needs(resource));
    if (!user) return [];
    return [
      {
        roleName: rule.roleName,
        serviceName: rule.serviceName,
        racesFirstUse: rule.racesFirstUse ?? false,
        neededBy: `${user.resource.Type} in ${user.stack}`,
        createdBy: creatorOf(rule.serviceName, resources),
      },
    ];
  });
}

function creatorOf(
  serviceName: string,
  resources: readonly { stack: string; resource: CfnResource & { Condition?: string } }[],
): RoleNeed['createdBy'] {
  const named = new RegExp(`(^|[^a-z0-9.-])${serviceName.replace(/\./g, '\\.')}`);
  for (const { stack, resource } of resources) {
    if (resource.Type === 'AWS::IAM::ServiceLinkedRole' && resource.Properties?.AWSServiceName === serviceName) {
      return { stack, how: resource.Condition ? 'conditional resource' : 'resource' };
    }
    const custom = resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource';
    const text = custom ? JSON.stringify(resource.Properties ?? {}) : '';
    const creates = /createservicelinkedrole/i.test(text) || /servicelinkedrole/i.test(resource.Type);
    if (custom && creates && named.test(text)) return { stack, how: 'custom resource' };
  }
  return undefined;
}

export interface RoleAnswer {
  readonly roleName: string;
  readonly role: Recorded<Output<GetRoleCommandOutput>>;
}

export async function readRoles(aws: PreflightAws, needs: readonly RoleNeed[]): Promise<RoleAnswer[]> {
  return Promise.all(
    needs.map(async (need) => ({ roleName: need.roleName, role: await record(() => aws.getRole(need.roleName)) })),
  );
}

export function roleFindings(needs: readonly RoleNeed[], answers: readonly RoleAnswer[]): Finding[] {
  return needs.flatMap((need): Finding[] => {
    const answer = answers.find((a) => a.roleName === need.roleName)?.role;
    const create = `\`aws iam create-service-linked-role --aws-service-name ${need.serviceName}\``;
    const finding = (severity: Finding['severity'], message: string, fix: string): Finding => ({
      severity,
      check: 'roles',
      message: `${need.roleName} (${need.neededBy}) ${message}`,
      fix,
    });
    if (answer === undefined) return [];
    if ('ok' in answer) {
      return need.createdBy?.how === 'resource'
        ? [
            finding(
              'error',
              `exists, and ${need.createdBy.stack} creates it with AWS::IAM::ServiceLinkedRole: that create fails ("has been taken in this account") and rolls the stack back.`,
              'the app must not create a role that exists: make the resource conditional, or create it with a custom resource that tolerates an existing role.',
            ),
          ]
        : [];
    }
    if (answer.error.name !== 'NoSuchEntityException' && answer.error.name !== 'NoSuchEntity') {
      return [
        finding(
          'warning',
          `could not be read (${answer.error.name}: ${answer.error.message}).`,
          `allow iam:GetRole, or check in the IAM console that the role exists (else ${create}).`,
        ),
      ];
    }
    if (need.createdBy) {
      return [
        finding(
          'note',
          `does not exist yet; ${need.createdBy.stack} creates it (${need.createdBy.how}).`,
          'none needed.',
        ),
      ];
    }
    return need.racesFirstUse
      ? [
          finding(
            'error',
            'does not exist and the app does not create it: the first deploy would race its creation ("Unable to assume the service linked role").',
            `${create} before the first deploy.`,
          ),
        ]
      : [
          finding(
            'warning',
            'does not exist and the app does not create it; the service creates it on first use.',
            `to be sure, ${create} before the first deploy.`,
          ),
        ];
  });
}
