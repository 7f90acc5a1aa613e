import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PropError } from '../../lib/constructs/validation';
import { StaticReplica, StaticReplicaProps } from '../../lib/constructs/static-replica';
import { FEATURE_FLAGS } from '../helpers';

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly replica: StaticReplica;
  readonly template: Template;
}

function build(props: Partial<StaticReplicaProps> = {}, options: { nag?: boolean } = {}): Built {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new Stack(app, 'Data', { env: { account: '123456789012', region: 'eu-west-1' } });
  const replica = new StaticReplica(stack, 'StaticReplica', {
    bucketName: 'app-static-123456789012-eu-west-1',
    ...props,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, replica, template: Template.fromStack(stack) };
}

describe('StaticReplica with defaults', () => {
  let built: Built;
  let bucketId: string;
  beforeAll(() => {
    built = build({}, { nag: true });
    bucketId = built.stack.getLogicalId(built.replica.bucket.node.defaultChild as never);
  });

  test('is named as given, the name the Edge stack derives too', () => {
    built.template.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'app-static-123456789012-eu-west-1' });
    expect(built.stack.resolve(built.replica.bucketArn)).toEqual({ 'Fn::GetAtt': [bucketId, 'Arn'] });
  });

  test('is versioned, SSE-S3 encrypted, private, and logs access to its own log bucket', () => {
    const logId = built.stack.getLogicalId(built.replica.accessLogBucket.node.defaultChild as never);
    built.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: Match.anyValue(),
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: logId }, LogFilePrefix: 'static-replica/' },
    });
  });

  test('lets any CloudFront distribution of this account, and no one else, read objects over TLS', () => {
    built.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          {
            Sid: 'CloudFrontOriginAccessControl',
            Effect: 'Allow',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: 's3:GetObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
            Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:cloudfront::123456789012:distribution/*' } },
          },
        ],
      },
    });
  });

  test('retains both buckets by default', () => {
    built.template.resourceCountIs('AWS::S3::Bucket', 2);
    built.template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('passes cdk-nag AwsSolutions and the template lint', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
  });
});

describe('StaticReplica options', () => {
  test('deletes both buckets with their objects when asked (dev), still nag-clean', () => {
    const { app, template } = build({ removalPolicy: RemovalPolicy.DESTROY }, { nag: true });
    template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    expect(() => app.synth({ force: true })).not.toThrow();
  });

  test('logs to a given bucket instead of creating one', () => {
    const app = new App({ context: FEATURE_FLAGS });
    const stack = new Stack(app, 'Data', { env: { account: '123456789012', region: 'eu-west-1' } });
    const replica = new StaticReplica(stack, 'StaticReplica', { bucketName: 'app-static-eu-west-1' });
    new StaticReplica(stack, 'Other', {
      bucketName: 'other-static-eu-west-1',
      accessLogBucket: replica.accessLogBucket,
    });
    Template.fromStack(stack).resourceCountIs('AWS::S3::Bucket', 3);
  });

  test('rejects a name S3 does not allow for a bucket', () => {
    expect(() => build({ bucketName: 'App_Name' })).toThrow(PropError);
    expect(() => build({ bucketName: 'App_Name' })).toThrow(
      /^Data\/StaticReplica: bucketName = "App_Name" is not allowed \(allowed: 3-63 lower-case letters/,
    );
  });
});
