import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DeliveryPipeline, DeliveryPipelineProps } from '../../lib/constructs/delivery-pipeline';
import { acknowledgePipelineWildcards } from '../../lib/constructs/delivery-pipeline/nag';
import { FEATURE_FLAGS } from '../helpers';

const CONNECTION_ARN = 'arn:aws:codeconnections:us-east-1:123456789012:connection/00000000-0000-0000-0000-000000000000';
const PROPS: DeliveryPipelineProps = {
  repository: 'owner/repo',
  branch: 'main',
  connectionArn: CONNECTION_ARN,
  synthContext: { 'delivery.pipeline': 'true' },
  bakeMinutes: 15,
};

const newStack = () =>
  new Stack(new App({ context: FEATURE_FLAGS }), 'Pipeline', { env: { account: '123456789012', region: 'us-east-1' } });

/** The findings acknowledged on `policy`, without the namespace CDK records them under. */
function acknowledged(policy: iam.Policy): string[] {
  return policy.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.keys(entry.data as object))
    .map((id) => id.replace(/^\w+::/, ''));
}

describe('DeliveryPipeline', () => {
  test('synthesizes with the README commands and the context that keeps it in pipeline mode', () => {
    const delivery = new DeliveryPipeline(newStack(), 'Delivery', {
      ...PROPS,
      synthContext: { profile: 'prod', 'delivery.pipeline': 'true' },
    });
    expect(delivery.synthCommands).toEqual([
      'npm ci',
      'npm test',
      'npm run synth -- -c profile=prod -c delivery.pipeline=true',
    ]);
  });

  test.each<[string, Partial<DeliveryPipelineProps>, RegExp]>([
    [
      'bake longer than four hours',
      { bakeMinutes: 300 },
      /^Pipeline\/Delivery: bakeMinutes = 300 is not allowed \(allowed: an integer from 0 to 240\)$/,
    ],
    [
      'fractional bake',
      { bakeMinutes: 1.5 },
      /^Pipeline\/Delivery: bakeMinutes = 1\.5 is not allowed \(allowed: an integer from 0 to 240\)$/,
    ],
    ['repository without owner', { repository: 'repo' }, /^Pipeline\/Delivery: repository = "repo" is not allowed/],
    ['branch with a space', { branch: 'my branch' }, /^Pipeline\/Delivery: branch = "my branch" is not allowed/],
    [
      'connection of another service',
      { connectionArn: 'arn:aws:s3:::b' },
      /^Pipeline\/Delivery: connectionArn = "arn:aws:s3:::b"/,
    ],
    [
      'context value with a space',
      { synthContext: { profile: 'a b' } },
      /^Pipeline\/Delivery: synthContext\.profile = "a b"/,
    ],
  ])('rejects a %s', (_name, props, expected) => {
    expect(() => new DeliveryPipeline(newStack(), 'Delivery', { ...PROPS, ...props })).toThrow(expected);
  });
});

describe('acknowledgePipelineWildcards', () => {
  test('acknowledges the wildcards CDK Pipelines generates, each for its reason', () => {
    const stack = newStack();
    const policy = new iam.Policy(stack, 'Bake', {
      statements: [
        new iam.PolicyStatement({
          actions: ['cloudwatch:DescribeAlarms'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
        }),
        new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'] }),
      ],
    });
    acknowledgePipelineWildcards(stack);
    expect(acknowledged(policy).sort()).toEqual([
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'AwsSolutions-IAM5[Resource::*]',
    ]);
  });

  test('leaves a wildcard no rule explains standing, even beside one that a rule explains', () => {
    const stack = newStack();
    const policy = new iam.Policy(stack, 'Mixed', {
      statements: [
        new iam.PolicyStatement({ actions: ['codebuild:StartBuild'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: ['*'] }),
      ],
    });
    acknowledgePipelineWildcards(stack);
    expect(acknowledged(policy)).toEqual([]);
  });

  test('wants the condition a rule names: DescribeAlarms on "*" without a region is not acknowledged', () => {
    const stack = newStack();
    const policy = new iam.Policy(stack, 'Unbounded', {
      statements: [new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] })],
    });
    acknowledgePipelineWildcards(stack);
    expect(acknowledged(policy)).toEqual([]);
  });
});
