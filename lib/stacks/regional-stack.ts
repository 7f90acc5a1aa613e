import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { RegionalCache } from '../constructs/cache';
import { ShardBackup } from '../constructs/backup';
import { AuroraShard, ShardEndpoint } from '../constructs/database';
import { InvalidationMesh } from '../constructs/invalidation-mesh';
import { WorkQueue } from '../constructs/work-queue';
import { AppConfig, RegionalConfig } from '../config';

/**
 * What the services need to follow a shard's writer across regions without a deploy (decision 14):
 * the global database's writer endpoint and this region's cluster endpoint.
 */
export interface WriterDiscovery {
  readonly globalWriterHost: string;
  readonly clusterHost: string;
}

/** What a region's Service stack receives from its Data stack (same region only). */
export interface DataOutputs {
  readonly vpc: ec2.IVpc;
  readonly dataKey: kms.IKey;
  /** Attach to the service tasks: the only group the database and cache admit. */
  readonly dataClientSecurityGroup: ec2.ISecurityGroup;
  /** One per shard, in shard order: the services' shard map, with where writes may move to. */
  readonly shards: readonly (ShardEndpoint & WriterDiscovery)[];
  /** The shards' clusters, for their metrics. */
  readonly databases: readonly AuroraShard[];
  readonly cache: RegionalCache;
  readonly workQueue: WorkQueue;
  readonly invalidation: InvalidationMesh;
  /** The session-signing secret in this region (the primary's, or its replica), by complete ARN. */
  readonly sessionSecret: secretsmanager.ISecret;
  /** The shards' AWS Backup plan: in the primary region with `backup.enabled`. */
  readonly backup?: ShardBackup;
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
