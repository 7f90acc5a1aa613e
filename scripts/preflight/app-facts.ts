/**
 * What preflight needs to know about the app, all read from its synthesized assembly (every
 * stack, nested pipeline stages included) and its config: nothing here names a stack, so new
 * stacks and regions are checked as soon as the app synthesizes them.
 */
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { AppConfig } from '../../lib/config';
import { allStacks, stacksOf } from '../common/assembly';
import { BootstrapNeed, bootstrapNeeds } from './bootstrap';
import type { ZoneFacts } from './hosted-zone';
import { QuotaNeed, quotaNeeds } from './quota-needs';
import { RoleNeed, roleNeeds } from './service-linked-roles';

export interface AppFacts {
  /** The config's `account`, when set. */
  readonly configAccount?: string;
  /** The names of the app's stacks: resources CloudFormation tagged with one are the app's own. */
  readonly stacks: readonly string[];
  /** Every region a stack deploys to: serving regions, the edge's, the recovery stack's. */
  readonly regions: readonly string[];
  readonly bootstrap: readonly BootstrapNeed[];
  readonly roles: readonly RoleNeed[];
  readonly quotas: readonly QuotaNeed[];
  readonly zone: ZoneFacts;
}

export function appFacts(assembly: CloudAssembly, config: AppConfig): AppFacts {
  const stacks = stacksOf(assembly);
  return {
    configAccount: config.account,
    stacks: stacks.map((s) => s.stackName),
    regions: [...new Set(allStacks(assembly).map((s) => s.environment.region))],
    bootstrap: bootstrapNeeds(assembly),
    roles: roleNeeds(stacks),
    quotas: quotaNeeds(stacks),
    zone: { domainName: config.domainName, hostedZoneId: config.hostedZoneId },
  };
}
