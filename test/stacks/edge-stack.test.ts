import { Match, Template } from 'aws-cdk-lib/assertions';
import { BuiltBlueprint, buildApp } from '../helpers';

describe('Edge stack', () => {
  let prod: BuiltBlueprint;
  let dev: BuiltBlueprint;
  let imported: BuiltBlueprint;
  beforeAll(() => {
    prod = buildApp();
    dev = buildApp({ profile: 'dev' });
    imported = buildApp({ profile: 'dev', hostedZoneId: 'Z0123456789ABCDEFGHIJ' });
  });

  test('snapshots', () => {
    expect(Template.fromStack(prod.edge).toJSON()).toMatchSnapshot('prod');
    expect(Template.fromStack(dev.edge).toJSON()).toMatchSnapshot('dev');
  });

  test('lives in us-east-1, where CloudFront certificates and WAF must be', () => {
    expect(prod.edge.region).toBe('us-east-1');
    expect(prod.edge.stackName).toBe('blueprint-Edge');
  });

  test('creates the hosted zone when none is given, retained in prod', () => {
    Template.fromStack(prod.edge).hasResource('AWS::Route53::HostedZone', {
      Properties: { Name: 'example.com.' },
      DeletionPolicy: 'Retain',
    });
    Template.fromStack(dev.edge).hasResource('AWS::Route53::HostedZone', { DeletionPolicy: 'Delete' });
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
});
