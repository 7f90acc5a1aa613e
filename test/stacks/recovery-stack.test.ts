import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RecoveryControls, RecoveryControlsProps } from '../../lib/constructs/dns/recovery-controls';
import { RecoveryStack } from '../../lib/stacks/recovery-stack';
import {
  BuiltBlueprint,
  FEATURE_FLAGS,
  buildApp,
  configWith,
  crossRegionReferences,
  stackDependencies,
} from '../helpers';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-2'];
const PARAMETER = '/blueprint/resilience/routing-control-arn';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

describe('the prod app with resilience.arc', () => {
  let built: BuiltBlueprint;
  let assembly: CloudAssembly;
  let recovery: Template;
  let routingControls: [string, Resource][];
  beforeAll(() => {
    built = buildApp({ 'resilience.arc': true }, { checks: false });
    assembly = built.app.synth();
    recovery = Template.fromStack(built.recovery!);
    routingControls = Object.entries(recovery.findResources('AWS::Route53RecoveryControl::RoutingControl')) as [
      string,
      Resource,
    ][];
  });

  test('adds a Recovery stack in us-west-2, ARC’s control plane, protected from deletion in prod', () => {
    expect(built.recovery!.stackName).toBe('blueprint-Recovery');
    expect(built.recovery!.region).toBe('us-west-2');
    expect(built.recovery!.terminationProtection).toBe(true);
  });

  test('holds one cluster and one control panel on it', () => {
    recovery.resourceCountIs('AWS::Route53RecoveryControl::Cluster', 1);
    recovery.hasResourceProperties('AWS::Route53RecoveryControl::Cluster', { Name: 'blueprint' });
    recovery.resourceCountIs('AWS::Route53RecoveryControl::ControlPanel', 1);
    const [clusterId] = Object.keys(recovery.findResources('AWS::Route53RecoveryControl::Cluster'));
    recovery.hasResourceProperties('AWS::Route53RecoveryControl::ControlPanel', {
      ClusterArn: { 'Fn::GetAtt': [clusterId, 'ClusterArn'] },
    });
  });

  test('has one routing control per serving region, named <appName>-<region>, created one at a time', () => {
    expect(routingControls.map(([, control]) => control.Properties.Name)).toEqual(
      REGIONS.map((region) => `blueprint-${region}`),
    );
    // ARC refuses concurrent changes to one control panel: each control waits for the previous.
    routingControls.slice(1).forEach(([, control], index) => {
      expect(control.DependsOn).toContain(routingControls[index][0]);
    });
  });

  test('a safety rule keeps at least one region On, so no one can evacuate them all', () => {
    recovery.hasResourceProperties('AWS::Route53RecoveryControl::SafetyRule', {
      AssertionRule: {
        AssertedControls: routingControls.map(([id]) => ({ 'Fn::GetAtt': [id, 'RoutingControlArn'] })),
        WaitPeriodMs: 5000,
      },
      RuleConfig: { Type: 'ATLEAST', Threshold: 1, Inverted: false },
    });
  });

  test('turns every routing control On once, when created, before the safety rule exists', () => {
    const [turnOnId] = Object.keys(recovery.findResources('Custom::NewRoutingControlsOn'));
    const [clusterId] = Object.keys(recovery.findResources('AWS::Route53RecoveryControl::Cluster'));
    recovery.hasResourceProperties('Custom::NewRoutingControlsOn', {
      ClusterArn: { 'Fn::GetAtt': [clusterId, 'ClusterArn'] },
      RoutingControlArns: routingControls.map(([id]) => ({ 'Fn::GetAtt': [id, 'RoutingControlArn'] })),
    });
    recovery.hasResource('AWS::Route53RecoveryControl::SafetyRule', { DependsOn: Match.arrayWith([turnOnId]) });
  });

  test('writes each routing control ARN to an SSM parameter in its own serving region, scoped to that parameter', () => {
    // The call is JSON joined around the routing control's ARN: put the reference back in as text.
    const callOf = (joined: { 'Fn::Join': [string, unknown[]] }) =>
      JSON.parse(
        joined['Fn::Join'][1]
          .map((part) => (typeof part === 'string' ? part : `<${JSON.stringify(part).replace(/"/g, "'")}>`))
          .join(''),
      );
    const writers = Object.values(recovery.findResources('Custom::AWS')).map((writer) => ({
      create: callOf(writer.Properties.Create),
      update: callOf(writer.Properties.Update),
      delete: writer.Properties.Delete,
    }));
    expect(writers).toEqual(
      REGIONS.map((region, index) => ({
        create: expect.objectContaining({
          service: 'SSM',
          action: 'putParameter',
          region,
          parameters: expect.objectContaining({
            Name: PARAMETER,
            Value: `<{'Fn::GetAtt':['${routingControls[index][0]}','RoutingControlArn']}>`,
            Type: 'String',
            Overwrite: true,
          }),
        }),
        update: expect.objectContaining({ action: 'putParameter', region }),
        // Kept on delete: a recreated stack's writer overwrites it before the old one is deleted.
        delete: undefined,
      })),
    );
    for (const region of REGIONS) {
      recovery.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            {
              Action: 'ssm:PutParameter',
              Effect: 'Allow',
              Resource: {
                'Fn::Join': ['', [`arn:aws:ssm:${region}:`, { Ref: 'AWS::AccountId' }, `:parameter${PARAMETER}`]],
              },
            },
          ],
        },
      });
    }
  });

  test('outputs the cluster ARN and each routing control ARN', () => {
    recovery.hasOutput('ClusterArn', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('Cluster'), 'ClusterArn'] } });
    for (const [suffix, index] of [
      ['UsEast1', 0],
      ['EuWest1', 1],
      ['ApNortheast2', 2],
    ] as const) {
      recovery.hasOutput(`RoutingControlArn${suffix}`, {
        Value: { 'Fn::GetAtt': [routingControls[index][0], 'RoutingControlArn'] },
      });
    }
  });

  test("each Service stack's switch is a RECOVERY_CONTROL check on the ARN read from SSM in its own region", () => {
    for (const region of REGIONS) {
      const template = Template.fromStack(built.service.get(region as never)!);
      const parameters = template.findParameters('*', {
        Type: 'AWS::SSM::Parameter::Value<String>',
        Default: PARAMETER,
      });
      const [parameterId] = Object.keys(parameters);
      expect(parameterId).toBeDefined();
      template.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: { Type: 'RECOVERY_CONTROL', RoutingControlArn: { Ref: parameterId }, Inverted: false },
      });
      template.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: Match.objectLike({ Type: 'CALCULATED', HealthThreshold: 2 }),
      });
      template.resourceCountIs('AWS::Route53::HealthCheck', 3);
      expect(
        template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'EvacuationSwitch' } }),
      ).toEqual({});
    }
  });

  test('each Service stack outputs its switch, origin and record health-check ids', () => {
    for (const region of REGIONS) {
      const service = built.service.get(region as never)!;
      const template = Template.fromStack(service);
      const idOf = (construct: { node: { defaultChild?: unknown } }) =>
        service.getLogicalId(construct.node.defaultChild as never);
      const dns = service.originDns;
      template.hasOutput('EvacuationSwitchHealthCheckId', { Value: { Ref: idOf(dns.evacuationSwitch!.healthCheck) } });
      template.hasOutput('OriginHealthCheckId', { Value: { Ref: idOf(dns.originHealthCheck) } });
      template.hasOutput('RecordHealthCheckId', { Value: { Ref: idOf(dns.recordHealthCheck) } });
    }
  });

  test('deploys after every data region and before every service, beside the edge', () => {
    const dependsOn = (name: string) => stackDependencies(assembly, name);
    expect(dependsOn('blueprint-Recovery')).toEqual([`blueprint-Data-${REGIONS[REGIONS.length - 1]}`]);
    expect(dependsOn('blueprint-Edge')).not.toContain('blueprint-Recovery');
    for (const region of REGIONS) expect(dependsOn(`blueprint-Service-${region}`)).toContain('blueprint-Recovery');
  });

  test('no stack reads a value from another region or exports one', () => {
    expect(crossRegionReferences(assembly)).toEqual([]);
    for (const service of built.service.values()) {
      expect(JSON.stringify(Template.fromStack(service).toJSON())).not.toContain('blueprint-Recovery');
    }
  });
});

describe('the Recovery stack alone', () => {
  test('passes cdk-nag AwsSolutions and the template lint', () => {
    const app = new App({ context: FEATURE_FLAGS });
    new RecoveryStack(app, 'blueprint-Recovery', { config: configWith({ 'resilience.arc': true }) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf-8'));
    expect(report.pluginReports.flatMap((p: { violations: unknown[] }) => p.violations)).toEqual([]);
  });
});

describe('RecoveryControls validation', () => {
  const build = (props: Partial<RecoveryControlsProps>, region = 'us-west-2') => {
    const stack = new Stack(new App({ context: FEATURE_FLAGS }), 'Recovery', { env: { region } });
    return new RecoveryControls(stack, 'Controls', {
      name: 'app',
      regions: ['eu-west-1', 'us-east-1'],
      parameterName: '/app/resilience/routing-control-arn',
      ...props,
    });
  };

  test('refuses any region but us-west-2, where ARC’s control plane lives', () => {
    expect(() => build({}, 'eu-west-1')).toThrow(
      /^Recovery\/Controls: the stack's region eu-west-1 cannot hold ARC routing controls \(allowed: us-west-2, where ARC's control plane lives\)$/,
    );
  });

  test.each([0, 3, 1.5])('rejects %p regions kept On', (minRegionsOn) => {
    expect(() => build({ minRegionsOn })).toThrow(
      /^Recovery\/Controls: minRegionsOn = [\d.]+ is not allowed \(allowed: an integer from 1 to 2\)$/,
    );
  });

  test.each([[[]], [['eu-west-1', 'eu-west-1']]])('rejects the region list %p', (regions) => {
    expect(() => build({ regions })).toThrow(
      /^Recovery\/Controls: regions = .+ is not allowed \(allowed: one or more regions, each once\)$/,
    );
  });

  test.each(['my app', 'x'.repeat(60)])('rejects the name %p', (name) => {
    expect(() => build({ name })).toThrow(
      /^Recovery\/Controls: name = ".+ is not allowed \(allowed: a name without spaces/,
    );
  });

  test('rejects a parameter name that is not a path', () => {
    expect(() => build({ parameterName: 'routing-control-arn' })).toThrow(
      /^Recovery\/Controls: parameterName = "routing-control-arn" is not allowed/,
    );
  });

  test('leaves new controls Off when asked', () => {
    const controls = build({ turnOnNewControls: false });
    expect(controls.initialState).toBeUndefined();
    Template.fromStack(Stack.of(controls)).resourceCountIs('Custom::NewRoutingControlsOn', 0);
  });

  test('keeps more regions On when asked', () => {
    const controls = build({ minRegionsOn: 2 });
    Template.fromStack(Stack.of(controls)).hasResourceProperties('AWS::Route53RecoveryControl::SafetyRule', {
      Name: 'app-at-least-2-on',
      RuleConfig: { Type: 'ATLEAST', Threshold: 2, Inverted: false },
    });
  });
});
