import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';

/**
 * Lets CloudWatch alarms of this account and region use `key`: CloudWatch encrypts what it
 * publishes to an encrypted topic with the topic's key. False when the key is imported and its
 * policy cannot be changed here.
 */
export function allowCloudWatchAlarmsToUse(scope: IConstruct, key: kms.IKey): boolean {
  const { account, region, partition } = Stack.of(scope);
  return key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccount',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` } },
    }),
  ).statementAdded;
}
