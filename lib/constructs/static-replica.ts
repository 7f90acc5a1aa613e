import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { contentBucket, logBucket } from './cdn/buckets';
import { PropError } from './validation';

/** S3 bucket names (general purpose buckets). */
const S3_BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export interface StaticReplicaProps {
  /**
   * Name of the bucket: a name the Edge stack can derive too, since it points CloudFront and
   * replication at the bucket without a cross-region reference (decision 1).
   */
  readonly bucketName: string;
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
    if (!Token.isUnresolved(props.bucketName) && !S3_BUCKET_NAME.test(props.bucketName)) {
      throw new PropError(
        this,
        'bucketName',
        props.bucketName,
        '3-63 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit',
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
      bucketName: props.bucketName,
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
