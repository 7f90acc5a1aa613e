import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EDGE_FIREWALL_RULES, EdgeFirewall, EdgeFirewallProps } from '../../lib/constructs/waf';
import { FEATURE_FLAGS } from '../helpers';

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly firewall: EdgeFirewall;
  readonly template: Template;
}

function build(props: Partial<EdgeFirewallProps> = {}, options: { region?: string; nag?: boolean } = {}): Built {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new Stack(app, 'Edge', { env: { region: options.region ?? 'us-east-1' } });
  const firewall = new EdgeFirewall(stack, 'Firewall', { appName: 'app', webAclName: 'app-edge', ...props });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, firewall, template: Template.fromStack(stack) };
}

const visibility = (metricName: string) => ({
  MetricName: metricName,
  CloudWatchMetricsEnabled: true,
  SampledRequestsEnabled: true,
});

describe('EdgeFirewall with defaults', () => {
  let built: Built;
  let rules: { Name: string; Priority: number; Statement: Record<string, unknown> }[];
  beforeAll(() => {
    built = build({}, { nag: true });
    rules = Object.values(built.template.findResources('AWS::WAFv2::WebACL'))[0].Properties.Rules;
  });

  test('is a CloudFront-scope web ACL that allows what no rule blocks', () => {
    built.template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Name: 'app-edge',
      Scope: 'CLOUDFRONT',
      DefaultAction: { Allow: {} },
      VisibilityConfig: visibility('app-edge'),
    });
  });

  test('sheds more than 2000 requests per IP in 5 minutes with a 429, before any other rule', () => {
    expect(rules[0]).toEqual({
      Name: 'RateLimitPerIp',
      Priority: 0,
      Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
      Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
      VisibilityConfig: visibility('RateLimitPerIp'),
    });
  });

  test('applies the IP-reputation, common and known-bad-inputs AWS managed rule groups as AWS set them', () => {
    const managed = [
      'AWSManagedRulesAmazonIpReputationList',
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ];
    expect(rules.slice(1)).toEqual(
      managed.map((name, index) => ({
        Name: name,
        Priority: index + 1,
        Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: name } },
        OverrideAction: { None: {} },
        VisibilityConfig: visibility(name),
      })),
    );
  });

  test('logs every request, credentials redacted, to a retained aws-waf-logs- group', () => {
    built.template.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: 'aws-waf-logs-app', RetentionInDays: 90 },
      DeletionPolicy: 'Retain',
    });
    const webAclId = built.stack.getLogicalId(built.firewall.webAcl);
    built.template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      ResourceArn: { 'Fn::GetAtt': [webAclId, 'Arn'] },
      LogDestinationConfigs: [
        // The bare log-group ARN: WAF refuses the `:*` form the L2's logGroupArn has.
        { 'Fn::Join': ['', ['arn:aws:logs:us-east-1:', { Ref: 'AWS::AccountId' }, ':log-group:aws-waf-logs-app']] },
      ],
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }],
    });
  });

  test('lets only the log-delivery service of this account write to the log group', () => {
    const [policy] = Object.values(built.template.findResources('AWS::Logs::ResourcePolicy'));
    // The document is a joined string; stand in the account and partition to read it.
    const parts: unknown[] = policy.Properties.PolicyDocument['Fn::Join'][1];
    const document = JSON.parse(
      parts
        .map((part) =>
          typeof part === 'string'
            ? part
            : { 'AWS::AccountId': '111', 'AWS::Partition': 'aws' }[(part as { Ref: string }).Ref],
        )
        .join(''),
    );
    expect(document.Statement).toEqual([
      {
        Sid: 'AwsWafLogDelivery',
        Effect: 'Allow',
        Principal: { Service: 'delivery.logs.amazonaws.com' },
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: 'arn:aws:logs:us-east-1:111:log-group:aws-waf-logs-app:log-stream:*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111' },
          ArnLike: { 'aws:SourceArn': 'arn:aws:logs:us-east-1:111:*' },
        },
      },
    ]);
    built.template.hasResource('AWS::WAFv2::LoggingConfiguration', {
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('^FirewallLogsPolicy')]),
    });
  });

  test('offers blocked and allowed request metrics with the CloudFront dimensions, in us-east-1', () => {
    const { firewall } = built;
    expect(firewall.metricBlockedRequests()).toMatchObject({
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      dimensions: { WebACL: 'app-edge', Rule: 'ALL' },
      region: 'us-east-1',
      statistic: 'Sum',
    });
    expect(firewall.metricAllowedRequests().metricName).toBe('AllowedRequests');
    expect(firewall.metricRateLimitedRequests().dimensions).toEqual({ WebACL: 'app-edge', Rule: 'RateLimitPerIp' });
    expect(firewall.metricBlockedRequests(EDGE_FIREWALL_RULES.common).dimensions).toEqual({
      WebACL: 'app-edge',
      Rule: 'AWSManagedRulesCommonRuleSet',
    });
    expect(built.stack.resolve(firewall.webAclArn)).toEqual({
      'Fn::GetAtt': [built.stack.getLogicalId(firewall.webAcl), 'Arn'],
    });
  });

  test('passes cdk-nag AwsSolutions and the template lint with no acknowledgement', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
  });
});

describe('EdgeFirewall options', () => {
  test('takes the rate limit, retention and removal from config (dev)', () => {
    const { template } = build({
      rateLimitPer5Minutes: 500,
      logRetention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 500 }) } }),
      ]),
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({ RetentionInDays: 7 }),
      DeletionPolicy: 'Delete',
    });
  });

  test('encrypts the log group with a given key and lets CloudWatch Logs use it for that group only', () => {
    const app = new App({ context: FEATURE_FLAGS });
    const stack = new Stack(app, 'Edge', { env: { region: 'us-east-1' } });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    new EdgeFirewall(stack, 'Firewall', { appName: 'app', webAclName: 'app-edge', encryptionKey: key });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowWafLogGroupEncryption',
            Principal: { Service: 'logs.us-east-1.amazonaws.com' },
            Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });
});

describe('EdgeFirewall validation', () => {
  test.each([9, 2_000_000_001, 100.5])('rejects rateLimitPer5Minutes %p', (rateLimitPer5Minutes) => {
    expect(() => build({ rateLimitPer5Minutes })).toThrow(
      /^Edge\/Firewall: rateLimitPer5Minutes = [\d.]+ is not allowed \(allowed: an integer from 10 to 2000000000\)$/,
    );
  });

  test('refuses any region but us-east-1', () => {
    expect(() => build({}, { region: 'eu-west-1' })).toThrow(
      /^Edge\/Firewall: the stack's region eu-west-1 cannot hold a CloudFront web ACL \(allowed: us-east-1, where web ACLs for CloudFront must be created\)$/,
    );
  });
});
