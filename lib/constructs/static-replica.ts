import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { contentBucket, logBucket } from './cdn/buckets';
import { PropError } from './validation';

/**
 * Name of the static site's failover bucket in `region`: derived, so the Edge stack can point
 * CloudFront and replication at it without a cross-region reference (decision 1). At most 59
 * characters for a 24-character app name and a 14-character region, within S3's 63.
 */
export function staticReplicaBucketName(appName: string, account: string, region: string): string {
  return `${appName}-static-${account}-${region}`;
}

export interface StaticReplicaProps {
  /** Prefix of the derived bucket name. */
  readonly appName: string;
  /**
   * Bucket that receives the replica's server access logs; must be in this region.
   * @default a log bucket created here
   */
  readonly accessLogBucket?: s3.IBucket;
  /**
   * How long the log bucket created here keeps logs.
   * @default Duration.days(90)
   */
  readonly logExpiration?: Duration;
  /**
   * What happens to the buckets when they leave the stack. Keep RETAIN in prod: the Edge stack's
   * replication rule and origin group point at this bucket by name.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The failover copy of the static site's bucket, in a region other than us-east-1. It deploys
 * before the Edge stack, which replicates the primary site bucket into it and adds it to the
 * distribution's origin group; CloudFront reads it through Origin Access Control.
 */
export class StaticReplica extends Construct {
  public readonly bucket: s3.Bucket;
  /** Its server access logs (the given bucket, or one created here). */
  public readonly accessLogBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: StaticReplicaProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (!Token.isUnresolved(props.appName) && !/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/.test(props.appName)) {
      throw new PropError(
        this,
        'appName',
        props.appName,
        '3-24 lower-case letters, digits or hyphens, starting with a letter',
      );
    }

    this.accessLogBucket =
      props.accessLogBucket ??
      logBucket(this, 'AccessLogs', {
        expiration: props.logExpiration ?? Duration.days(90),
        removalPolicy,
        acceptAcls: false,
      });
    this.bucket = contentBucket(this, 'Bucket', {
      bucketName: staticReplicaBucketName(props.appName, stack.account, stack.region),
      removalPolicy,
      accessLogBucket: this.accessLogBucket,
      accessLogPrefix: 'static-replica/',
    });
    // The distribution deploys after this bucket, so its id cannot be named here: any distribution
    // of this account may read (OAC signs as the CloudFront service, with the distribution's ARN as
    // the source). The objects are the public site, and only this account can create distributions.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudFrontOriginAccessControl',
        principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: {
          ArnLike: {
            'AWS:SourceArn': stack.formatArn({
              service: 'cloudfront',
              region: '',
              resource: 'distribution',
              resourceName: '*',
            }),
          },
        },
      }),
    );
  }

  /** ARN the primary bucket's replication role writes to (objects under it). */
  get bucketArn(): string {
    return this.bucket.bucketArn;
  }

  get bucketName(): string {
    return this.bucket.bucketName;
  }
}
