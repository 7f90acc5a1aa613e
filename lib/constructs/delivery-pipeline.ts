import { Arn, Duration, Stack, Stage, Token, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { CODECONNECTIONS_ARN } from './choices';
import { acknowledgePipelineWildcards } from './delivery-pipeline/nag';
import { checkGitHubSource, checkInteger, PropError } from './validation';

/** The one bake gate: the pipeline's post steps and GitHub Actions' deploy jobs both run it. */
export const REGION_HEALTH_SCRIPT = 'scripts/check-region-health.sh';

/** One wave of a rollout: a stack, and the alarm that must stay quiet after it deploys. */
export interface RolloutWave {
  /** The wave's stack. Its bake runs after it deploys, and before every stack that depends on it. */
  readonly stack: Stack;
  /** Region the alarm lives in. */
  readonly region: string;
  /** Name of the composite alarm that says the region is unhealthy. */
  readonly alarmName: string;
}

export interface DeliveryPipelineProps {
  /** GitHub repository the pipeline builds, as `owner/name`. */
  readonly repository: string;
  /** Branch whose pushes start the pipeline. */
  readonly branch: string;
  /** CodeConnections (CodeStar) connection to GitHub, created and authorized in the console. */
  readonly connectionArn: string;
  /**
   * Context the synth step passes to `npm run synth` as `-c key=value`: at least what turns
   * pipeline mode on, so the pipeline synthesizes itself and not the plain app. Anything else
   * the app needs must be committed to cdk.json.
   */
  readonly synthContext: Record<string, string>;
  /**
   * Minutes each wave bakes after deploying, watching its region's health alarm, before stacks
   * that depend on it deploy. 0 still checks the alarm once.
   */
  readonly bakeMinutes: number;
  /**
   * CPU architecture of the app's container images. arm64 images are built and published on ARM
   * build hosts, as CodeBuild's x86 hosts cannot build them without emulation.
   * @default 'x86_64'
   */
  readonly imageArchitecture?: 'arm64' | 'x86_64';
  /**
   * Version of the aws-cdk CLI the pipeline's self-mutation and asset publishing install; pin
   * the one package.json pins, so the pipeline deploys what `npm run synth` produced.
   * @default the latest release at each run
   */
  readonly cliVersion?: string;
  /**
   * Version of cdk-assets the asset-publishing steps install; pin it, so a new release cannot
   * change how a deploy publishes without a commit.
   * @default the latest release at each run
   */
  readonly cdkAssetsVersion?: string;
  /**
   * Name of the CodePipeline pipeline.
   * @default a name CloudFormation generates
   */
  readonly pipelineName?: string;
}

/**
 * A self-mutating CDK pipeline (CodePipeline V2) from a GitHub branch: synth runs the README's
 * `npm ci`, `npm test`, `npm run synth`; `addRollout` adds the app's stage with a bake gate after
 * each wave. Artifacts are KMS-encrypted with a rotating key, and so are the CodeBuild projects.
 *
 * What a pipeline deploy does not do that `cdk deploy` does: it ignores a stack's
 * `terminationProtection` (aws-cdk#17871), so `addRollout` turns it on with a step after each
 * protected stack; and it cannot update a stack left in ROLLBACK_COMPLETE by a failed first
 * create, which must be deleted by hand before the next run (runbook: deploy rollback).
 */
export class DeliveryPipeline extends Construct {
  public readonly pipeline: pipelines.CodePipeline;
  public readonly source: pipelines.CodePipelineSource;
  /** The synth step's commands, in order. */
  public readonly synthCommands: string[];
  private readonly bakeMinutes: number;
  private readonly connectionArn: string;

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    checkInteger(this, 'bakeMinutes', props.bakeMinutes, 0, 240);
    checkGitHubSource(this, props.repository, props.branch);
    if (!Token.isUnresolved(props.connectionArn) && !CODECONNECTIONS_ARN.test(props.connectionArn)) {
      throw new PropError(this, 'connectionArn', props.connectionArn, 'a CodeConnections connection ARN');
    }
    for (const [key, value] of Object.entries(props.synthContext)) {
      if (!/^[A-Za-z0-9._-]+$/.test(key) || !/^[A-Za-z0-9._:/,@-]+$/.test(value)) {
        throw new PropError(this, `synthContext.${key}`, value, 'a key and value without spaces or quotes');
      }
    }
    this.bakeMinutes = props.bakeMinutes;
    this.connectionArn = props.connectionArn;

    this.source = pipelines.CodePipelineSource.connection(props.repository, props.branch, {
      connectionArn: props.connectionArn,
    });
    const context = Object.entries(props.synthContext).map(([key, value]) => `-c ${key}=${value}`);
    this.synthCommands = ['npm ci', 'npm test', ['npm run synth --', ...context].join(' ')];

    const armImages = props.imageArchitecture === 'arm64';
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: props.pipelineName,
      // A KMS key for the artifact buckets, which CodeBuild then also encrypts its output with.
      crossAccountKeys: true,
      enableKeyRotation: true,
      cliVersion: props.cliVersion,
      cdkAssetsCliVersion: props.cdkAssetsVersion,
      synth: new pipelines.ShellStep('Synth', {
        input: this.source,
        commands: this.synthCommands,
        primaryOutputDirectory: 'cdk.out',
      }),
      // `npm test` synthesizes every profile with cdk-nag and the template lint: give it room.
      synthCodeBuildDefaults: {
        buildEnvironment: {
          buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
          computeType: codebuild.ComputeType.MEDIUM,
        },
        partialBuildSpec: codebuild.BuildSpec.fromObject({
          phases: { install: { 'runtime-versions': { nodejs: 20 } } },
        }),
      },
      assetPublishingCodeBuildDefaults: armImages
        ? { buildEnvironment: { buildImage: codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0 } }
        : undefined,
    });
  }

  /**
   * Deploys `stage`. After each wave's stack, a bake step (`REGION_HEALTH_SCRIPT`) watches the
   * wave's region for `bakeMinutes` and fails the rollout if its health alarm goes to ALARM.
   * Stacks that depend on a wave's stack wait for its bake: CDK Pipelines puts a stack's post
   * steps in the stack's own group, and a dependency on a stack is one on its whole group.
   *
   * Call it once, last: it builds the pipeline and acknowledges the cdk-nag findings of what CDK
   * Pipelines generated, so nothing can be added to the pipeline afterwards.
   */
  addRollout(stage: Stage, waves: RolloutWave[]): pipelines.StageDeployment {
    const stacks = stage.node.findAll().filter(Stack.isStack);
    const stackSteps = stacks
      .map((stack) => ({
        stack,
        post: [
          // Protection first: a failed bake must not leave a protected stack unprotected.
          ...(stack.terminationProtection ? [this.protectStep(stack)] : []),
          ...waves.filter((wave) => wave.stack === stack).map((wave) => this.bakeStep(wave)),
        ],
      }))
      .filter((step) => step.post.length > 0);
    const deployment = this.pipeline.addStage(stage, { stackSteps });
    this.pipeline.buildPipeline();
    this.grantConnectionUse();
    const { artifactBucket, crossRegionSupport } = this.pipeline.pipeline;
    const artifactBuckets = [artifactBucket, ...Object.values(crossRegionSupport).map((s) => s.replicationBucket)];
    for (const bucket of artifactBuckets) {
      Validations.of(bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          "Holds only the pipeline's intermediate artifacts, KMS-encrypted and used by the pipeline's own roles; the pipeline's execution history records every run that wrote or read them.",
      });
    }
    acknowledgePipelineWildcards(this);
    return deployment;
  }

  /**
   * CDK grants the source action `codestar-connections:UseConnection`, which IAM matches only
   * against `arn:aws:codestar-connections:` ARNs; connections made since July 2024 have
   * `arn:aws:codeconnections:` ARNs, whose action prefix is `codeconnections` (the service's
   * rename notes: the prefix must match the resource's).
   */
  private grantConnectionUse(): void {
    const sourceStage = this.pipeline.pipeline.node.tryFindChild('Source');
    const roles = (sourceStage?.node.findAll() ?? []).filter((c): c is iam.Role => c instanceof iam.Role);
    if (roles.length === 0) throw new Error(`${this.node.path}: the pipeline has no source action role to grant`);
    for (const role of roles) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['codeconnections:UseConnection'], resources: [this.connectionArn] }),
      );
    }
  }

  /** Turns on `stack`'s termination protection, which the pipeline's deploy action ignores. */
  private protectStep(stack: Stack): pipelines.CodeBuildStep {
    const stackArn = Arn.format(
      {
        service: 'cloudformation',
        region: stack.region,
        account: stack.account,
        resource: 'stack',
        resourceName: `${stack.stackName}/*`,
      },
      Stack.of(this),
    );
    return new pipelines.CodeBuildStep(`Protect-${stack.stackName}`, {
      commands: [
        `aws cloudformation update-termination-protection --enable-termination-protection --stack-name ${stack.stackName} --region ${stack.region}`,
      ],
      timeout: Duration.minutes(10),
      rolePolicyStatements: [
        new iam.PolicyStatement({ actions: ['cloudformation:UpdateTerminationProtection'], resources: [stackArn] }),
      ],
    });
  }

  private bakeStep(wave: RolloutWave): pipelines.CodeBuildStep {
    return new pipelines.CodeBuildStep(`Bake-${wave.region}`, {
      input: this.source,
      commands: [`bash ${REGION_HEALTH_SCRIPT} ${wave.alarmName} ${wave.region} ${this.bakeMinutes}`],
      timeout: Duration.minutes(this.bakeMinutes + 15),
      rolePolicyStatements: [
        // DescribeAlarms returns composite alarms only to a grant on "*"; the condition keeps
        // even that to the wave's region.
        new iam.PolicyStatement({
          actions: ['cloudwatch:DescribeAlarms'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:RequestedRegion': wave.region } },
        }),
      ],
    });
  }
}
