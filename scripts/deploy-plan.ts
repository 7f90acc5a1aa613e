/**
 * The order .github/workflows/deploy.yml deploys the app in (decision 9), read from the app
 * itself: builds it as bin/app.ts does (without synthesizing) and prints
 *
 * - `foundation`: every stack before the services (the Data stacks, primary first, the Edge
 *   stack and any other stack the services depend on), in dependency order;
 * - `waves`: one Service stack per wave in `regions` order, the canary first, each with the
 *   region and the name of the health alarm its bake watches;
 * - `bakeMinutes`: how long each wave bakes.
 *
 * Usage: node --import tsx scripts/deploy-plan.ts [-c key=value ...] [--github-output]
 * `-c` overrides config keys as with `cdk synth`; `--github-output` prints `key=value` lines for
 * $GITHUB_OUTPUT instead of JSON. Needs no AWS credentials.
 */
import { Stack } from 'aws-cdk-lib';
import { AppConfig, ConfigError } from '../lib/config';
import { regionHealthAlarmName } from '../lib/stacks/names';
import { buildApp, cdkContext } from './common/assembly';
import { commandLine, run } from './common/cli';

export interface Wave {
  readonly region: string;
  readonly stack: string;
  readonly alarm: string;
}

export interface DeployPlan {
  readonly foundation: string[];
  readonly waves: Wave[];
  readonly bakeMinutes: number;
}

/**
 * The plan for an app built by `buildBlueprint`: the services in `config.regions` order, and
 * everything they depend on (directly or not) before them, dependencies first.
 */
export function deployPlan(config: AppConfig, service: ReadonlyMap<string, Stack>): DeployPlan {
  if (config.delivery.pipeline) {
    throw new ConfigError(
      'delivery.pipeline',
      true,
      'false',
      'means the CDK pipeline deploys this app, not GitHub Actions',
    );
  }
  const services = config.regions.map((region) => service.get(region)!);
  const isService = new Set<Stack>(services);
  const foundation: Stack[] = [];
  const seen = new Set<Stack>();
  const visit = (stack: Stack) => {
    if (seen.has(stack)) return;
    seen.add(stack);
    stack.dependencies.forEach(visit);
    if (!isService.has(stack)) foundation.push(stack);
  };
  services.forEach(visit);
  return {
    foundation: foundation.map((stack) => stack.stackName),
    waves: services.map((stack) => ({
      region: stack.region,
      stack: stack.stackName,
      alarm: regionHealthAlarmName(config.appName, stack.region),
    })),
    bakeMinutes: config.delivery.bakeMinutes,
  };
}

function main(argv: readonly string[]): void {
  const { values, context } = commandLine(
    argv,
    'node --import tsx scripts/deploy-plan.ts [-c key=value ...] [--github-output]',
    { 'github-output': { type: 'boolean' } },
  );
  const { config, stacks } = buildApp(cdkContext(context));
  const plan = deployPlan(config, stacks.service);
  if (!values['github-output']) {
    console.log(JSON.stringify(plan, undefined, 2));
    return;
  }
  const [canary, ...rest] = plan.waves;
  console.log(`foundation=${plan.foundation.join(' ')}`);
  console.log(`canary=${JSON.stringify(canary)}`);
  console.log(`rest=${JSON.stringify(rest)}`);
  console.log(`bake_minutes=${plan.bakeMinutes}`);
}

if (require.main === module) run('deploy-plan', () => main(process.argv.slice(2)));
