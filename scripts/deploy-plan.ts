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
import type { ServiceStack } from '../lib/stacks/service-stack';
import { buildApp, cdkContext } from './synth-app';

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
export function deployPlan(config: AppConfig, service: ReadonlyMap<string, ServiceStack>): DeployPlan {
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

/** `-c key=value` pairs as context overrides, as the cdk CLI reads them. */
function parseArgs(args: string[]): { overrides: Record<string, string>; githubOutput: boolean } {
  const overrides: Record<string, string> = {};
  let githubOutput = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--github-output') {
      githubOutput = true;
    } else if ((args[i] === '-c' || args[i] === '--context') && args[i + 1]?.includes('=')) {
      const [key, ...value] = args[++i].split('=');
      overrides[key] = value.join('=');
    } else {
      throw new Error(`usage: deploy-plan.ts [-c key=value ...] [--github-output] (unexpected: ${args[i]})`);
    }
  }
  return { overrides, githubOutput };
}

function main(): void {
  const { overrides, githubOutput } = parseArgs(process.argv.slice(2));
  const { config, stacks } = buildApp(cdkContext(overrides));
  const plan = deployPlan(config, stacks.service);
  if (!githubOutput) {
    console.log(JSON.stringify(plan, undefined, 2));
    return;
  }
  const [canary, ...rest] = plan.waves;
  console.log(`foundation=${plan.foundation.join(' ')}`);
  console.log(`canary=${JSON.stringify(canary)}`);
  console.log(`rest=${JSON.stringify(rest)}`);
  console.log(`bake_minutes=${plan.bakeMinutes}`);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`config error: ${error.message}`);
    process.exit(1);
  }
}
