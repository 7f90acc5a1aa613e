import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DataKey, DataKeyProps } from '../../lib/constructs/data-key';

function keyTemplate(props: Partial<DataKeyProps> = {}): Template {
  const stack = new Stack(new App(), 'Test', { env: { region: 'eu-west-1' } });
  new DataKey(stack, 'DataKey', { alias: 'alias/app/data', ...props });
  return Template.fromStack(stack);
}

describe('DataKey', () => {
  let template: Template;
  beforeAll(() => {
    template = keyTemplate();
  });

  test('rotates yearly and is retained with the longest deletion window by default', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, PendingWindowInDays: 30 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/app/data' });
  });

  test('lets CloudWatch Logs of this region and account only use it', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchLogsOfThisAccount',
            Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:', { Ref: 'AWS::AccountId' }, ':log-group:*'],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  test('is deleted after a short window when not retained (dev)', () => {
    keyTemplate({ removalPolicy: RemovalPolicy.DESTROY }).hasResource('AWS::KMS::Key', {
      Properties: { PendingWindowInDays: 7 },
      DeletionPolicy: 'Delete',
    });
  });
});
