import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildZoneOnly } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { BuiltBlueprint, buildApp, contextWith, stackDependencies } from '../helpers';

// What a fresh account's first `cdk deploy --all` stands on (decision 11): the Account and Keys
// stacks first, secrets by complete ARN, stateful resources that a failed create leaves behind
// nothing of, and a hosted zone that can be delegated before any certificate waits on it.

let prodApp: BuiltBlueprint | undefined;
/** The fixture's prod app, built once for this file. */
const prod = (): BuiltBlueprint => (prodApp ??= buildApp({}, { checks: false }));

describe('the prod app on its first deploy', () => {
  let built: BuiltBlueprint;
  let stackTemplate: (name: string) => Template;
  beforeAll(() => {
    built = prod();
    const assembly = built.app.synth();
    stackTemplate = (name) => Template.fromJSON(assembly.getStackByName(name).template);
  });

  test('the primary Data stack deploys after the Account stack and every Keys stack', () => {
    const assembly = built.app.synth();
    expect(stackDependencies(assembly, 'blueprint-Data-us-east-1').sort()).toEqual([
      'blueprint-Account',
      'blueprint-Keys-ap-northeast-2',
      'blueprint-Keys-eu-west-1',
    ]);
  });

  test('the Account stack, in the primary region, makes sure of the roles ECS, autoscaling, ELB, RDS, ElastiCache and FIS assume', () => {
    expect(built.account.region).toBe('us-east-1');
    expect(built.account.serviceLinkedRoles.awsServiceNames).toEqual([
      'ecs.amazonaws.com',
      'ecs.application-autoscaling.amazonaws.com',
      'elasticloadbalancing.amazonaws.com',
      'rds.amazonaws.com',
      'elasticache.amazonaws.com',
      'rds.application-autoscaling.amazonaws.com',
      'fis.amazonaws.com',
    ]);
  });

  test('each non-primary region has a Keys stack, protected, whose key is kept and named alias/blueprint/secrets', () => {
    expect([...built.keys.keys()]).toEqual(['eu-west-1', 'ap-northeast-2']);
    for (const [region, keys] of built.keys) {
      expect(keys.terminationProtection).toBe(true);
      expect(keys.region).toBe(region);
      const template = stackTemplate(`blueprint-Keys-${region}`);
      template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/blueprint/secrets' });
      template.hasResource('AWS::KMS::Key', {
        Properties: { EnableKeyRotation: true, PendingWindowInDays: 30 },
        DeletionPolicy: 'RetainExceptOnCreate',
        UpdateReplacePolicy: 'Retain',
      });
    }
  });

  test("the primary's secrets replicate under the replica key, by alias, into every other region", () => {
    const template = stackTemplate('blueprint-Data-us-east-1');
    const secrets = Object.values(template.findResources('AWS::SecretsManager::Secret')).filter(
      (secret) => secret.Properties.ReplicaRegions,
    );
    expect(secrets).toHaveLength(4); // origin-verify, session and two shard master secrets
    for (const secret of secrets) {
      expect(secret.Properties.ReplicaRegions.map((replica: { Region: string }) => replica.Region)).toEqual([
        'eu-west-1',
        'ap-northeast-2',
      ]);
      for (const replica of secret.Properties.ReplicaRegions) {
        expect(JSON.stringify(replica.KmsKeyId)).toContain(`:kms:${replica.Region}:`);
        expect(JSON.stringify(replica.KmsKeyId)).toContain(':alias/blueprint/secrets');
      }
    }
  });

  test.each(['us-east-1', 'eu-west-1', 'ap-northeast-2'])(
    'the tasks in %s take every secret by complete ARN, never by name',
    (region) => {
      const template = stackTemplate(`blueprint-Service-${region}`);
      const arnVariables: { Value: unknown }[] = [];
      for (const task of Object.values(template.findResources('AWS::ECS::TaskDefinition'))) {
        const [container] = task.Properties.ContainerDefinitions;
        // The consistency probe injects no secret: it reads the origin-verify replica itself.
        for (const secret of container.Secrets ?? []) {
          // A complete ARN comes from the Data stack (the secret's Ref or its replica's lookup).
          expect(secret.ValueFrom).toEqual({
            'Fn::GetStackOutput': expect.objectContaining({ StackName: `blueprint-Data-${region}`, Region: region }),
          });
        }
        arnVariables.push(
          ...container.Environment.filter((variable: { Name: string }) => variable.Name.endsWith('_SECRET_ARN')),
        );
      }
      // The master secrets, by ARN, for the primary api's migrations only (decision 12).
      expect(arnVariables).toHaveLength(region === 'us-east-1' ? 2 : 0);
      for (const arn of arnVariables) {
        expect(arn.Value).toEqual({ 'Fn::GetStackOutput': expect.objectContaining({ Region: region }) });
      }
    },
  );

  test('outside the primary, the Data stack finds the session and shard secrets replicated to it', () => {
    const template = stackTemplate('blueprint-Data-eu-west-1');
    const lookups = Object.values(template.findResources('Custom::AWS')).map((resource) =>
      JSON.stringify(resource.Properties.Create),
    );
    for (const name of ['blueprint/session', 'blueprint/shard-0/master', 'blueprint/shard-1/master']) {
      expect(lookups).toContainEqual(expect.stringContaining(`\\"SecretId\\":\\"${name}\\"`));
    }
  });

  test('outside the primary, the execution roles may decrypt with the replica key, which ECS reads the session secret with', () => {
    const template = stackTemplate('blueprint-Service-eu-west-1');
    const decryptsReplicaKey = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('blueprint-Keys-eu-west-1'),
    );
    // The api's and the worker's execution roles, and the consistency probe's task role, which
    // reads the origin-verify secret's replica itself; the service tasks read no replicated secret.
    expect(decryptsReplicaKey.map((policy) => policy.Properties.PolicyName).sort()).toEqual([
      expect.stringMatching(/^ApiTaskTaskDefinitionExecutionRole/),
      expect.stringMatching(/^ConsistencyProbeTaskTaskDefinitionTaskRole/),
      expect.stringMatching(/^WorkerTaskTaskDefinitionExecutionRole/),
    ]);
    for (const policy of decryptsReplicaKey) {
      const decrypt = policy.Properties.PolicyDocument.Statement.find(
        (statement: { Action: unknown }) => statement.Action === 'kms:Decrypt',
      );
      expect([decrypt.Resource].flat()).toContainEqual({
        'Fn::GetStackOutput': expect.objectContaining({ StackName: 'blueprint-Keys-eu-west-1' }),
      });
    }
  });

  test('stateful resources are kept on delete and replacement, but removed when their first create rolls back', () => {
    for (const name of ['blueprint-Data-us-east-1', 'blueprint-Data-eu-west-1']) {
      const template = stackTemplate(name);
      for (const type of ['AWS::KMS::Key', 'AWS::SQS::Queue', 'AWS::SNS::Topic', 'AWS::Logs::LogGroup']) {
        const kept = Object.values(template.findResources(type)).filter((r) => r.DeletionPolicy !== 'Delete');
        expect(kept.length).toBeGreaterThan(0);
        for (const resource of kept) {
          expect(resource.DeletionPolicy).toBe('RetainExceptOnCreate');
          expect(resource.UpdateReplacePolicy).toBe('Retain');
        }
      }
    }
    const secrets = stackTemplate('blueprint-Data-us-east-1').findResources('AWS::SecretsManager::Secret');
    for (const secret of Object.values(secrets)) expect(secret.DeletionPolicy).toBe('RetainExceptOnCreate');
  });

  test("the Edge stack's zone is kept the same way, and its name servers are an output to delegate to", () => {
    const template = stackTemplate('blueprint-Edge');
    template.hasResource('AWS::Route53::HostedZone', { DeletionPolicy: 'RetainExceptOnCreate' });
    template.hasOutput('NameServers', {
      Value: { 'Fn::Join': [',', { 'Fn::GetAtt': [Match.stringLikeRegexp('^Zone'), 'NameServers'] }] },
    });
  });
});

describe('the dev app on its first deploy', () => {
  test('has an Account stack and no Keys stack (one region), and retains nothing', () => {
    const built = buildApp({ profile: 'dev' }, { checks: false });
    expect(built.keys.size).toBe(0);
    expect(built.account.serviceLinkedRoles.awsServiceNames).toContain('ecs.amazonaws.com');
    const data = Template.fromStack(built.data.get('us-east-1')!);
    for (const [, resource] of Object.entries(data.toJSON().Resources as Record<string, { DeletionPolicy?: string }>)) {
      expect(resource.DeletionPolicy ?? 'Delete').not.toMatch(/^Retain/);
    }
  });
});

describe('zoneOnly: the first step without hostedZoneId', () => {
  test('synthesizes only the Edge stack, with the same zone as the full stack and its name servers', () => {
    const app = new App({ context: contextWith({ zoneOnly: 'true' }) });
    const config = loadConfig(app.node.getAllContext());
    const zoneStack = buildZoneOnly(app, config, { nag: false });
    const assembly = app.synth();
    expect(assembly.stacks.map((stack) => stack.stackName)).toEqual(['blueprint-Edge']);
    const template = Template.fromStack(zoneStack);
    expect(Object.keys(template.findResources('AWS::Route53::HostedZone'))).toEqual(
      Object.keys(Template.fromStack(prod().edge).findResources('AWS::Route53::HostedZone')),
    );
    expect(Object.keys(template.toJSON().Resources).filter((id) => id !== 'CDKMetadata')).toHaveLength(1);
    template.hasOutput('NameServers', Match.anyValue());
  });

  test('is refused with hostedZoneId, where there is no zone to create', () => {
    expect(() => buildApp({ zoneOnly: 'true', hostedZoneId: 'Z0123456789ABCDEFGHIJ' })).toThrow(
      /^zoneOnly = true has no zone to create: hostedZoneId names an existing one \(allowed: false when hostedZoneId is set\)$/,
    );
  });
});
