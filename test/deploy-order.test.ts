import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { StackTemplate, stackTemplate, stacksOf } from '../scripts/common/assembly';
import { checkDeployOrder, DeployOrderReport } from '../scripts/deploy-order';
import { buildApp, CDK_JSON_CONTEXT } from './helpers';

/** A hand-written stack: the check reads templates only. */
function stack(stackName: string, region: string, template: object, dependsOn: string[] = []): StackTemplate {
  return stackTemplate(stackName, region, template, dependsOn);
}

const REPLICATED_SECRET = {
  Resources: {
    Secret: {
      Type: 'AWS::SecretsManager::Secret',
      Properties: {
        Name: 'app/session',
        ReplicaRegions: [{ Region: 'eu-west-1', KmsKeyId: 'alias/app/secrets' }],
      },
    },
  },
};
const REPLICA_KEY = {
  Resources: { Alias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'alias/app/secrets' } } },
};

describe('the deploy-order check', () => {
  test('flags a secret replicated under a key alias that a later stack creates (the first-deploy blocker)', () => {
    const report = checkDeployOrder([
      stack('Primary', 'us-east-1', REPLICATED_SECRET),
      stack('Secondary', 'eu-west-1', REPLICA_KEY, ['Primary']),
    ]);
    expect(report.hazards).toEqual([
      'Primary Secret.ReplicaRegions.0.KmsKeyId needs kms-alias eu-west-1 alias/app/secrets, which Secondary creates, but that stack does not deploy before it',
    ]);
  });

  test('passes the same reference once the key deploys first', () => {
    const report = checkDeployOrder([
      stack('Keys', 'eu-west-1', REPLICA_KEY),
      stack('Primary', 'us-east-1', REPLICATED_SECRET, ['Keys']),
    ]);
    expect(report.hazards).toEqual([]);
    expect(report.checked).toEqual([expect.objectContaining({ stack: 'Primary', producers: ['Keys'] })]);
  });

  test('follows dependencies transitively, and flags stacks with no order between them', () => {
    const consumer = {
      Resources: {
        Task: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: { Secrets: [{ ValueFrom: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:app/session' }] },
        },
      },
    };
    const ordered = checkDeployOrder([
      stack('Primary', 'us-east-1', REPLICATED_SECRET),
      stack('Data', 'eu-west-1', {}, ['Primary']),
      stack('Service', 'eu-west-1', consumer, ['Data']),
    ]);
    expect(ordered.hazards).toEqual([]);
    const unordered = checkDeployOrder([
      stack('Primary', 'us-east-1', REPLICATED_SECRET),
      stack('Service', 'eu-west-1', consumer),
    ]);
    expect(unordered.hazards).toEqual([
      expect.stringMatching(/^Service .* needs secret eu-west-1 app\/session, which Primary/),
    ]);
  });

  test.each([
    [
      'a dynamic reference to a secret',
      { Resources: { R: { Type: 'X', Properties: { V: '{{resolve:secretsmanager:app/session:SecretString:::}}' } } } },
      'secret us-east-1 app/session',
    ],
    [
      'an SSM parameter read through a template parameter',
      { Parameters: { P: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/app/control' } } },
      'ssm-parameter us-east-1 app/control',
    ],
    [
      'a stack output read with Fn::GetStackOutput',
      {
        Resources: {
          R: { Type: 'X', Properties: { V: { 'Fn::GetStackOutput': { StackName: 'Producer', OutputName: 'Vpc' } } } },
        },
      },
      'output Producer Vpc',
    ],
    [
      'a hosted zone found by name at deploy time',
      {
        Resources: {
          R: {
            Type: 'Custom::AWS',
            Properties: {
              Create: JSON.stringify({
                service: 'Route53',
                action: 'listHostedZonesByName',
                parameters: { DNSName: 'example.com' },
              }),
            },
          },
        },
      },
      'hosted-zone example.com',
    ],
  ])('names %s as something that must exist before the stack', (_kind, template, thing) => {
    const report = checkDeployOrder([stack('Consumer', 'us-east-1', template)]);
    expect(report.external).toEqual([thing]);
  });

  test('a certificate validated through a record another stack writes needs that stack first', () => {
    const edge = {
      Resources: {
        Certificate: {
          Type: 'AWS::CertificateManager::Certificate',
          Properties: {
            DomainName: 'example.com',
            SubjectAlternativeNames: ['origin.example.com'],
            ValidationMethod: 'DNS',
            DomainValidationOptions: [
              { DomainName: 'example.com', HostedZoneId: 'Z1' },
              { DomainName: 'origin.example.com', HostedZoneId: 'Z1' },
            ],
          },
        },
      },
    };
    const origin = {
      Resources: {
        OriginCertificate: {
          Type: 'AWS::CertificateManager::Certificate',
          Properties: { DomainName: 'origin.example.com', ValidationMethod: 'DNS' },
        },
      },
    };
    expect(
      checkDeployOrder([stack('Edge', 'us-east-1', edge), stack('Service', 'eu-west-1', origin, ['Edge'])]).hazards,
    ).toEqual([]);
    expect(checkDeployOrder([stack('Edge', 'us-east-1', edge), stack('Service', 'eu-west-1', origin)]).hazards).toEqual(
      [
        expect.stringMatching(
          /^Service OriginCertificate.DomainName needs acm-validation-record origin.example.com, which Edge/,
        ),
      ],
    );
    expect(checkDeployOrder([stack('Service', 'eu-west-1', origin)]).external).toEqual([
      'acm-validation-record origin.example.com',
    ]);
  });

  test('places named alarms, including one an SDK call writes into another region', () => {
    const edge = {
      Resources: { A: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmName: 'app-edge-page-5xx' } } },
    };
    const writer = {
      Resources: {
        W: {
          Type: 'Custom::AWS',
          Properties: {
            Create: JSON.stringify({
              service: 'CloudWatch',
              action: 'putMetricAlarm',
              region: 'us-east-1',
              parameters: { AlarmName: 'app-eu-west-1-origin' },
            }),
          },
        },
      },
    };
    const dashboard = {
      Resources: {
        D: {
          Type: 'AWS::CloudWatch::Dashboard',
          Properties: {
            DashboardBody: JSON.stringify({
              alarms: [
                'arn:aws:cloudwatch:us-east-1:1:alarm:app-edge-page-5xx',
                'arn:aws:cloudwatch:us-east-1:1:alarm:app-eu-west-1-origin',
              ],
            }),
          },
        },
      },
    };
    const report = checkDeployOrder([
      stack('Edge', 'us-east-1', edge),
      stack('Primary', 'eu-central-1', dashboard, ['Edge']),
      stack('Service', 'eu-west-1', writer, ['Primary']),
    ]);
    expect(report.unknownCrossRegion).toEqual([]);
    expect(report.hazards).toEqual([
      expect.stringMatching(
        /^Primary D\.DashboardBody needs cloudwatch-alarm us-east-1 app-eu-west-1-origin, which Service creates/,
      ),
    ]);
  });

  test('ignores what policies name: a policy may allow a resource that does not exist yet', () => {
    const policy = {
      Resources: {
        P: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyDocument: {
              Statement: [{ Resource: 'arn:aws:secretsmanager:eu-west-1:1:secret:app/session-??????' }],
            },
          },
        },
      },
    };
    expect(checkDeployOrder([stack('Consumer', 'us-east-1', policy)])).toEqual({
      checked: [],
      hazards: [],
      external: [],
      unknownCrossRegion: [],
    });
  });

  test('works on a synthesized assembly: the blocker pattern built with aws-cdk-lib is flagged', () => {
    const app = new App();
    const primary = new Stack(app, 'Primary', { env: { region: 'us-east-1', account: '111111111111' } });
    const secondary = new Stack(app, 'Secondary', { env: { region: 'eu-west-1', account: '111111111111' } });
    new kms.Key(secondary, 'Key', { alias: 'alias/app/secrets' });
    new secretsmanager.Secret(primary, 'Secret', {
      secretName: 'app/session',
      replicaRegions: [
        {
          region: 'eu-west-1',
          encryptionKey: kms.Key.fromKeyArn(primary, 'Replica', 'arn:aws:kms:eu-west-1:111111111111:alias/app/secrets'),
        },
      ],
    });
    secondary.addStackDependency(primary);
    const report = checkDeployOrder(stacksOf(app.synth()));
    expect(report.hazards).toEqual([expect.stringMatching(/^Primary .*needs kms-alias eu-west-1 alias\/app\/secrets/)]);
  });
});

/** The configurations of this app the check covers: every profile in cdk.json, and the optional stacks. */
const CONFIGURATIONS: [string, Record<string, unknown>][] = [
  ...Object.keys(CDK_JSON_CONTEXT.profiles as object).map((profile): [string, Record<string, unknown>] => [
    `profile ${profile}`,
    { profile },
  ]),
  ['prod with ARC routing controls', { 'resilience.arc': 'true' }],
  [
    'prod in pipeline mode',
    {
      'delivery.pipeline': 'true',
      account: '111111111111',
      alarmEmail: 'oncall@example.com',
      'delivery.connectionArn':
        'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
    },
  ],
  [
    'a fork with another primary region and a global datastore',
    {
      regions: 'eu-central-1,us-west-2',
      'cache.globalDatastoreId': 'ldgnf-blueprint-cache',
      'delivery.githubOidc': 'false',
    },
  ],
];

describe.each(CONFIGURATIONS)('this app, %s', (_name, overrides) => {
  let report: DeployOrderReport;
  beforeAll(() => {
    const built = buildApp(overrides, { checks: false });
    report = checkDeployOrder(stacksOf(built.app.synth()));
  });

  test('creates everything a stack names before that stack deploys', () => {
    expect(report.hazards).toEqual([]);
  });

  test("needs nothing from outside but each region's CDK bootstrap and AWS's public parameters", () => {
    const fromOutside = report.external.filter(
      (thing) => !/^ssm-parameter \S+ (cdk-bootstrap|aws\/service)\//.test(thing),
    );
    expect(fromOutside).toEqual([]);
  });

  test('names no resource of another region that the check cannot place', () => {
    expect(report.unknownCrossRegion).toEqual([]);
  });

  test("checks each region's origin certificate against the validation record the Edge stack writes", () => {
    const certificates = report.checked.filter((reference) => reference.thing.startsWith('acm-validation-record '));
    expect(certificates.length).toBeGreaterThan(0);
    for (const reference of certificates) expect(reference.producers).toEqual(['blueprint-Edge']);
  });

  test("checks the replicas of the primary's secrets against the Keys stacks", () => {
    const replicaKeys = report.checked.filter((reference) =>
      /^kms-alias \S+ alias\/blueprint\/secrets$/.test(reference.thing),
    );
    for (const reference of replicaKeys) expect(reference.producers).toEqual([expect.stringMatching(/-Keys-/)]);
  });
});
