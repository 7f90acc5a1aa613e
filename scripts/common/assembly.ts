/**
 * How every script reads the app: built as bin/app.ts builds it under `cdk synth`, from the same
 * context, but in-process and without cdk-nag or CDK's template lint (the tests run both; the
 * scripts read only templates), then each stack's template read into a `StackTemplate`, with
 * lookups that follow references across stacks.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { CloudAssembly, CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { BlueprintStacks, buildBlueprint, createApp } from '../../lib/app';
import { AppConfig } from '../../lib/config';

export const REPOSITORY_ROOT = join(__dirname, '..', '..');

/** The context `cdk` gives the app: cdk.json's, cdk.context.json's over it, then `overrides` (`-c`). */
export function cdkContext(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const read = (file: string) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf-8')) : {});
  return {
    ...read(join(REPOSITORY_ROOT, 'cdk.json')).context,
    ...read(join(REPOSITORY_ROOT, 'cdk.context.json')),
    ...overrides,
  };
}

/** The app built from `context`, not synthesized. Throws the app's `ConfigError` on a bad value. */
export function buildApp(
  context: Record<string, unknown>,
  outdir?: string,
): { app: App; config: AppConfig; stacks: BlueprintStacks } {
  const { app, config } = createApp({ context, outdir, treeMetadata: false });
  return { app, config, stacks: buildBlueprint(app, config, { nag: false }) };
}

/**
 * Builds and synthesizes the app from `context` into a scratch directory, hands the assembly to
 * `read`, then removes the directory: read the templates inside `read` (`stacksOf` does).
 */
export function withSynthesizedApp<T>(
  context: Record<string, unknown>,
  read: (assembly: CloudAssembly, config: AppConfig) => T,
): T {
  const outdir = mkdtempSync(join(tmpdir(), 'blueprint-synth-'));
  try {
    const { app, config } = buildApp(context, outdir);
    return read(app.synth(), config);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown }>;
  readonly Parameters?: Record<string, { readonly Type: string; readonly Default?: unknown }>;
}

/** One synthesized stack as the scripts read it. */
export interface StackTemplate {
  readonly stackName: string;
  readonly region: string;
  readonly resources: Readonly<Record<string, CfnResource>>;
  readonly outputs: Readonly<Record<string, { readonly Value: unknown }>>;
  readonly parameters: Readonly<Record<string, { readonly Type: string; readonly Default?: unknown }>>;
  /** Names of the stacks this one depends on directly (asset manifests may be among them). */
  readonly dependsOn: readonly string[];
}

/** A `StackTemplate` from a template as CloudFormation reads it. */
export function stackTemplate(
  stackName: string,
  region: string,
  template: CfnTemplate,
  dependsOn: readonly string[] = [],
): StackTemplate {
  return {
    stackName,
    region,
    resources: template.Resources ?? {},
    outputs: template.Outputs ?? {},
    parameters: template.Parameters ?? {},
    dependsOn,
  };
}

/**
 * Every stack of `assembly`, with those of its nested assemblies: with `delivery.pipeline` on, the
 * app's stacks are in the pipeline's stages, and the top level holds only the pipeline stack.
 */
export function allStacks(assembly: CloudAssembly): CloudFormationStackArtifact[] {
  return [...assembly.stacks, ...assembly.nestedAssemblies.flatMap((nested) => allStacks(nested.nestedAssembly))];
}

/**
 * Every stack's template, stages' included, in the assembly's (dependency) order, read now: an
 * artifact reads its template file lazily, and the scratch directory goes with `withSynthesizedApp`.
 */
export function stacksOf(assembly: CloudAssembly): StackTemplate[] {
  return allStacks(assembly).map((artifact) =>
    stackTemplate(
      artifact.stackName,
      artifact.environment.region,
      artifact.template as CfnTemplate,
      // Inside a nested assembly (pipeline mode) artifact ids differ from stack names.
      artifact.dependencies.map((dependency) =>
        'stackName' in dependency ? (dependency as CloudFormationStackArtifact).stackName : dependency.id,
      ),
    ),
  );
}

/** A resource and the stack it lives in. */
export interface Found {
  readonly stack: StackTemplate;
  readonly id: string;
  readonly resource: CfnResource;
  readonly props: Record<string, any>;
}

/** The stacks of one app, with lookups across them. */
export class Templates {
  constructor(public readonly stacks: readonly StackTemplate[]) {}

  /** Resources of `type` in `stack`, in template order. */
  resources(stack: StackTemplate, type: string): Found[] {
    return Object.entries(stack.resources)
      .filter(([, resource]) => resource.Type === type)
      .map(([id, resource]) => ({ stack, id, resource, props: resource.Properties ?? {} }));
  }

  /** Stacks holding at least one resource of `type`. */
  stacksWith(type: string): StackTemplate[] {
    return this.stacks.filter((stack) => this.resources(stack, type).length > 0);
  }

  /**
   * The resource a value points at: `{Ref}`, `{Fn::GetAtt}`, or `{Fn::GetStackOutput}` followed
   * to the named stack's output and on. Undefined for literals and anything else.
   */
  resolve(stack: StackTemplate, value: unknown, depth = 0): Found | undefined {
    if (depth > 5) return undefined;
    const id = refTarget(value);
    if (id !== undefined) {
      const resource = stack.resources[id];
      return resource && { stack, id, resource, props: resource.Properties ?? {} };
    }
    const output = (value as Record<string, any> | null)?.['Fn::GetStackOutput'];
    if (output && typeof output.StackName === 'string' && typeof output.OutputName === 'string') {
      const other = this.stacks.find((s) => s.stackName === output.StackName);
      const exported = other?.outputs[output.OutputName];
      return other && exported ? this.resolve(other, exported.Value, depth + 1) : undefined;
    }
    return undefined;
  }

  /** Distinct AZs of a list of subnet references, or undefined when one cannot be followed. */
  availabilityZones(stack: StackTemplate, subnets: unknown): string[] | undefined {
    if (!Array.isArray(subnets)) return undefined;
    const zones = subnets.map((subnet) => this.resolve(stack, subnet)?.props.AvailabilityZone);
    if (zones.some((zone) => typeof zone !== 'string')) return undefined;
    return [...new Set(zones as string[])].sort();
  }
}

/** The logical id a `Ref` or `Fn::GetAtt` points at, or undefined for anything else. */
export function refTarget(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const object = value as Record<string, unknown>;
  if (typeof object.Ref === 'string') return object.Ref;
  const getAtt = object['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}
