import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DataKey } from '../../lib/constructs/data-key';
import { SharedSecrets, SharedSecretsProps, sharedSecretValue } from '../../lib/constructs/shared-secrets';

function secretsStack(props: Partial<SharedSecretsProps> = {}): { app: App; stack: Stack } {
  const app = new App();
  const stack = new Stack(app, 'Primary', { env: { region: 'eu-west-1' } });
  const { key } = new DataKey(stack, 'DataKey', { alias: 'alias/app/data' });
  new SharedSecrets(stack, 'SharedSecrets', {
    names: { originVerify: 'app/origin-verify', session: 'app/session' },
    key,
    replicaKeyAlias: 'alias/app/secrets',
    replicaRegions: ['ap-northeast-2'],
    awsManagedKeyRegions: ['us-east-1'],
    ...props,
  });
  return { app, stack };
}

describe('SharedSecrets', () => {
  let template: Template;
  let nagged: App;
  beforeAll(() => {
    const { stack } = secretsStack();
    template = Template.fromStack(stack);
    nagged = secretsStack().app;
    Validations.of(nagged).addPlugins(new AwsSolutionsChecks(nagged));
  });

  test('creates the origin-verify and session secrets under names every region can derive', () => {
    for (const name of ['app/origin-verify', 'app/session']) {
      template.hasResource('AWS::SecretsManager::Secret', {
        Properties: Match.objectLike({
          Name: name,
          KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
        }),
        DeletionPolicy: 'Retain',
      });
    }
  });

  test('generates header- and cookie-safe values', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'app/origin-verify',
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'app/session',
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
    });
  });

  test('replicates to serving regions under the replica key alias and to the edge region under the AWS key', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'app/session',
      ReplicaRegions: [
        {
          Region: 'ap-northeast-2',
          KmsKeyId: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':kms:ap-northeast-2:',
                { Ref: 'AWS::AccountId' },
                ':alias/app/secrets',
              ],
            ],
          },
        },
        { Region: 'us-east-1' },
      ],
    });
  });

  test('can be removed with the stack when not retained (dev)', () => {
    const { stack } = secretsStack({ removalPolicy: RemovalPolicy.DESTROY });
    Template.fromStack(stack).hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
  });

  test('values are read as deploy-time dynamic references, never written into templates', () => {
    const stack = new Stack(new App(), 'Reader');
    expect(stack.resolve(sharedSecretValue('app/origin-verify'))).toBe(
      '{{resolve:secretsmanager:app/origin-verify:SecretString:::}}',
    );
  });

  test('passes cdk-nag with the rotation finding acknowledged for its reason', () => {
    expect(() => nagged.synth()).not.toThrow();
  });
});
