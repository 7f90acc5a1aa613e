import { App, Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PropError } from '../../lib/constructs/validation';
import { DataKey } from '../../lib/constructs/data-key';
import { WorkQueue, WorkQueueProps } from '../../lib/constructs/work-queue';
import { FEATURE_FLAGS } from '../helpers';

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly work: WorkQueue;
  readonly template: Template;
}

function build(props: Partial<WorkQueueProps> = {}, options: { nag?: boolean } = {}): Built {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1' } });
  const key = new DataKey(stack, 'DataKey', { alias: 'alias/app/data' });
  const work = new WorkQueue(stack, 'Work', { key: key.key, ...props });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, work, template: Template.fromStack(stack) };
}

const keyArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] };
const sslOnly = Match.objectLike({
  Effect: 'Deny',
  Action: 'sqs:*',
  Principal: { AWS: '*' },
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

describe('WorkQueue with defaults', () => {
  let built: Built;
  let queueId: string;
  let deadLetterId: string;
  let queueName: string;
  beforeAll(() => {
    built = build({}, { nag: true });
    queueId = built.stack.getLogicalId(built.work.queue.node.defaultChild as never);
    deadLetterId = built.stack.getLogicalId(built.work.deadLetterQueue.node.defaultChild as never);
    queueName = built.template.toJSON().Resources[queueId].Properties.QueueName;
  });

  test('encrypts the queue and its dead-letter queue with the given key', () => {
    built.template.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: keyArn }, 2);
    built.template.resourceCountIs('AWS::SQS::Queue', 2);
  });

  test('moves a message to the dead-letter queue after 5 receives', () => {
    built.template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: queueName,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterId, 'Arn'] }, maxReceiveCount: 5 },
    });
  });

  test('the dead-letter queue accepts only its own source queue, named after it', () => {
    expect(queueName).toMatch(/^Test-Work-[0-9A-F]{8}$/);
    built.template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: `${queueName}-dlq`,
      RedriveAllowPolicy: {
        redrivePermission: 'byQueue',
        sourceQueueArns: [{ 'Fn::Join': ['', ['arn:aws:sqs:eu-west-1:', { Ref: 'AWS::AccountId' }, `:${queueName}`]] }],
      },
    });
  });

  test('keeps messages 4 days, dead letters 14 days, and gives consumers 60 seconds', () => {
    built.template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: queueName,
      MessageRetentionPeriod: 4 * 86400,
      VisibilityTimeout: 60,
    });
    built.template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: `${queueName}-dlq`,
      MessageRetentionPeriod: 14 * 86400,
    });
  });

  test('long-polls both queues for 20 seconds', () => {
    built.template.resourcePropertiesCountIs('AWS::SQS::Queue', { ReceiveMessageWaitTimeSeconds: 20 }, 2);
  });

  test('refuses requests without TLS on both queues', () => {
    for (const id of [queueId, deadLetterId]) {
      built.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: { Statement: Match.arrayWith([sslOnly]) },
      });
    }
  });

  test('retains both queues by default', () => {
    built.template.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('offers backlog, age and dead-letter metrics of the right queues', () => {
    const { work, stack } = built;
    const cases = [
      [work.metricBacklog(), 'ApproximateNumberOfMessagesVisible', queueId],
      [work.metricAgeOfOldestMessage(), 'ApproximateAgeOfOldestMessage', queueId],
      [work.metricDeadLetterDepth(), 'ApproximateNumberOfMessagesVisible', deadLetterId],
    ] as const;
    for (const [metric, metricName, id] of cases) {
      expect(metric).toMatchObject({ namespace: 'AWS/SQS', metricName, statistic: 'Maximum' });
      expect(stack.resolve(metric.dimensions)).toEqual({ QueueName: { 'Fn::GetAtt': [id, 'QueueName'] } });
    }
    expect(work.metricBacklog({ period: Duration.minutes(5) }).period.toMinutes()).toBe(5);
  });

  test('passes cdk-nag AwsSolutions and the template lint with no acknowledgement', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
  });
});

describe('WorkQueue options', () => {
  test('takes a name, receive count, timeouts and retention from config', () => {
    const { template } = build({
      queueName: 'app-work',
      maxReceiveCount: 3,
      visibilityTimeout: Duration.minutes(5),
      retentionPeriod: Duration.days(1),
      deadLetterRetentionPeriod: Duration.days(7),
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'app-work',
      VisibilityTimeout: 300,
      MessageRetentionPeriod: 86400,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'app-work-dlq',
      MessageRetentionPeriod: 7 * 86400,
      RedriveAllowPolicy: Match.objectLike({
        sourceQueueArns: [{ 'Fn::Join': ['', Match.arrayWith([':app-work'])] }],
      }),
    });
  });

  test('both queues are deleted with the stack when asked (dev)', () => {
    build({ removalPolicy: RemovalPolicy.DESTROY }).template.allResources('AWS::SQS::Queue', {
      DeletionPolicy: 'Delete',
    });
  });

  test('skips range checks on deploy-time values', () => {
    const deployTime = Lazy.number({ produce: () => 7 });
    const { template } = build({ maxReceiveCount: deployTime, visibilityTimeout: Duration.seconds(deployTime) });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 7,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 7 }),
    });
  });
});

describe('WorkQueue validation', () => {
  test.each([0, 1001, 2.5])('rejects maxReceiveCount %p', (maxReceiveCount) => {
    expect(() => build({ maxReceiveCount })).toThrow(PropError);
    expect(() => build({ maxReceiveCount })).toThrow(
      /^Test\/Work: maxReceiveCount = [\d.]+ is not allowed \(allowed: an integer from 1 to 1000\)$/,
    );
  });

  test.each([
    ['visibilityTimeout', '13 hours', Duration.hours(13), '0 seconds to 12 hours'],
    ['visibilityTimeout', '1 second 500 millis', Duration.millis(1500), '0 seconds to 12 hours'],
    ['retentionPeriod', '59 seconds', Duration.seconds(59), '60 seconds to 14 days'],
    ['retentionPeriod', '15 days', Duration.days(15), '60 seconds to 14 days'],
    ['deadLetterRetentionPeriod', '15 days', Duration.days(15), '60 seconds to 14 days'],
  ] as const)('rejects %s of %s', (prop, shown, duration, allowed) => {
    expect(() => build({ [prop]: duration })).toThrow(
      new RegExp(
        `^Test/Work: ${prop} = "${shown}" is out of range \\(allowed: a whole number of seconds from ${allowed}\\)$`,
      ),
    );
  });

  test('rejects a dead-letter retention shorter than the queue retention', () => {
    expect(() => build({ retentionPeriod: Duration.days(10), deadLetterRetentionPeriod: Duration.days(7) })).toThrow(
      /^Test\/Work: deadLetterRetentionPeriod = "7 days" is shorter than the queue retention \(allowed: at least retentionPeriod \(10 days\)\)$/,
    );
  });

  test.each(['has space', 'a'.repeat(77)])('rejects the queue name %p', (queueName) => {
    expect(() => build({ queueName })).toThrow(
      /^Test\/Work: queueName = ".+ is not allowed \(allowed: 1 to 76 letters, digits, hyphens or underscores\)$/,
    );
  });
});
