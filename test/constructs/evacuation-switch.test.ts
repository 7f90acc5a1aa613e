import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EvacuationSwitchProps, OriginDns } from '../../lib/constructs/dns';
import { FEATURE_FLAGS, importedLoadBalancer } from '../helpers';

const ROUTING_CONTROL_ARN =
  'arn:aws:route53-recovery-control::111111111111:controlpanel/0123456789abcdef0123456789abcdef/routingcontrol/0123456789abcdef';

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly dns: OriginDns;
  readonly template: Template;
  readonly idOf: (construct: { node: { defaultChild?: unknown } }) => string;
}

/** A region's Service stack in miniature: an imported load balancer, its zone given by id. */
function build(evacuationSwitch: EvacuationSwitchProps, options: { nag?: boolean } = {}): Built {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new Stack(app, 'Service', { env: { region: 'eu-west-1' } });
  const loadBalancer = importedLoadBalancer(stack);
  const dns = new OriginDns(stack, 'Dns', {
    zoneName: 'example.com',
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    recordName: 'origin.example.com',
    loadBalancer,
    evacuationSwitch,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const idOf = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as never);
  return { app, stack, dns, template: Template.fromStack(stack), idOf };
}

const invertedCheck: EvacuationSwitchProps = {
  type: 'inverted-check',
  alarmName: 'app-eu-west-1-evacuation-switch',
  metricNamespace: 'app/Resilience',
};

describe('OriginDns with an inverted-check evacuation switch (the default without ARC)', () => {
  let built: Built;
  let originId: string;
  let switchId: string;
  let recordCheckId: string;
  beforeAll(() => {
    built = build(invertedCheck, { nag: true });
    originId = built.idOf(built.dns.originHealthCheck);
    switchId = built.idOf(built.dns.evacuationSwitch!.healthCheck);
    recordCheckId = built.idOf(built.dns.recordHealthCheck);
  });

  test('the record follows a calculated check that requires both the region check and the switch', () => {
    built.template.hasResourceProperties('AWS::Route53::RecordSet', { HealthCheckId: { Ref: recordCheckId } });
    built.template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: {
        Type: 'CALCULATED',
        ChildHealthChecks: [{ Ref: originId }, { Ref: switchId }],
        HealthThreshold: 2,
        Inverted: false,
      },
    });
  });

  test("the region's own HTTPS check stays a separate child, so inverting the switch never hides a failure", () => {
    expect(originId).not.toEqual(switchId);
    built.template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({ Type: 'HTTPS', ResourcePath: '/readyz', Inverted: false }),
    });
    built.template.resourceCountIs('AWS::Route53::HealthCheck', 3);
  });

  test('the switch follows its alarm by region and name, healthy while CloudWatch has no data, not inverted', () => {
    const switchCheck = built.template.findResources('AWS::Route53::HealthCheck')[switchId];
    // Exact: every property of the switch is part of its state; a change resets `Inverted`.
    expect(switchCheck.Properties).toEqual({
      HealthCheckConfig: {
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: { Region: 'eu-west-1', Name: { Ref: built.idOf(built.dns.evacuationSwitch!.alarm!) } },
        InsufficientDataHealthStatus: 'Healthy',
        Inverted: false,
      },
    });
  });

  test('the alarm watches a metric nobody publishes and treats the missing data as OK', () => {
    built.template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'app-eu-west-1-evacuation-switch',
      Namespace: 'app/Resilience',
      MetricName: 'EvacuationSwitch',
      Dimensions: [{ Name: 'Region', Value: 'eu-west-1' }],
      Statistic: 'Maximum',
      Period: 60,
      TreatMissingData: 'notBreaching',
      AlarmActions: Match.absent(),
    });
  });

  test('the status metric reports the record check (in DNS or not); the origin metric reports the region check', () => {
    const dimensionOf = (metric: { dimensions?: unknown }) => built.stack.resolve(metric.dimensions);
    expect(dimensionOf(built.dns.metricHealthCheckStatus())).toEqual({ HealthCheckId: { Ref: recordCheckId } });
    expect(dimensionOf(built.dns.metricOriginHealthCheckStatus())).toEqual({ HealthCheckId: { Ref: originId } });
    expect(built.dns.metricOriginHealthCheckStatus()).toMatchObject({
      namespace: 'AWS/Route53',
      metricName: 'HealthCheckStatus',
      region: 'us-east-1',
      statistic: 'Minimum',
    });
  });

  test('passes cdk-nag AwsSolutions and the template lint', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
  });
});

describe('OriginDns with a routing-control evacuation switch (ARC)', () => {
  let built: Built;
  beforeAll(() => {
    built = build({ type: 'routing-control', routingControlArn: ROUTING_CONTROL_ARN });
  });

  test('the switch is a RECOVERY_CONTROL check on the routing control, without any alarm', () => {
    built.template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: { Type: 'RECOVERY_CONTROL', RoutingControlArn: ROUTING_CONTROL_ARN, Inverted: false },
    });
    built.template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(built.dns.evacuationSwitch!.alarm).toBeUndefined();
  });

  test('the record still follows the calculated AND of the region check and the switch', () => {
    built.template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({
        Type: 'CALCULATED',
        ChildHealthChecks: [
          { Ref: built.idOf(built.dns.originHealthCheck) },
          { Ref: built.idOf(built.dns.evacuationSwitch!.healthCheck) },
        ],
        HealthThreshold: 2,
      }),
    });
  });
});

describe('EvacuationSwitch validation', () => {
  test.each(['', 'x'.repeat(256)])('rejects the alarm name %p', (alarmName) => {
    expect(() => build({ ...invertedCheck, alarmName } as EvacuationSwitchProps)).toThrow(
      /^Service\/Dns\/EvacuationSwitch: alarmName = ".*(\.\.\.)? is not allowed \(allowed: a CloudWatch alarm name of 1 to 255 printable characters\)$/,
    );
  });

  test("rejects a namespace of AWS's own", () => {
    expect(() => build({ ...invertedCheck, metricNamespace: 'AWS/Route53' } as EvacuationSwitchProps)).toThrow(
      /^Service\/Dns\/EvacuationSwitch: metricNamespace = "AWS\/Route53" is not allowed \(allowed: a CloudWatch namespace .* not start with AWS\/\)$/,
    );
  });

  test.each(['arn:aws:route53:::healthcheck/abc', 'routingcontrol/0123'])(
    'rejects the routing control ARN %p',
    (routingControlArn) => {
      expect(() => build({ type: 'routing-control', routingControlArn })).toThrow(
        /^Service\/Dns\/EvacuationSwitch: routingControlArn = ".+" is not allowed \(allowed: an ARC routing control ARN /,
      );
    },
  );
});
