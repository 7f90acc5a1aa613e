import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** How long a replaced or deleted object version is kept, so a bad deploy can be rolled back by hand. */
const NONCURRENT_VERSION_DAYS = 30;

export interface LogBucketOptions {
  /** How long log objects are kept. */
  readonly expiration: Duration;
  readonly removalPolicy: RemovalPolicy;
  /**
   * Whether the bucket must accept ACLs: CloudFront standard logging writes its objects through
   * the `awslogsdelivery` account and grants the bucket owner access by ACL.
   */
  readonly acceptAcls: boolean;
}

/** A log sink: SSE-S3, private, TLS-only, versioned, expiring, deleted with its objects when destroyed. */
export function logBucket(scope: Construct, id: string, options: LogBucketOptions): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    // CloudFront and S3 log delivery write with SSE-S3 only unless granted a KMS key; logs hold no secrets.
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    // BUCKET_OWNER_PREFERRED keeps ACLs working for CloudFront and makes its objects (written with
    // `bucket-owner-full-control`) the account's own, readable by IAM alone; ENFORCED breaks delivery.
    objectOwnership: options.acceptAcls
      ? s3.ObjectOwnership.BUCKET_OWNER_PREFERRED
      : s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    versioned: true,
    lifecycleRules: [
      {
        expiration: options.expiration,
        noncurrentVersionExpiration: Duration.days(1),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      },
    ],
    removalPolicy: options.removalPolicy,
    autoDeleteObjects: options.removalPolicy === RemovalPolicy.DESTROY,
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'This bucket is itself the log sink: server access logs of it would need another log bucket, whose own logs would need a third. Reads of it are audited by CloudTrail.',
  });
  return bucket;
}

export interface ContentBucketOptions {
  readonly removalPolicy: RemovalPolicy;
  /** Receives the bucket's server access logs (same region). */
  readonly accessLogBucket: s3.IBucket;
  readonly accessLogPrefix: string;
  /** Bucket name, when another stack must derive it. @default a generated name */
  readonly bucketName?: string;
  /** Cross-region replication of every object, with delete markers. @default none */
  readonly replicationRules?: s3.ReplicationRule[];
}

/**
 * A bucket of site content read by CloudFront through OAC: SSE-S3 (the content is public by
 * design, and SSE-KMS would need a key policy for CloudFront and KMS grants for replication), no
 * public access, TLS-only, versioned (replication requires it), server access logs on.
 */
export function contentBucket(scope: Construct, id: string, options: ContentBucketOptions): s3.Bucket {
  return new s3.Bucket(scope, id, {
    bucketName: options.bucketName,
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    versioned: true,
    serverAccessLogsBucket: options.accessLogBucket,
    serverAccessLogsPrefix: options.accessLogPrefix,
    replicationRules: options.replicationRules,
    lifecycleRules: [
      {
        noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      },
    ],
    removalPolicy: options.removalPolicy,
    autoDeleteObjects: options.removalPolicy === RemovalPolicy.DESTROY,
  });
}
