import { App, CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { PropError } from '../../lib/constructs/validation';
import { DataKey } from '../../lib/constructs/data-key';
import { InvalidationMesh, InvalidationMeshProps } from '../../lib/constructs/invalidation-mesh';
import { FEATURE_FLAGS } from '../helpers';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-2'];

/** A region's Data stack as the app builds it: the region's key and its part of the mesh. */
function meshStack(app: App, region: string, props: Partial<InvalidationMeshProps> = {}) {
  const stack = new Stack(app, `Data-${region}`, { env: { region } });
  const key = new DataKey(stack, 'DataKey', { alias: 'alias/app/data' });
  const mesh = new InvalidationMesh(stack, 'Invalidation', {
    appName: 'app',
    regions: REGIONS,
    region,
    key: key.key,
    ...props,
  });
  return { stack, mesh };
}

/** The logical id of an L2 construct's resource. */
const idOf = (stack: Stack, construct: Construct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

/** The ARN every region derives for another region's topic or queue. */
const derivedArn = (service: 'sns' | 'sqs', region: string) => ({
  'Fn::Join': ['', [`arn:aws:${service}:${region}:`, { Ref: 'AWS::AccountId' }, `:app-invalidation-${region}`]],
});

/** `arn:aws:sns:eu-west-1:…` → `sns:eu-west-1`, for a local Ref/GetAtt or a derived ARN. */
function endOf(value: unknown, stackRegion: string): string {
  const v = value as Record<string, unknown>;
  if (v.Ref) return `sns:${stackRegion}`;
  if (v['Fn::GetAtt']) return `sqs:${stackRegion}`;
  const parts = (v['Fn::Join'] as [string, unknown[]])[1];
  const arn = parts.map((part) => (typeof part === 'string' ? part : '')).join('');
  const [, , service, region, , name] = arn.split(':');
  expect(name).toBe(`app-invalidation-${region}`);
  return `${service}:${region}`;
}

describe('InvalidationMesh across three regions', () => {
  let app: App;
  const templates = new Map<string, Template>();
  const meshes = new Map<string, { stack: Stack; mesh: InvalidationMesh }>();
  beforeAll(() => {
    app = new App({ context: FEATURE_FLAGS });
    for (const region of REGIONS) meshes.set(region, meshStack(app, region));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    for (const region of REGIONS) templates.set(region, Template.fromStack(meshes.get(region)!.stack));
  });

  test.each(REGIONS)('%s has a topic and a queue named after the app and region, encrypted with its key', (region) => {
    const template = templates.get(region)!;
    const keyArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] };
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: `app-invalidation-${region}`,
      KmsMasterKeyId: keyArn,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: `app-invalidation-${region}`,
      KmsMasterKeyId: keyArn,
      ReceiveMessageWaitTimeSeconds: 20,
      MessageRetentionPeriod: 3600,
      VisibilityTimeout: 30,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: `app-invalidation-${region}-dlq`,
      KmsMasterKeyId: keyArn,
    });
    template.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Retain' });
  });

  test('subscribes every ordered pair of regions exactly once, in the later stack, with raw delivery', () => {
    const found: string[] = [];
    for (const [stackRegion, template] of templates) {
      for (const { Properties: p } of Object.values(template.findResources('AWS::SNS::Subscription'))) {
        const topic = endOf(p.TopicArn, stackRegion);
        const queue = endOf(p.Endpoint, stackRegion);
        expect(p).toMatchObject({ Protocol: 'sqs', RawMessageDelivery: true, Region: topic.split(':')[1] });
        found.push(`${topic} -> ${queue} in ${stackRegion}`);
      }
    }
    const later = (a: string, b: string) => REGIONS[Math.max(REGIONS.indexOf(a), REGIONS.indexOf(b))];
    const expected = REGIONS.flatMap((from) =>
      REGIONS.filter((to) => to !== from).map((to) => `sns:${from} -> sqs:${to} in ${later(from, to)}`),
    );
    expect(found.sort()).toEqual(expected.sort());
    expect(found).toHaveLength(6);
  });

  test('the first region holds no subscription: nothing to subscribe to exists yet', () => {
    templates.get('us-east-1')!.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('a subscription into the local queue waits for the queue policy that admits its topic', () => {
    const { stack, mesh } = meshes.get('eu-west-1')!;
    const template = templates.get('eu-west-1')!;
    const [policyId] = Object.keys(
      template.findResources('AWS::SQS::QueuePolicy', { Properties: { Queues: [{ Ref: idOf(stack, mesh.queue) }] } }),
    );
    template.hasResource('AWS::SNS::Subscription', {
      Properties: { Region: 'us-east-1' },
      DependsOn: Match.arrayWith([policyId]),
    });
  });

  test.each(REGIONS)('the queue in %s admits SNS only from the other regions’ topics, over TLS', (region) => {
    const others = REGIONS.filter((r) => r !== region);
    const { stack, mesh } = meshes.get(region)!;
    const policies = templates.get(region)!.findResources('AWS::SQS::QueuePolicy');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      {
        Sid: 'AllowInvalidationTopicsOfOtherRegions',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [idOf(stack, mesh.queue), 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': others.map((r) => derivedArn('sns', r)) } },
      },
    ]);
    const tlsDenies = statements.filter(
      (s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
    );
    expect(tlsDenies).toHaveLength(2);
  });

  test.each(REGIONS)('the key in %s lets SNS encrypt into the queue for the other regions’ topics only', (region) => {
    const others = REGIONS.filter((r) => r !== region);
    templates.get(region)!.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowInvalidationTopicsOfOtherRegions',
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: { ArnEquals: { 'aws:SourceArn': others.map((r) => derivedArn('sns', r)) } },
          },
        ]),
      },
    });
  });

  test('only this account may publish or subscribe, and only over TLS', () => {
    const { stack, mesh } = meshes.get('eu-west-1')!;
    const topicRef = { Ref: idOf(stack, mesh.topic) };
    templates.get('eu-west-1')!.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Principal: '*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          {
            Sid: 'OnlyThisAccountPublishesAndSubscribes',
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::Join': ['', ['arn:aws:iam::', { Ref: 'AWS::AccountId' }, ':root']] } },
            Action: ['sns:Publish', 'sns:Subscribe'],
            Resource: topicRef,
          },
        ],
      },
    });
  });

  test('offers the metrics its alarms need', () => {
    const { mesh, stack } = meshes.get('eu-west-1')!;
    const failed = mesh.metricFailedNotifications();
    expect(failed).toMatchObject({ namespace: 'AWS/SNS', metricName: 'NumberOfNotificationsFailed', statistic: 'Sum' });
    expect(stack.resolve(failed.dimensions)).toEqual({
      TopicName: { 'Fn::GetAtt': [idOf(stack, mesh.topic), 'TopicName'] },
    });
    const queueName = (queue: Construct) => ({ QueueName: { 'Fn::GetAtt': [idOf(stack, queue), 'QueueName'] } });
    for (const [metric, metricName, queue] of [
      [mesh.metricBacklog(), 'ApproximateNumberOfMessagesVisible', mesh.queue],
      [mesh.metricAgeOfOldestMessage(), 'ApproximateAgeOfOldestMessage', mesh.queue],
      [mesh.metricDeadLetterDepth(), 'ApproximateNumberOfMessagesVisible', mesh.deadLetterQueue],
    ] as const) {
      expect(metric).toMatchObject({ namespace: 'AWS/SQS', metricName });
      expect(stack.resolve(metric.dimensions)).toEqual(queueName(queue));
    }
  });

  test('all three stacks pass cdk-nag AwsSolutions and the template lint with no acknowledgement', () => {
    expect(() => app.synth({ force: true })).not.toThrow();
  });
});

describe('InvalidationMesh in a single region', () => {
  let template: Template;
  beforeAll(() => {
    const app = new App({ context: FEATURE_FLAGS });
    template = Template.fromStack(meshStack(app, 'us-east-1', { regions: ['us-east-1'] }).stack);
  });

  test('still has the topic and the queue, but no subscription', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'app-invalidation-us-east-1' });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'app-invalidation-us-east-1' });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('lets SNS into neither the queue nor the key', () => {
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toContain('sns.amazonaws.com');
    expect(json).not.toContain('AllowInvalidationTopicsOfOtherRegions');
  });
});

describe('InvalidationMesh options', () => {
  test('keeps invalidations as long as the cache TTL asks, and is deleted with the stack when asked (dev)', () => {
    const template = Template.fromStack(
      meshStack(new App({ context: FEATURE_FLAGS }), 'eu-west-1', {
        retentionPeriod: Duration.hours(6),
        visibilityTimeout: Duration.seconds(10),
        maxReceiveCount: 3,
        removalPolicy: RemovalPolicy.DESTROY,
      }).stack,
    );
    template.hasResource('AWS::SQS::Queue', {
      Properties: Match.objectLike({
        QueueName: 'app-invalidation-eu-west-1',
        MessageRetentionPeriod: 6 * 3600,
        VisibilityTimeout: 10,
        RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
      }),
      DeletionPolicy: 'Delete',
    });
  });

  test('admits a topic of an opt-in region through that region’s SNS principal', () => {
    const regions = ['ap-east-1', 'us-east-1', 'eu-west-1'];
    const template = Template.fromStack(meshStack(new App({ context: FEATURE_FLAGS }), 'us-east-1', { regions }).stack);
    const statements = (resource: Record<string, any>) =>
      Object.values(resource).flatMap((r) => (r.Properties.PolicyDocument ?? r.Properties.KeyPolicy).Statement);
    for (const type of ['AWS::SQS::QueuePolicy', 'AWS::KMS::Key']) {
      const bySns = statements(template.findResources(type)).filter((s) => /^sns\./.test(s.Principal?.Service));
      expect(bySns.map((s) => [s.Sid, s.Principal.Service, s.Condition.ArnEquals['aws:SourceArn']])).toEqual([
        [
          'AllowInvalidationTopicsOfOtherRegionsApEast1',
          'sns.ap-east-1.amazonaws.com',
          [derivedArn('sns', 'ap-east-1')],
        ],
        ['AllowInvalidationTopicsOfOtherRegions', 'sns.amazonaws.com', [derivedArn('sns', 'eu-west-1')]],
      ]);
    }
  });

  test('warns when the key is imported and cannot take the SNS statement', () => {
    const stack = new Stack(new App(), 'Data', { env: { region: 'eu-west-1' } });
    const key = kms.Key.fromKeyArn(
      stack,
      'Key',
      'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    );
    new InvalidationMesh(stack, 'Invalidation', { appName: 'app', regions: REGIONS, region: 'eu-west-1', key });
    Annotations.fromStack(stack).hasWarning('/Data/Invalidation', Match.stringLikeRegexp('The key is imported'));
  });
});

describe('InvalidationMesh validation', () => {
  const attempt = (region: string, props: Partial<InvalidationMeshProps>) => () => meshStack(new App(), region, props);

  test('rejects a region listed twice', () => {
    const regions = ['us-east-1', 'eu-west-1', 'us-east-1'];
    expect(attempt('eu-west-1', { regions })).toThrow(PropError);
    expect(attempt('eu-west-1', { regions })).toThrow(
      /^Data-eu-west-1\/Invalidation: regions\[2\] = "us-east-1" is listed twice \(allowed: each region once\)$/,
    );
  });

  test('rejects a region that is not among the regions', () => {
    expect(attempt('eu-west-1', { regions: ['us-east-1', 'ap-northeast-2'] })).toThrow(
      /^Data-eu-west-1\/Invalidation: region = "eu-west-1" is not a serving region \(allowed: one of regions: us-east-1, ap-northeast-2\)$/,
    );
  });

  test('rejects a region other than the stack’s', () => {
    expect(attempt('eu-west-1', { region: 'us-east-1' })).toThrow(
      /^Data-eu-west-1\/Invalidation: region = "us-east-1" is not the region of the stack \(allowed: the stack's region, eu-west-1\)$/,
    );
  });

  test('passes its queue settings to its queue, which checks them', () => {
    expect(attempt('eu-west-1', { retentionPeriod: Duration.seconds(30) })).toThrow(
      /^Data-eu-west-1\/Invalidation\/Queue: retentionPeriod = "30 seconds" is out of range/,
    );
  });
});
