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

/** Builds the whole app as bin/app.ts does (nag included). Call once per file, in beforeAll. */
export function buildApp(overrides: Record<string, unknown> = {}): BuiltBlueprint {
  const app = new App({ context: contextWith(overrides) });
  const config = loadConfig(app.node.getAllContext());
  return { app, config, ...buildBlueprint(app, config) };
}
