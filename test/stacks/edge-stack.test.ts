import { Match, Template } from 'aws-cdk-lib/assertions';
import { BuiltBlueprint, buildApp } from '../helpers';

/** nag and the template lint run over the whole app in test/app.test.ts. */
const TEMPLATES_ONLY = { checks: false };

describe('Edge stack', () => {
  let prod: BuiltBlueprint;
  let dev: BuiltBlueprint;
  let imported: BuiltBlueprint;
  beforeAll(() => {
    prod = buildApp({}, TEMPLATES_ONLY);
    dev = buildApp({ profile: 'dev' }, TEMPLATES_ONLY);
    imported = buildApp({ profile: 'dev', hostedZoneId: 'Z0123456789ABCDEFGHIJ' }, TEMPLATES_ONLY);
  });

  test('snapshots', () => {
    expect(Template.fromStack(prod.edge).toJSON()).toMatchSnapshot('prod');
    expect(Template.fromStack(dev.edge).toJSON()).toMatchSnapshot('dev');
  });

  test('lives in us-east-1, where CloudFront certificates and WAF must be', () => {
    expect(prod.edge.region).toBe('us-east-1');
    expect(prod.edge.stackName).toBe('blueprint-Edge');
  });

  test('creates the hosted zone when none is given, retained in prod once created', () => {
    Template.fromStack(prod.edge).hasResource('AWS::Route53::HostedZone', {
      Properties: { Name: 'example.com.' },
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
    Template.fromStack(dev.edge).hasResource('AWS::Route53::HostedZone', { DeletionPolicy: 'Delete' });
  });

  test('the apex and www resolve to the distribution over IPv4 and IPv6', () => {
    const template = Template.fromStack(prod.edge);
    for (const name of ['example.com.', 'www.example.com.']) {
      for (const type of ['A', 'AAAA']) {
        template.hasResourceProperties('AWS::Route53::RecordSet', {
          Name: name,
          Type: type,
          AliasTarget: Match.objectLike({
            DNSName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CdnDistribution'), 'DomainName'] },
          }),
        });
      }
    }
  });

  test('lets only Amazon issue certificates for the domain', () => {
    for (const built of [prod, imported]) {
      Template.fromStack(built.edge).hasResourceProperties('AWS::Route53::RecordSet', {
        Type: 'CAA',
        Name: 'example.com.',
        ResourceRecords: ['0 issue "amazon.com"'],
      });
    }
  });

  test('deleting a dev stack first deletes the validation records CloudFormation left in the zone it created', () => {
    const template = Template.fromStack(dev.edge);
    const [zoneId] = Object.keys(template.findResources('AWS::Route53::HostedZone'));
    template.hasResourceProperties('Custom::ValidationRecordCleanup', {
      HostedZoneId: { Ref: zoneId },
      Enabled: 'true',
    });
    // The certificate waits for the cleanup, so on delete (or rollback) the cleanup runs after it.
    const [cleanupId] = Object.keys(template.findResources('Custom::ValidationRecordCleanup'));
    template.hasResource('AWS::CertificateManager::Certificate', { DependsOn: Match.arrayWith([cleanupId]) });
  });

  test('a retained zone keeps its validation records; a zone given by id gets no cleanup', () => {
    Template.fromStack(prod.edge).hasResourceProperties('Custom::ValidationRecordCleanup', { Enabled: 'false' });
    Template.fromStack(imported.edge).resourceCountIs('Custom::ValidationRecordCleanup', 0);
  });

  test('dev retains nothing: every resource goes with the stack', () => {
    const resources = Template.fromStack(dev.edge).toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
    const retained = Object.entries(resources).filter(([, r]) => r.DeletionPolicy && r.DeletionPolicy !== 'Delete');
    expect(retained.map(([id]) => id)).toEqual([]);
  });

  test('imports an existing hosted zone by id without a lookup', () => {
    Template.fromStack(imported.edge).resourceCountIs('AWS::Route53::HostedZone', 0);
    expect(imported.edge.hostedZone.hostedZoneId).toBe('Z0123456789ABCDEFGHIJ');
  });

  test("deploys after the data stacks and before every region's services", () => {
    expect(prod.edge.dependencies.map((d) => d.stackName)).toEqual(['blueprint-Data-ap-northeast-2']);
    for (const service of prod.service.values()) expect(service.dependencies).toContain(prod.edge);
  });

  test('one certificate for the apex, www and the origin name, validated in the zone', () => {
    Template.fromStack(prod.edge).hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'example.com',
      SubjectAlternativeNames: ['www.example.com', 'origin.example.com'],
      ValidationMethod: 'DNS',
      DomainValidationOptions: Match.arrayWith([
        { DomainName: 'origin.example.com', HostedZoneId: { Ref: Match.stringLikeRegexp('^Zone') } },
      ]),
    });
  });

  test('CloudFront sends dynamic requests to the origin name over HTTPS only, with the secret header', () => {
    const [distribution] = Object.values(Template.fromStack(prod.edge).findResources('AWS::CloudFront::Distribution'));
    const config = distribution.Properties.DistributionConfig;
    expect(config.Aliases).toEqual(['example.com', 'www.example.com']);
    const origin = config.Origins.find((o: { DomainName: string }) => o.DomainName === 'origin.example.com');
    expect(origin.CustomOriginConfig.OriginProtocolPolicy).toBe('https-only');
    expect(origin.OriginCustomHeaders).toEqual([
      {
        HeaderName: 'x-origin-verify',
        HeaderValue: '{{resolve:secretsmanager:blueprint/origin-verify:SecretString:::}}',
      },
    ]);
    expect(config.WebACLId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Firewall/), 'Arn'] });
  });

  test('the WAF in front of it sheds load per client IP at the configured rate', () => {
    Template.fromStack(prod.edge).hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      Rules: Match.arrayWith([
        Match.objectLike({
          Statement: { RateBasedStatement: Match.objectLike({ Limit: 2000, AggregateKeyType: 'IP' }) },
        }),
      ]),
    });
  });

  test('static content replicates to the bucket the second data region creates, under the same derived name', () => {
    const [siteBucket] = Object.values(
      Template.fromStack(prod.edge).findResources('AWS::S3::Bucket', {
        Properties: { ReplicationConfiguration: Match.anyValue() },
      }),
    );
    const destination = siteBucket.Properties.ReplicationConfiguration.Rules[0].Destination.Bucket;
    const replicaNames = Object.values(Template.fromStack(prod.data.get('eu-west-1')!).findResources('AWS::S3::Bucket'))
      .map((bucket) => bucket.Properties.BucketName)
      .filter((name) => JSON.stringify(name ?? '').includes('static'));
    expect(replicaNames).toHaveLength(1);
    // Same name parts on both sides: the bucket ARN is the replica's name behind the S3 prefix.
    const [nameParts] = replicaNames.map((name) => name['Fn::Join'][1]);
    expect(destination['Fn::Join'][1]).toEqual([`arn:aws:s3:::${nameParts[0]}`, ...nameParts.slice(1)]);
  });

  test('a one-region app in us-east-1 has no replica and no origin group', () => {
    const [distribution] = Object.values(Template.fromStack(dev.edge).findResources('AWS::CloudFront::Distribution'));
    expect(distribution.Properties.DistributionConfig.OriginGroups).toBeUndefined();
    expect(distribution.Properties.DistributionConfig.PriceClass).toBe('PriceClass_100');
  });
});
