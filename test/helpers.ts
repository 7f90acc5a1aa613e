import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { BlueprintStacks, buildBlueprint } from '../lib/app';
import { AppConfig, loadConfig } from '../lib/config';

/** The context of the committed cdk.json: feature flags, shared keys and profile presets. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(join(__dirname, '..', 'cdk.json'), 'utf-8'),
).context;

/** Context as `cdk synth -c key=value ...` would give the app. */
export function contextWith(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...CDK_JSON_CONTEXT, ...overrides };
}

/** Loads config exactly as bin/app.ts does, from cdk.json plus `-c` style overrides. */
export function configWith(overrides: Record<string, unknown> = {}): AppConfig {
  return loadConfig(contextWith(overrides));
}

export interface BuiltBlueprint extends BlueprintStacks {
  readonly app: App;
  readonly config: AppConfig;
}

export interface BuildAppOptions {
  /**
   * Run cdk-nag and CDK's CloudFormation lint at synth, failing on any finding. On by default;
   * test files that only read templates turn it off, because test/app.test.ts already runs both
   * over every stack of every profile.
   */
  readonly checks?: boolean;
}

/** Builds the whole app as bin/app.ts does. Call once per file, in beforeAll. */
export function buildApp(overrides: Record<string, unknown> = {}, options: BuildAppOptions = {}): BuiltBlueprint {
  const checks = options.checks ?? true;
  const app = new App({ context: contextWith(overrides), builtinCloudFormationValidation: checks });
  const config = loadConfig(app.node.getAllContext());
  return { app, config, ...buildBlueprint(app, config, { nag: checks }) };
}
