import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { allStacks } from '../assembly-stacks';
import { cdkContext, withSynthesizedApp } from '../synth-app';
import { describeArchitecture } from './describe';
import { renderSvg } from './render';
import { TemplateView } from './template';

export const REPOSITORY_ROOT = join(__dirname, '..', '..');
/** Where `npm run diagram` writes the picture of the default app. */
export const DIAGRAM_PATH = join(REPOSITORY_ROOT, 'docs', 'architecture.svg');

/**
 * Builds the app as bin/app.ts does (cdk.json context plus `overrides`, given like `-c`
 * values), without cdk-nag or template lint, synthesizes it into a scratch directory and draws
 * it. Throws the app's `ConfigError` on a bad override.
 */
export function renderArchitecture(overrides: Record<string, unknown> = {}): string {
  return withSynthesizedApp(cdkContext(overrides), (assembly, { config, stacks }) => {
    const artifacts = allStacks(assembly);
    const view = (stack: Stack) => {
      const artifact = artifacts.find((a) => a.stackName === stack.stackName && a.environment.region === stack.region);
      if (!artifact) throw new Error(`stack ${stack.stackName} is missing from the cloud assembly`);
      return new TemplateView(stack.stackName, stack.region, artifact.template);
    };
    const drawn = [stacks.edge, ...stacks.data.values(), ...stacks.service.values()].map((s) => s.stackName);
    return renderSvg(
      describeArchitecture({
        appName: config.appName,
        profile: config.profile,
        edge: view(stacks.edge),
        regions: config.regions.map((region) => ({
          data: view(stacks.data.get(region)!),
          service: view(stacks.service.get(region)!),
        })),
        others: artifacts
          .filter((artifact) => !drawn.includes(artifact.stackName))
          .map((artifact) => new TemplateView(artifact.stackName, artifact.environment.region, artifact.template))
          .sort((a, b) => (a.stackName < b.stackName ? -1 : a.stackName > b.stackName ? 1 : 0)),
      }),
    );
  });
}
