import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ReplicaKey } from '../../lib/constructs/replica-key';
import { SecretReplicas } from '../../lib/constructs/secret-replicas';
import { ServiceLinkedRoles } from '../../lib/constructs/service-linked-roles';

// The constructs the first deploy stands on, each built alone in a bare stack from its props.

function bareStack(): { app: App; stack: Stack } {
  const app = new App();
  return { app, stack: new Stack(app, 'Test', { env: { region: 'eu-west-1', account: '111111111111' } }) };
}

/** `app` with cdk-nag's AwsSolutions checks: its synth throws on any unacknowledged finding. */
function nagged(app: App): App {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/** The SDK call a `Custom::AWS` resource makes on create, as its handler reads it. */
function createCall(resource: { [key: string]: any }): Record<string, any> {
  const create = resource.Properties.Create;
  const text =
    typeof create === 'string'
      ? create
      : (create as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
          .map((part) => (typeof part === 'string' ? part : '<token>'))
          .join('');
  return JSON.parse(text);
}

describe('ServiceLinkedRoles', () => {
  let template: Template;
  const build = () => {
    const { app, stack } = bareStack();
    new ServiceLinkedRoles(stack, 'Roles', {
      awsServiceNames: ['ecs.amazonaws.com', 'rds.amazonaws.com', 'ecs.amazonaws.com'],
    });
    return { app, stack };
  };
  beforeAll(() => {
    template = Template.fromStack(build().stack);
  });

  test('creates each distinct role with one SDK call that treats "already taken" as done', () => {
    const calls = Object.values(template.findResources('Custom::AWS')).map(createCall);
    expect(calls).toEqual([
      expect.objectContaining({
        service: 'IAM',
        action: 'createServiceLinkedRole',
        parameters: { AWSServiceName: 'ecs.amazonaws.com' },
        ignoreErrorCodesMatching: 'InvalidInput',
      }),
      expect.objectContaining({ parameters: { AWSServiceName: 'rds.amazonaws.com' } }),
    ]);
  });

  test('never deletes a role: service-linked roles belong to the account', () => {
    for (const resource of Object.values(template.findResources('Custom::AWS'))) {
      expect(resource.Properties.Delete).toBeUndefined();
    }
  });

  test("may create only the named service's role", () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'iam:CreateServiceLinkedRole',
            Effect: 'Allow',
            Condition: { StringEquals: { 'iam:AWSServiceName': 'ecs.amazonaws.com' } },
            Resource: {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/aws-service-role/ecs.amazonaws.com/*'],
              ],
            },
          },
        ],
      },
    });
  });

  test('passes cdk-nag AwsSolutions', () => {
    expect(() => nagged(build().app).synth()).not.toThrow();
  });

  test.each([
    [[], /awsServiceNames must name at least one service/],
    [['ecs'], /awsServiceNames has "ecs", which is not a service principal/],
  ])('refuses awsServiceNames %p', (awsServiceNames, message) => {
    const { stack } = bareStack();
    expect(() => new ServiceLinkedRoles(stack, 'Roles', { awsServiceNames })).toThrow(message);
  });
});

describe('ReplicaKey', () => {
  test('rotates yearly, under the alias given, kept with the longest deletion window by default', () => {
    const { stack } = bareStack();
    new ReplicaKey(stack, 'Key', { alias: 'alias/app/secrets' });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, PendingWindowInDays: 30 },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/app/secrets' });
  });

  test.each([
    [RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, 'RetainExceptOnCreate', 30],
    [RemovalPolicy.DESTROY, 'Delete', 7],
  ])('with %s: deletion policy %s, %d-day window', (removalPolicy, deletionPolicy, days) => {
    const { stack } = bareStack();
    new ReplicaKey(stack, 'Key', { alias: 'alias/app/secrets', removalPolicy });
    Template.fromStack(stack).hasResource('AWS::KMS::Key', {
      Properties: { PendingWindowInDays: days },
      DeletionPolicy: deletionPolicy,
    });
  });
});

describe('SecretReplicas', () => {
  let stack: Stack;
  let replicas: SecretReplicas;
  let template: Template;
  beforeAll(() => {
    ({ stack } = bareStack());
    replicas = new SecretReplicas(stack, 'Replicas', { secretNames: ['app/session', 'app/shard-0/master'] });
    template = Template.fromStack(stack);
  });

  test("finds each replica by name in the stack's own region", () => {
    const calls = Object.values(template.findResources('Custom::AWS')).map(createCall);
    expect(calls).toEqual([
      expect.objectContaining({
        service: 'SecretsManager',
        action: 'describeSecret',
        parameters: { SecretId: 'app/session' },
      }),
      expect.objectContaining({ parameters: { SecretId: 'app/shard-0/master' } }),
    ]);
    for (const call of calls) expect(call.region).toBeUndefined();
  });

  test('may describe exactly those secrets', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'secretsmanager:DescribeSecret',
            Resource: {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:eu-west-1:111111111111:secret:app/session-??????'],
              ],
            },
          }),
        ],
      },
    });
  });

  test('hands on each replica by the complete ARN the lookup answers', () => {
    const arn = stack.resolve(replicas.secret('app/session').secretFullArn);
    expect(arn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ReplicasLookupAppSession/), 'ARN'] });
  });

  test('passes cdk-nag AwsSolutions', () => {
    const { app, stack: other } = bareStack();
    new SecretReplicas(other, 'Replicas', { secretNames: ['app/session'] });
    expect(() => nagged(app).synth()).not.toThrow();
  });

  test('names the secret it does not know, and refuses an empty list', () => {
    expect(() => replicas.secret('app/other')).toThrow(
      /no replica of app\/other; secretNames has app\/session, app\/shard-0\/master/,
    );
    expect(() => new SecretReplicas(bareStack().stack, 'R', { secretNames: [] })).toThrow(
      /secretNames must name at least one secret/,
    );
  });
});
