import { App, Stack, Stage, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AppConfig, AwsRegion, loadConfig } from './config';
import { BASELINE_FEATURE_FLAGS } from './feature-flags';
import { AccountStack } from './stacks/account-stack';
import { DataStack } from './stacks/data-stack';
import { EdgeStack, EdgeZoneStack } from './stacks/edge-stack';
import { GitHubOidcStack } from './stacks/github-oidc-stack';
import { KeysStack } from './stacks/keys-stack';
import { PipelineStack } from './stacks/pipeline-stack';
import { stackName } from './stacks/names';
import { RecoveryStack } from './stacks/recovery-stack';
import { ServiceStack } from './stacks/service-stack';

export interface BlueprintStacks {
  /** The account's service-linked roles, in the primary region: first of all. */
  readonly account: AccountStack;
  /** Per non-primary region, the key of the primary's secret replicas: before the primary's Data stack. */
  readonly keys: ReadonlyMap<AwsRegion, KeysStack>;
  readonly edge: EdgeStack;
  readonly data: ReadonlyMap<AwsRegion, DataStack>;
  readonly service: ReadonlyMap<AwsRegion, ServiceStack>;
  /** ARC routing controls in us-west-2; only with `resilience.arc`. */
  readonly recovery?: RecoveryStack;
  /** GitHub Actions' OIDC provider and deploy role; only with `delivery.githubOidc`. */
  readonly githubOidc?: GitHubOidcStack;
  /** The CDK pipeline that deploys all the stacks above; only with `delivery.pipeline`. */
  readonly pipeline?: PipelineStack;
}

export interface BuildOptions {
  /**
   * Run cdk-nag's AwsSolutions checks at synth. Only tests that assert on templates alone turn
   * it off, to synthesize faster; the app and the nag test always run it.
   * @default true
   */
  readonly nag?: boolean;
}

/** Tags on every stack of the app. */
function stackTags(config: AppConfig): Record<string, string> {
  return { app: config.appName, profile: config.profile, ...config.tags };
}

/** The Edge stack's description, the same whether it holds only the zone or the whole edge. */
function edgeDescription(config: AppConfig): string {
  return `${config.appName} (${config.profile}) global edge: DNS, certificates, CDN, WAF`;
}

/**
 * Composes the whole app from a validated config: per region a Data and a Service stack, one
 * Edge stack, and cdk-nag's AwsSolutions checks over all of it (an unacknowledged finding fails
 * synth). `bin/app.ts` and the tests both build the app through here, so they cannot drift.
 */
export function buildBlueprint(root: App, config: AppConfig, options: BuildOptions = {}): BlueprintStacks {
  const tags = stackTags(config);
  // Where the app's stacks go: the App itself, or with `delivery.pipeline` the one Stage the
  // pipeline deploys (decision 9). Stacks keep their names either way.
  const app: Stage = config.delivery.pipeline ? new Stage(root, 'Deploy') : root;
  const data = new Map<AwsRegion, DataStack>();
  const service = new Map<AwsRegion, ServiceStack>();
  const keys = new Map<AwsRegion, KeysStack>();

  // First of all: what the account and each region must hold before the primary's Data stack
  // creates and replicates the app's secrets (decision 11).
  const account = new AccountStack(app, stackName(config.appName, 'Account'), {
    config,
    tags,
    description: `${config.appName} (${config.profile}) account prerequisites: service-linked roles`,
  });
  for (const regional of config.regional.filter((r) => !r.isPrimary)) {
    keys.set(
      regional.region,
      new KeysStack(app, stackName(config.appName, 'Keys', regional.region), {
        config,
        regional,
        tags,
        description: `${config.appName} (${config.profile}) key of the primary's secret replicas in ${regional.region}`,
      }),
    );
  }

  for (const regional of config.regional) {
    const { region } = regional;
    const dataStack = new DataStack(app, stackName(config.appName, 'Data', region), {
      config,
      regional,
      tags,
      description: `${config.appName} (${config.profile}) stateful resources in ${region}${regional.isPrimary ? ', primary region' : ''}`,
    });
    const serviceStack = new ServiceStack(app, stackName(config.appName, 'Service', region), {
      config,
      regional,
      tags,
      data: dataStack.outputs,
      replicaKey: keys.get(region)?.replicaKey,
      description: `${config.appName} (${config.profile}) stateless services in ${region}`,
    });
    serviceStack.addStackDependency(dataStack, 'services run in the VPC of the Data stack');
    data.set(region, dataStack);
    service.set(region, serviceStack);
  }

  // Data stacks deploy one region at a time, primary first: secondaries join what the primary
  // creates (the global clusters), and cross-region subscriptions need both ends to exist.
  const orderedData = config.dataDeployOrder.map((region) => data.get(region)!);
  deployOneAfterAnother(orderedData, 'data regions deploy one at a time');
  orderedData[0].addStackDependency(account, 'the account has the service-linked roles before any region deploys');
  for (const keysStack of keys.values()) {
    orderedData[0].addStackDependency(keysStack, "the primary's secrets replicate into the key this stack creates");
  }

  // Edge deploys after the data (it reads the shared secrets' replicas) and before the services
  // (their origin certificates rely on its validation records).
  const edge = new EdgeStack(app, stackName(config.appName, 'Edge'), {
    config,
    tags,
    description: edgeDescription(config),
  });
  edge.addStackDependency(orderedData[orderedData.length - 1], 'the edge reads secrets the data stacks create');
  for (const serviceStack of service.values()) {
    serviceStack.addStackDependency(edge, 'origin certificates are validated by records the edge writes');
  }
  // Services deploy one region at a time in `regions` order: the first region is the canary, and
  // a bad release stops there (decision 9).
  const orderedServices = config.regions.map((region) => service.get(region)!);
  deployOneAfterAnother(orderedServices, 'services roll out one region at a time, canary first');

  // With ARC, the routing controls deploy beside the edge: after the data, and before the
  // services, whose health checks read their routing control's ARN from the SSM parameter this
  // stack writes in their region (no cross-region reference).
  let recovery: RecoveryStack | undefined;
  if (config.resilience.arc) {
    recovery = new RecoveryStack(app, stackName(config.appName, 'Recovery'), {
      config,
      tags,
      description: `${config.appName} (${config.profile}) region evacuation: ARC cluster and routing controls`,
    });
    recovery.addStackDependency(
      orderedData[orderedData.length - 1],
      'region controls deploy after the data, beside the edge',
    );
    for (const serviceStack of service.values()) {
      serviceStack.addStackDependency(recovery, 'the evacuation health check reads the routing-control ARN it writes');
    }
  }

  // Delivery comes last, as it covers every stack above: the OIDC role may assume the bootstrap
  // roles of every region they deploy to, and adding the stage to the pipeline synthesizes the
  // stage (anything added to it later fails synth).
  const githubOidc = config.delivery.githubOidc
    ? new GitHubOidcStack(root, stackName(config.appName, 'GitHubOidc'), {
        config,
        tags,
        deployRegions: [...new Set(app.node.children.filter(Stack.isStack).map((stack) => stack.region))],
        description: `${config.appName} (${config.profile}) GitHub Actions OIDC provider and deploy role`,
      })
    : undefined;
  let pipeline: PipelineStack | undefined;
  if (app !== root) {
    pipeline = new PipelineStack(root, stackName(config.appName, 'Pipeline'), {
      config,
      tags,
      description: `${config.appName} (${config.profile}) CDK pipeline: canary region first, then one region at a time`,
    });
    pipeline.deploy(app, orderedServices);
  }

  if (options.nag ?? true) Validations.of(root).addPlugins(new AwsSolutionsChecks(root));
  return { account, keys, edge, data, service, recovery, githubOidc, pipeline };
}

/** Makes each stack of `stacks` depend on the one before it, so they deploy in that order. */
function deployOneAfterAnother(stacks: readonly Stack[], reason: string): void {
  stacks.slice(1).forEach((stack, i) => stack.addStackDependency(stacks[i], reason));
}

/**
 * The first step of a first deploy without `hostedZoneId` (`-c zoneOnly=true`): only the Edge
 * stack's hosted zone, so its name servers can be delegated before any certificate validates
 * through it. cdk-nag runs as for the whole app.
 */
export function buildZoneOnly(root: App, config: AppConfig, options: BuildOptions = {}): EdgeZoneStack {
  const edge = new EdgeZoneStack(root, stackName(config.appName, 'Edge'), {
    config,
    tags: stackTags(config),
    description: edgeDescription(config),
  });
  if (options.nag ?? true) Validations.of(root).addPlugins(new AwsSolutionsChecks(root));
  return edge;
}

export interface CreateAppOptions {
  /**
   * Context as `cdk synth` gives it (cdk.json, cdk.context.json, `-c`).
   * @default what the CDK CLI passes the app through its environment
   */
  readonly context?: Record<string, unknown>;
  /**
   * Where the app synthesizes to.
   * @default the CLI's output directory, or a temporary one outside the CLI
   */
  readonly outdir?: string;
  /**
   * CDK's built-in CloudFormation template lint at synth: its fixed start-up cost is more than the
   * rest of synth together, so only `npm test` and CDK_VALIDATION=true turn it on (decision 2).
   * @default false
   */
  readonly templateLint?: boolean;
  /**
   * Write the construct tree (tree.json) into the assembly, for the CDK CLI and console. The tests
   * and scripts read only templates and skip it: it is a seventh of each synthesis.
   * @default true
   */
  readonly treeMetadata?: boolean;
}

/**
 * The one place an App of this blueprint is made: bin/app.ts, the scripts and the tests all start
 * here, then build the stacks with `buildBlueprint` (or `buildZoneOnly`). Throws the config's
 * `ConfigError` on a bad value.
 */
export function createApp(options: CreateAppOptions = {}): { app: App; config: AppConfig } {
  const app = new App({
    outdir: options.outdir,
    builtinCloudFormationValidation: options.templateLint ?? false,
    treeMetadata: options.treeMetadata ?? true,
    // CDK records where every resource was created, a stack trace each; construct paths already
    // name each resource in nag findings and deploy errors (CDK_DEBUG=true records them).
    context: { ...BASELINE_FEATURE_FLAGS, 'aws:cdk:disable-creation-stack-traces': true, ...options.context },
  });
  return { app, config: loadConfig(app.node.getAllContext()) };
}
