import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AppConfig, AwsRegion } from './config';
import { DataStack } from './stacks/data-stack';
import { EdgeStack } from './stacks/edge-stack';
import { ServiceStack } from './stacks/service-stack';

export interface BlueprintStacks {
  readonly edge: EdgeStack;
  readonly data: ReadonlyMap<AwsRegion, DataStack>;
  readonly service: ReadonlyMap<AwsRegion, ServiceStack>;
}

/**
 * Composes the whole app from a validated config: per region a Data and a Service stack, one
 * Edge stack, and cdk-nag's AwsSolutions checks over all of it (an unacknowledged finding fails
 * synth). `bin/app.ts` and the tests both build the app through here, so they cannot drift.
 */
export interface BuildOptions {
  /**
   * Run cdk-nag's AwsSolutions checks at synth. Only tests that assert on templates alone turn
   * it off, to synthesize faster; the app and the nag test always run it.
   * @default true
   */
  readonly nag?: boolean;
}

export function buildBlueprint(app: App, config: AppConfig, options: BuildOptions = {}): BlueprintStacks {
  const tags = { app: config.appName, profile: config.profile, ...config.tags };
  const data = new Map<AwsRegion, DataStack>();
  const service = new Map<AwsRegion, ServiceStack>();

  for (const regional of config.regional) {
    const { region } = regional;
    const dataStack = new DataStack(app, `${config.appName}-Data-${region}`, {
      config,
      regional,
      tags,
      description: `${config.appName} (${config.profile}) stateful resources in ${region}${regional.isPrimary ? ', primary region' : ''}`,
    });
    const serviceStack = new ServiceStack(app, `${config.appName}-Service-${region}`, {
      config,
      regional,
      tags,
      data: dataStack.outputs,
      description: `${config.appName} (${config.profile}) stateless services in ${region}`,
    });
    serviceStack.addStackDependency(dataStack, 'services run in the VPC of the Data stack');
    data.set(region, dataStack);
    service.set(region, serviceStack);
  }

  // Data stacks deploy one region at a time, primary first: secondaries join what the primary
  // creates (the global clusters), and cross-region subscriptions need both ends to exist.
  const orderedData = config.dataDeployOrder.map((region) => data.get(region)!);
  orderedData
    .slice(1)
    .forEach((stack, i) => stack.addStackDependency(orderedData[i], 'data regions deploy one at a time'));

  // Edge deploys after the data (it reads the shared secrets' replicas) and before the services
  // (their origin certificates rely on its validation records).
  const edge = new EdgeStack(app, `${config.appName}-Edge`, {
    config,
    tags,
    description: `${config.appName} (${config.profile}) global edge: DNS, certificates, CDN, WAF`,
  });
  edge.addStackDependency(orderedData[orderedData.length - 1], 'the edge reads secrets the data stacks create');
  for (const serviceStack of service.values()) {
    serviceStack.addStackDependency(edge, 'origin certificates are validated by records the edge writes');
  }

  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { edge, data, service };
}
