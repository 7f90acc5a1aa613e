import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as rds from 'aws-cdk-lib/aws-rds';
import { GlobalWriterEndpoint } from '../../lib/constructs/global-writer-endpoint';
import { FEATURE_FLAGS } from '../helpers';

describe('GlobalWriterEndpoint', () => {
  let template: Template;
  let hostname: string;
  let stack: Stack;
  beforeAll(() => {
    stack = new Stack(new App({ context: FEATURE_FLAGS }), 'Bare', {
      env: { account: '111111111111', region: 'eu-west-1' },
    });
    const member = new rds.CfnDBCluster(stack, 'Member', { engine: 'aurora-postgresql' });
    hostname = new GlobalWriterEndpoint(stack, 'Writer', { globalClusterIdentifier: 'app-shard-0', after: member })
      .hostname;
    template = Template.fromStack(stack);
  });

  test("reads the global cluster's writer endpoint once its member cluster exists", () => {
    template.hasResource('Custom::GlobalWriterEndpoint', {
      Properties: { GlobalClusterIdentifier: 'app-shard-0' },
      DependsOn: Match.arrayWith(['Member']),
    });
    expect(stack.resolve(hostname)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^WriterLookup/), 'Address'],
    });
  });

  test('its function may describe that global cluster and nothing else', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      Policies: [
        {
          PolicyDocument: {
            Statement: Match.arrayWith([
              {
                Action: 'rds:DescribeGlobalClusters',
                Effect: 'Allow',
                Resource: 'arn:aws:rds::111111111111:global-cluster:app-shard-0',
              },
            ]),
          },
        },
      ],
    });
  });
});
