import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { RegionalCache } from '../constructs/cache';
import { AuroraShard, ShardEndpoint } from '../constructs/database';
import { InvalidationMesh } from '../constructs/invalidation-mesh';
import { WorkQueue } from '../constructs/work-queue';
import { AppConfig, RegionalConfig } from '../config';

/** What one region's stacks hand each other. */
/** What a region's Service stack receives from its Data stack (same region only). */
export interface DataOutputs {
  readonly vpc: ec2.IVpc;
  readonly dataKey: kms.IKey;
  /** Attach to the service tasks: the only group the database and cache admit. */
  readonly dataClientSecurityGroup: ec2.ISecurityGroup;
  /** One per shard, in shard order: the services' shard map. */
  readonly shards: readonly ShardEndpoint[];
  /** The shards' clusters, for their metrics. */
  readonly databases: readonly AuroraShard[];
  readonly cache: RegionalCache;
  readonly workQueue: WorkQueue;
  readonly invalidation: InvalidationMesh;
  /** The session-signing secret in this region (the primary's, or its replica), by complete ARN. */
  readonly sessionSecret: secretsmanager.ISecret;
}

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
