import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as fis from 'aws-cdk-lib/aws-fis';
import { Construct } from 'constructs';
import { Permission } from './permissions';
import { ChaosDrillsProps } from './props';

/** FIS takes at most five ARNs per target (`resourceArns`); larger sets become several targets. */
export const MAX_ARNS_PER_TARGET = 5;

/** What one experiment template runs and what its role may do. */
export interface DrillDefinition {
  readonly description: string;
  readonly targets: Record<string, fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty>;
  readonly actions: Record<string, fis.CfnExperimentTemplate.ExperimentTemplateActionProperty>;
  readonly permissions: readonly Permission[];
}

/** Validated, defaulted inputs shared by the drill definitions. */
export interface DrillContext {
  readonly scope: Construct;
  readonly props: ChaosDrillsProps;
  readonly region: string;
  readonly availabilityZone: string;
  readonly taskStopPercent: number;
  readonly drillMinutes: number;
  readonly cacheTtlSeconds: number;
}

export type Targets = DrillDefinition['targets'];
export type Actions = DrillDefinition['actions'];

/** An ARN in the drills' own account and region. */
export const arn = (
  ctx: DrillContext,
  service: string,
  resource: string,
  name: string,
  format = ArnFormat.SLASH_RESOURCE_NAME,
) => Stack.of(ctx.scope).formatArn({ service, resource, resourceName: name, arnFormat: format });
/** The drill duration as FIS takes it (ISO 8601). */
export const duration = (ctx: DrillContext) => Duration.minutes(ctx.drillMinutes).toIsoString();
/** The drill duration for descriptions. */
export const minutes = (ctx: DrillContext) => (ctx.drillMinutes === 1 ? '1 minute' : `${ctx.drillMinutes} minutes`);

function chunks<T>(items: readonly T[]): T[][] {
  return Array.from({ length: Math.ceil(items.length / MAX_ARNS_PER_TARGET) }, (_, i) =>
    items.slice(i * MAX_ARNS_PER_TARGET, (i + 1) * MAX_ARNS_PER_TARGET),
  );
}

/** One target and one action per chunk of ARNs, all starting together; names get `-2`, `-3` past the first. */
export function perChunk(
  arns: readonly string[],
  target: Omit<fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty, 'resourceArns' | 'selectionMode'>,
  names: { readonly target: string; readonly action: string; readonly key: string },
  action: Omit<fis.CfnExperimentTemplate.ExperimentTemplateActionProperty, 'targets'>,
): { targets: Targets; actions: Actions } {
  const targets: Targets = {};
  const actions: Actions = {};
  chunks(arns).forEach((resourceArns, i) => {
    const suffix = i === 0 ? '' : `-${i + 1}`;
    targets[`${names.target}${suffix}`] = { ...target, resourceArns, selectionMode: 'ALL' };
    actions[`${names.action}${suffix}`] = { ...action, targets: { [names.key]: `${names.target}${suffix}` } };
  });
  return { targets, actions };
}
