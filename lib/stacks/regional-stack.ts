import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AppConfig, RegionalConfig } from '../config';

export interface RegionalStackProps extends StackProps {
  readonly config: AppConfig;
  /** The region this stack serves. */
  readonly regional: RegionalConfig;
}

/**
 * A stack pinned to one serving region. Its AZs come from config rather than from a context
 * lookup, so synth works without credentials even when an account is set.
 */
export abstract class RegionalStack extends Stack {
  protected readonly config: AppConfig;
  protected readonly regional: RegionalConfig;

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    // The id is the CloudFormation name even inside a Stage (pipeline mode, decision 9).
    super(scope, id, {
      stackName: id,
      ...props,
      env: { account: props.config.account, region: props.regional.region },
    });
    this.config = props.config;
    this.regional = props.regional;
  }

  public override get availabilityZones(): string[] {
    return [...this.regional.availabilityZones];
  }
}

/**
 * What happens to a stateful resource when it leaves its stack: with `retainData` it is kept on
 * delete and replacement, but removed when the create that made it rolls back
 * (`RetainExceptOnCreate`), so a failed first deploy leaves nothing behind to collide with the
 * retry; without, it is destroyed.
 */
export function removalPolicyFor(retainData: boolean): RemovalPolicy {
  return retainData ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY;
}
