import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cxapi from 'aws-cdk-lib/cx-api';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { BlueprintStacks, buildBlueprint, createApp } from '../lib/app';
import { AppConfig, ConfigError, loadConfig } from '../lib/config';
import { DataKey } from '../lib/constructs/data-key';
import { Network, SubnetGroup } from '../lib/constructs/network';
import { BASELINE_FEATURE_FLAGS } from '../lib/feature-flags';

/**
 * The tests' own app context (test/fixtures/context.json): the feature flags and profiles cdk.json
 * held when the tests were written. Tests build from it, never from the live
 * cdk.json, so a fork's config edit cannot break them; test/this-app.test.ts checks the live file.
 */
export const TEST_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'context.json'), 'utf-8'),
);

/**
 * The feature flags the app runs with (lib/feature-flags.ts, then the fixture's), so construct
 * tests render templates as the app does.
 */
export const FEATURE_FLAGS: Record<string, unknown> = {
  ...BASELINE_FEATURE_FLAGS,
  ...Object.fromEntries(Object.entries(TEST_CONTEXT).filter(([key]) => key.startsWith('@'))),
};

/** The fixture's context as `cdk synth -c key=value ...` would give the app. */
export function contextWith(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...TEST_CONTEXT, ...overrides };
}

/**
 * The commands `cdk synth` runs, in this order: the build that bundles bin/app.ts into
 * build/app.js, then the app. test/this-app.test.ts checks cdk.json names these two.
 */
export const BUILD_COMMAND = 'node bin/build.cjs';
export const APP_COMMAND = 'node --enable-source-maps build/app.js';

/** Loads config exactly as bin/app.ts does, from the fixture plus `-c` style overrides. */
export function configWith(overrides: Record<string, unknown> = {}): AppConfig {
  return loadConfig(contextWith(overrides));
}

/**
 * Expects `configWith(overrides)` to stop with a `ConfigError` whose message matches `expected`
 * and is one line, as synth prints it.
 */
export function expectConfigError(overrides: Record<string, unknown>, expected: RegExp): void {
  let thrown: unknown;
  try {
    configWith(overrides);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  const { message } = thrown as ConfigError;
  expect(message).toMatch(expected);
  expect(message).not.toContain('\n');
}

export interface BuiltBlueprint extends BlueprintStacks {
  readonly app: App;
  readonly config: AppConfig;
}

export interface BuildAppOptions {
  /**
   * Run cdk-nag at synth, failing on any finding. On by default; test files that only read
   * templates turn it off, because test/app.test.ts runs it over the fixture's profiles. CDK's
   * CloudFormation lint is off in every test file (test/setup.ts) but test/this-app.test.ts.
   */
  readonly checks?: boolean;
}

/** Builds the whole app as bin/app.ts does. Call once per file, in beforeAll. */
export function buildApp(overrides: Record<string, unknown> = {}, options: BuildAppOptions = {}): BuiltBlueprint {
  const checks = options.checks ?? true;
  const { app, config } = createApp({
    // Assets stay where they are instead of being copied into each test's assembly: the templates
    // are the same (the asset hash is of the source), and no test deploys or reads an asset.
    context: { ...contextWith(overrides), 'aws:cdk:disable-asset-staging': true },
    templateLint: checks,
    treeMetadata: false,
  });
  return { app, config, ...buildBlueprint(app, config, { nag: checks }) };
}

const renderedTemplates = new WeakMap<Stack, Template>();

/** `Template.fromStack`, rendered once per stack and shared by every assertion on it. */
export function stackTemplate(stack: Stack): Template {
  let template = renderedTemplates.get(stack);
  if (!template) renderedTemplates.set(stack, (template = Template.fromStack(stack)));
  return template;
}

/** The first container of the task definition whose logical ID matches `logicalId`. */
export function containerOf(template: Template, logicalId: RegExp): Record<string, any> {
  const [definition] = Object.entries(template.findResources('AWS::ECS::TaskDefinition')).filter(([id]) =>
    logicalId.test(id),
  );
  if (!definition) throw new Error(`no task definition matches ${logicalId}`);
  return definition[1].Properties.ContainerDefinitions[0];
}

/**
 * What every regional construct test stands on: the region's data key (`DataKey`) and a VPC
 * over its a/b/c zones with one NAT gateway (`Network`), built in `stack`.
 */
export function regionalFoundation(stack: Stack): { key: kms.Key; vpc: ec2.Vpc } {
  const { key } = new DataKey(stack, 'DataKey', { alias: 'alias/app/data' });
  const { vpc } = new Network(stack, 'Network', {
    availabilityZones: ['a', 'b', 'c'].map((az) => `${stack.region}${az}`),
    cidr: '10.20.0.0/16',
    logKey: key,
    natGateways: 1,
  });
  return { key, vpc };
}

/** A region's load balancer as a DNS test needs it: imported, with a fixed DNS name and zone id. */
export function importedLoadBalancer(stack: Stack): elbv2.IApplicationLoadBalancer {
  return elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(stack, 'Lb', {
    loadBalancerArn: `arn:aws:elasticloadbalancing:${stack.region}:111111111111:loadbalancer/app/api/0123456789abcdef`,
    securityGroupId: 'sg-0123456789abcdef0',
    loadBalancerDnsName: `api-123.${stack.region}.elb.amazonaws.com`,
    loadBalancerCanonicalHostedZoneId: 'Z32O12XQLNTSW2',
  });
}

/** The stacks `stackName` waits for in a synthesized app, asset manifests left out. */
export function stackDependencies(assembly: cxapi.CloudAssembly, stackName: string): string[] {
  const stack = assembly.stacks.find((s) => s.stackName === stackName);
  if (!stack) throw new Error(`no stack ${stackName} in ${assembly.stacks.map((s) => s.stackName).join(', ')}`);
  return stack.dependencies.map((d) => d.id).filter((id) => !id.endsWith('.assets'));
}

/**
 * An ECS cluster with enhanced Container Insights and a Fargate task definition of one container
 * (`name`, the public Node.js image, logs to CloudWatch), as a region's services have.
 */
export function clusterAndTask(
  stack: Stack,
  vpc: ec2.IVpc,
  container: { readonly name: string; readonly command?: string[] },
): { cluster: ecs.Cluster; taskDefinition: ecs.FargateTaskDefinition } {
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENHANCED });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  taskDefinition.addContainer(container.name, {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:20-slim'),
    command: container.command,
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: container.name }),
  });
  return { cluster, taskDefinition };
}

/** A Fargate service in the app subnets that rolls back a failed deployment, as the app's services do. */
export function fargateService(
  stack: Stack,
  id: string,
  { cluster, taskDefinition }: { cluster: ecs.ICluster; taskDefinition: ecs.FargateTaskDefinition },
): ecs.FargateService {
  return new ecs.FargateService(stack, id, {
    cluster,
    taskDefinition,
    vpcSubnets: { subnetGroupName: SubnetGroup.APP },
    minHealthyPercent: 100,
    circuitBreaker: { enable: true, rollback: true },
  });
}

/**
 * Every way a stack of `assembly` reads a value across stacks that decision 1 forbids: an export
 * (`Fn::ImportValue`), or a stack output read from another region. Empty when there is none.
 */
export function crossRegionReferences(assembly: cxapi.CloudAssembly): string[] {
  return assembly.stacks.flatMap((stack) => {
    const template = JSON.stringify(stack.template);
    const found = template.includes('Fn::ImportValue') ? [`${stack.stackName} imports an export`] : [];
    for (const [, region] of template.matchAll(/"Fn::GetStackOutput":\{[^}]*"Region":"([a-z0-9-]+)"/g)) {
      if (region !== stack.environment.region) found.push(`${stack.stackName} reads an output in ${region}`);
    }
    return found;
  });
}

/**
 * Backlog per task's two metric queries as CloudFormation renders them (lib/constructs/backlog-scaling.ts):
 * the queue's visible messages (`m1`) over the service's running tasks (`m2`). An alarm's
 * queries carry their `period` in seconds; a target-tracking policy's carry none.
 */
export function backlogMetricQueries(
  ids: { readonly queue: string; readonly cluster: string; readonly service: string },
  period?: number,
) {
  const stat = (metric: Record<string, unknown>, statistic: string) => ({
    Metric: metric,
    ...(period === undefined ? {} : { Period: period }),
    Stat: statistic,
  });
  return [
    {
      Id: 'm1',
      MetricStat: stat(
        {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
        },
        'Maximum',
      ),
      ReturnData: false,
    },
    {
      Id: 'm2',
      MetricStat: stat(
        {
          Namespace: 'ECS/ContainerInsights',
          MetricName: 'RunningTaskCount',
          Dimensions: [
            { Name: 'ClusterName', Value: { Ref: ids.cluster } },
            { Name: 'ServiceName', Value: { 'Fn::GetAtt': [ids.service, 'Name'] } },
          ],
        },
        'Average',
      ),
      ReturnData: false,
    },
  ];
}
