import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CLEANUP_HANDLER, ValidationRecordCleanup } from '../../lib/constructs/dns/validation-record-cleanup';
import { handlerModule } from '../../lib/constructs/inline-custom-resource';
import { FEATURE_FLAGS } from '../helpers';
import { fakeClient, fakeCommand, loadHandler } from '../inline-handler';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[]; DeletionPolicy?: string };

function build(enabled?: boolean) {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new Stack(app, 'Edge', { env: { account: '111111111111', region: 'us-east-1' } });
  const zone = new route53.PublicHostedZone(stack, 'Zone', { zoneName: 'example.com' });
  const certificate = new acm.Certificate(stack, 'Certificate', {
    domainName: 'example.com',
    validation: acm.CertificateValidation.fromDns(zone),
  });
  new ValidationRecordCleanup(stack, 'Cleanup', { zone, certificates: [certificate], enabled });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  return { assembly, template: Template.fromStack(stack), stack };
}

describe('ValidationRecordCleanup', () => {
  let built: ReturnType<typeof build>;
  beforeAll(() => {
    built = build();
  });

  test("is created before the certificate, so it runs after the certificate's delete and before the zone's", () => {
    const template = built.template.toJSON();
    const [cleanupId] = Object.keys(built.template.findResources('Custom::ValidationRecordCleanup'));
    const [certificateId] = Object.keys(built.template.findResources('AWS::CertificateManager::Certificate'));
    const [zoneId] = Object.keys(built.template.findResources('AWS::Route53::HostedZone'));
    expect(template.Resources[certificateId].DependsOn).toContain(cleanupId);
    built.template.hasResourceProperties('Custom::ValidationRecordCleanup', {
      HostedZoneId: { Ref: zoneId },
      Enabled: 'true',
    });
  });

  test('may list and change records of that one zone, and write its own logs, nothing else', () => {
    const [zoneId] = Object.keys(built.template.findResources('AWS::Route53::HostedZone'));
    built.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
      Policies: [
        {
          PolicyName: 'Handler',
          PolicyDocument: {
            Statement: [
              {
                Action: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'],
                Effect: 'Allow',
                Resource: { 'Fn::Join': ['', ['arn:aws:route53:::hostedzone/', { Ref: zoneId }]] },
              },
              {
                Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                Effect: 'Allow',
                Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Logs'), 'Arn'] },
              },
            ],
          },
        },
      ],
    });
  });

  test('its function runs inline code on the current Node.js runtime, logging to a group that goes with the stack', () => {
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Code: { ZipFile: handlerModule(CLEANUP_HANDLER) },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('Logs') } },
    });
    built.template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Delete',
    });
  });

  test('passes cdk-nag AwsSolutions with no acknowledgement', () => {
    const report = JSON.parse(readFileSync(join(built.assembly.directory, 'validation-report.json'), 'utf-8'));
    expect(report.pluginReports.flatMap((p: { violations: unknown[] }) => p.violations)).toEqual([]);
  });

  test('is disabled, not removed, for a retained zone', () => {
    build(false).template.hasResourceProperties('Custom::ValidationRecordCleanup', { Enabled: 'false' });
  });
});

describe('the cleanup handler', () => {
  const VALIDATION = (name: string, hash: string) => ({
    Name: `_${hash}.${name}.`,
    Type: 'CNAME',
    TTL: 300,
    ResourceRecords: [{ Value: `_${hash}x.abcdefgh.acm-validations.aws.` }],
  });
  const ZONE_RECORDS = [
    { Name: 'example.com.', Type: 'NS', TTL: 172800, ResourceRecords: [{ Value: 'ns-1.awsdns-00.com.' }] },
    {
      Name: 'example.com.',
      Type: 'SOA',
      TTL: 900,
      ResourceRecords: [{ Value: 'ns-1.awsdns-00.com. x 1 7200 900 1209600 86400' }],
    },
    VALIDATION('example.com', 'a1'),
    { Name: 'www.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'example.com.' }] },
    VALIDATION('origin.example.com', 'c3'),
  ];

  /** Runs one request against a zone whose records come in pages of `pageSize`. */
  async function run(event: Record<string, unknown>, options: { pageSize?: number; missingZone?: boolean } = {}) {
    const calls: { client: string; config: unknown; command: string; input: any }[] = [];
    const pageSize = options.pageSize ?? 100;
    const Route53Client = fakeClient(calls, 'Route53', (command, input) => {
      if (command !== 'ListResourceRecordSets') return {};
      if (options.missingZone) throw Object.assign(new Error('no zone'), { name: 'NoSuchHostedZone' });
      const start = input.StartRecordName
        ? ZONE_RECORDS.findIndex((r) => r.Name === input.StartRecordName && r.Type === input.StartRecordType)
        : 0;
      const page = ZONE_RECORDS.slice(start, start + pageSize);
      const next = ZONE_RECORDS[start + pageSize];
      return next
        ? { ResourceRecordSets: page, IsTruncated: true, NextRecordName: next.Name, NextRecordType: next.Type }
        : { ResourceRecordSets: page, IsTruncated: false };
    });
    const handler = loadHandler(CLEANUP_HANDLER, {
      '@aws-sdk/client-route-53': {
        Route53Client,
        ListResourceRecordSetsCommand: fakeCommand('ListResourceRecordSets'),
        ChangeResourceRecordSetsCommand: fakeCommand('ChangeResourceRecordSets'),
      },
    });
    const result = await handler({ ResourceProperties: { HostedZoneId: 'Z123', Enabled: 'true' }, ...event });
    return { result, calls };
  }

  test('does nothing on create or update', async () => {
    for (const RequestType of ['Create', 'Update']) {
      const { result, calls } = await run({ RequestType });
      expect(calls).toEqual([]);
      expect(result).toEqual({ PhysicalResourceId: 'validation-records:Z123' });
    }
  });

  test('on delete, deletes exactly the CNAMEs that point into acm-validations.aws, across pages', async () => {
    const { calls } = await run({ RequestType: 'Delete' }, { pageSize: 2 });
    expect(calls.filter((c) => c.command === 'ListResourceRecordSets')).toHaveLength(3);
    const changes = calls.filter((c) => c.command === 'ChangeResourceRecordSets');
    expect(changes).toHaveLength(1);
    expect(changes[0].input.HostedZoneId).toBe('Z123');
    expect(changes[0].input.ChangeBatch.Changes).toEqual([
      { Action: 'DELETE', ResourceRecordSet: VALIDATION('example.com', 'a1') },
      { Action: 'DELETE', ResourceRecordSet: VALIDATION('origin.example.com', 'c3') },
    ]);
  });

  test('leaves the zone alone when disabled (a retained zone)', async () => {
    const { calls } = await run({
      RequestType: 'Delete',
      ResourceProperties: { HostedZoneId: 'Z123', Enabled: 'false' },
    });
    expect(calls).toEqual([]);
  });

  test('succeeds when the zone is already gone', async () => {
    const { result, calls } = await run({ RequestType: 'Delete' }, { missingZone: true });
    expect(result).toEqual({ PhysicalResourceId: 'validation-records:Z123' });
    expect(calls.map((c) => c.command)).toEqual(['ListResourceRecordSets']);
  });
});
