import { readFileSync } from 'node:fs';
import { Stack, StackProps, Stage } from 'aws-cdk-lib';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { projectPath } from '../project-paths';
import { AppConfig } from '../config';
import { DeliveryPipeline } from '../constructs/delivery-pipeline';
import { regionHealthAlarmName } from './names';

const DEV_DEPENDENCIES: Record<string, string> = JSON.parse(
  readFileSync(projectPath('package.json'), 'utf-8'),
).devDependencies;
/** The aws-cdk CLI version package.json pins: the pipeline deploys with the CLI that synthesized. */
const CDK_CLI_VERSION = DEV_DEPENDENCIES['aws-cdk'];
/** The cdk-assets version package.json pins: asset publishing changes only with a commit. */
const CDK_ASSETS_VERSION = DEV_DEPENDENCIES['cdk-assets'];

export interface PipelineStackProps extends StackProps {
  /** A config with `delivery.pipeline` true, hence with `account` and `delivery.connectionArn`. */
  readonly config: AppConfig;
}

/**
 * The CDK pipeline that deploys the app when `delivery.pipeline` is true (decision 9): source from
 * GitHub through CodeConnections, synth with the README's commands, then the app's stage with the
 * Service stacks as waves, canary region first, each followed by a bake on the region's health.
 * Lives in the account and primary region; every region the app deploys to must be bootstrapped
 * (in the same account, no `--trust` is needed).
 */
export class PipelineStack extends Stack {
  public readonly delivery: DeliveryPipeline;
  private readonly appName: string;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    const { config } = props;
    // loadConfig requires both when delivery.pipeline is true, the only time this stack exists.
    const account = config.account!;
    const connectionArn = config.delivery.connectionArn!;
    super(scope, id, { ...props, env: { account, region: config.primaryRegion } });
    this.appName = config.appName;

    this.delivery = new DeliveryPipeline(this, 'Delivery', {
      repository: config.delivery.repository,
      branch: config.delivery.branch,
      connectionArn,
      // What turns pipeline mode on; every other key comes from the committed cdk.json.
      synthContext: {
        profile: config.profile,
        account,
        'delivery.pipeline': 'true',
        'delivery.connectionArn': connectionArn,
      },
      bakeMinutes: config.delivery.bakeMinutes,
      imageArchitecture: config.compute.architecture,
      cliVersion: CDK_CLI_VERSION,
      cdkAssetsVersion: CDK_ASSETS_VERSION,
      pipelineName: config.appName,
    });
  }

  /**
   * Deploys `stage`, which holds the whole app. Each of `services` is a wave, in the order given
   * (the canary region first), and bakes before the stacks that depend on it deploy.
   */
  deploy(stage: Stage, services: readonly Stack[]): pipelines.StageDeployment {
    return this.delivery.addRollout(
      stage,
      services.map((stack) => ({
        stack,
        region: stack.region,
        alarmName: regionHealthAlarmName(this.appName, stack.region),
      })),
    );
  }
}
