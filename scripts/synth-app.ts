/**
 * How the scripts (`npm run cost`, `rto`, `diagram`, the deploy plan) build the app: as
 * bin/app.ts does under `cdk synth`, from the same context, but in-process and without cdk-nag
 * or CDK's template lint (the tests run both; the scripts read only resources).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { BlueprintStacks, buildBlueprint, createApp } from '../lib/app';
import { AppConfig } from '../lib/config';

const ROOT = join(__dirname, '..');

/** The context `cdk` gives the app: cdk.json's, cdk.context.json's over it, then `overrides` (`-c`). */
export function cdkContext(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const read = (file: string) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf-8')) : {});
  return { ...read(join(ROOT, 'cdk.json')).context, ...read(join(ROOT, 'cdk.context.json')), ...overrides };
}

/** The app built from `context`, not synthesized. Throws the app's `ConfigError` on a bad value. */
export function buildApp(
  context: Record<string, unknown>,
  outdir?: string,
): { app: App; config: AppConfig; stacks: BlueprintStacks } {
  const { app, config } = createApp({ context, outdir });
  return { app, config, stacks: buildBlueprint(app, config, { nag: false }) };
}

/**
 * Builds and synthesizes the app from `context` into a scratch directory, hands the assembly to
 * `read`, then removes the directory: read the templates inside `read` (an artifact loads its
 * template file on first use).
 */
export function withSynthesizedApp<T>(
  context: Record<string, unknown>,
  read: (assembly: CloudAssembly, built: { config: AppConfig; stacks: BlueprintStacks }) => T,
): T {
  const outdir = mkdtempSync(join(tmpdir(), 'blueprint-synth-'));
  try {
    const { app, config, stacks } = buildApp(context, outdir);
    return read(app.synth(), { config, stacks });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
