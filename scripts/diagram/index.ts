import { join } from 'node:path';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AppConfig } from '../../lib/config';
import { stackName } from '../../lib/stacks/names';
import { REPOSITORY_ROOT, cdkContext, stacksOf, withSynthesizedApp } from '../common/assembly';
import { describeArchitecture } from './describe';
import { renderSvg } from './render';
import { TemplateView } from './template';

/** Where `npm run diagram` writes the picture of the default app. */
export const DIAGRAM_PATH = join(REPOSITORY_ROOT, 'docs', 'architecture.svg');

/**
 * Builds the app as bin/app.ts does (cdk.json context plus `overrides`, given like `-c`
 * values), without cdk-nag or template lint, synthesizes it into a scratch directory and draws
 * it. Throws the app's `ConfigError` on a bad override.
 */
export function renderArchitecture(overrides: Record<string, unknown> = {}): string {
  return withSynthesizedApp(cdkContext(overrides), drawArchitecture);
}

/**
 * Draws an app already synthesized (test/this-app.test.ts draws the assembly it synthesized for
 * cdk-nag: the checks do not change a template).
 */
export function drawArchitecture(assembly: CloudAssembly, config: AppConfig): string {
  const views = stacksOf(assembly).map((stack) => new TemplateView(stack));
  const view = (name: string) => {
    const found = views.find((v) => v.stackName === name);
    if (!found) throw new Error(`stack ${name} is missing from the cloud assembly`);
    return found;
  };
  const edge = view(stackName(config.appName, 'Edge'));
  const regions = config.regions.map((region) => ({
    data: view(stackName(config.appName, 'Data', region)),
    service: view(stackName(config.appName, 'Service', region)),
  }));
  const drawn = [edge, ...regions.flatMap((r) => [r.data, r.service])];
  return renderSvg(
    describeArchitecture({
      appName: config.appName,
      profile: config.profile,
      edge,
      regions,
      others: views
        .filter((v) => !drawn.includes(v))
        .sort((a, b) => (a.stackName < b.stackName ? -1 : a.stackName > b.stackName ? 1 : 0)),
    }),
  );
}
