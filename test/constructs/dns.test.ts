import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OriginDns, OriginDnsProps } from '../../lib/constructs/dns';
import { FEATURE_FLAGS, importedLoadBalancer } from '../helpers';

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly dns: OriginDns;
  readonly template: Template;
}

/** A region's Service stack in miniature: an imported load balancer and, optionally, an alarm. */
function build(
  props: Partial<OriginDnsProps> | ((stack: Stack) => Partial<OriginDnsProps>) = {},
  options: { nag?: boolean } = {},
): Built {
  const app = new App({ context: FEATURE_FLAGS });
  const stack = new Stack(app, 'Service', { env: { region: 'eu-west-1' } });
  const loadBalancer = importedLoadBalancer(stack);
  const dns = new OriginDns(stack, 'Dns', {
    zoneName: 'example.com',
    recordName: 'origin.example.com',
    loadBalancer,
    ...(typeof props === 'function' ? props(stack) : props),
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, dns, template: Template.fromStack(stack) };
}

const regionAlarm = (stack: Stack, metric?: cloudwatch.IMetric) =>
  new cloudwatch.Alarm(stack, 'RegionUnhealthy', {
    metric: metric ?? new cloudwatch.Metric({ namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_ELB_5XX_Count' }),
    threshold: 10,
    evaluationPeriods: 2,
  });

describe('OriginDns with a zone found by name (the app created it)', () => {
  let built: Built;
  let healthCheckId: string;
  beforeAll(() => {
    built = build({}, { nag: true });
    healthCheckId = built.stack.getLogicalId(built.dns.originHealthCheck.node.defaultChild as route53.CfnHealthCheck);
  });

  test("is a latency alias to this region's load balancer, identified by the region, guarded by the health check", () => {
    built.template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'origin.example.com.',
      Type: 'A',
      Region: 'eu-west-1',
      SetIdentifier: 'eu-west-1',
      HealthCheckId: { Ref: healthCheckId },
      AliasTarget: {
        DNSName: 'dualstack.api-123.eu-west-1.elb.amazonaws.com',
        HostedZoneId: 'Z32O12XQLNTSW2',
        EvaluateTargetHealth: true,
      },
    });
  });

  test('probes the load balancer over HTTPS on /readyz every 30 s, unhealthy after 3 failures', () => {
    built.template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({
        Type: 'HTTPS',
        FullyQualifiedDomainName: 'api-123.eu-west-1.elb.amazonaws.com',
        Port: 443,
        ResourcePath: '/readyz',
        RequestInterval: 30,
        FailureThreshold: 3,
        EnableSNI: true,
      }),
    });
  });

  test('finds the zone id at deploy time with the one Route 53 list call, prefix stripped', () => {
    built.template.hasResourceProperties('Custom::AWS', {
      Create: Match.serializedJson(
        Match.objectLike({
          service: 'Route53',
          action: 'listHostedZonesByName',
          parameters: { DNSName: 'example.com', MaxItems: '1' },
        }),
      ),
    });
    built.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Action: 'route53:ListHostedZonesByName', Effect: 'Allow', Resource: '*' }],
      },
    });
    const lookupId = Object.keys(built.template.findResources('Custom::AWS'))[0];
    built.template.hasResourceProperties('AWS::Route53::RecordSet', {
      HostedZoneId: {
        'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': [lookupId, 'HostedZones.0.Id'] }] }],
      },
    });
  });

  test('offers the health-check status metric Route 53 publishes in us-east-1', () => {
    const metric = built.dns.metricHealthCheckStatus();
    expect(metric).toMatchObject({
      namespace: 'AWS/Route53',
      metricName: 'HealthCheckStatus',
      region: 'us-east-1',
      statistic: 'Minimum',
    });
    expect(built.stack.resolve(metric.dimensions)).toEqual({ HealthCheckId: { Ref: healthCheckId } });
  });

  test('passes cdk-nag AwsSolutions and the template lint with the list-action wildcard acknowledged', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
  });
});

describe('OriginDns options', () => {
  test('imports a zone given by id without any custom resource', () => {
    const { template } = build({ hostedZoneId: 'Z0123456789ABCDEFGHIJ' });
    template.resourceCountIs('Custom::AWS', 0);
    template.hasResourceProperties('AWS::Route53::RecordSet', { HostedZoneId: 'Z0123456789ABCDEFGHIJ' });
  });

  test('takes the probe path, a 10 s interval and the failure threshold from config', () => {
    const { template } = build({
      healthCheck: { type: 'https', path: '/healthz', requestInterval: Duration.seconds(10), failureThreshold: 2 },
      setIdentifier: 'eu',
    });
    template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({ ResourcePath: '/healthz', RequestInterval: 10, FailureThreshold: 2 }),
    });
    template.hasResourceProperties('AWS::Route53::RecordSet', { SetIdentifier: 'eu' });
  });

  test("follows a region's metric alarm by its region and name, keeping the last status on missing data", () => {
    const { template } = build((s) => ({ healthCheck: { type: 'alarm', alarm: regionAlarm(s) } }));
    template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: {
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: { Region: 'eu-west-1', Name: { Ref: Match.stringLikeRegexp('^RegionUnhealthy') } },
        InsufficientDataHealthStatus: 'LastKnownStatus',
        Inverted: false,
      },
    });
  });

  test('treats missing alarm data as unhealthy when asked', () => {
    const { template } = build((s) => ({
      healthCheck: {
        type: 'alarm',
        alarm: regionAlarm(s),
        insufficientDataHealthStatus: route53.InsufficientDataHealthStatusEnum.UNHEALTHY,
      },
    }));
    template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({ InsufficientDataHealthStatus: 'Unhealthy' }),
    });
  });
});

describe('OriginDns with a short record TTL', () => {
  test("is a latency CNAME to the load balancer's DNS name with that TTL, guarded by the health check", () => {
    const { template } = build({ recordTtl: Duration.seconds(10) });
    template.resourceCountIs('AWS::Route53::RecordSet', 1);
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'origin.example.com.',
      Type: 'CNAME',
      TTL: '10',
      ResourceRecords: ['api-123.eu-west-1.elb.amazonaws.com'],
      Region: 'eu-west-1',
      SetIdentifier: 'eu-west-1',
      HealthCheckId: { Ref: Match.stringLikeRegexp('^DnsHealthCheck') },
      AliasTarget: Match.absent(),
    });
  });

  test.each([Duration.seconds(0), Duration.seconds(301)])('rejects the TTL %s', (recordTtl) => {
    expect(() => build({ recordTtl })).toThrow(
      /^Service\/Dns: recordTtl = ".+" is not allowed \(allowed: a whole number of seconds from 1 to 300\)$/,
    );
  });
});

describe('OriginDns validation', () => {
  test.each(['Example.com', 'localhost', 'exa mple.com'])('rejects the zone name %p', (zoneName) => {
    expect(() => build({ zoneName })).toThrow(
      /^Service\/Dns: zoneName = ".+" is not allowed \(allowed: a lower-case DNS name such as example\.com\)$/,
    );
  });

  test.each(['origin.example.org', 'origin..example.com'])('rejects the record name %p', (recordName) => {
    expect(() => build({ recordName })).toThrow(
      /^Service\/Dns: recordName = ".+" is not allowed \(allowed: a lower-case DNS name in the zone example\.com\)$/,
    );
  });

  test.each(['readyz', '/ready z'])('rejects the probe path %p', (path) => {
    expect(() => build({ healthCheck: { type: 'https', path } })).toThrow(
      /^Service\/Dns: healthCheck\.path = ".+" is not allowed \(allowed: a path that starts with \/ and has no spaces, up to 255 characters\)$/,
    );
  });

  test.each([Duration.seconds(20), Duration.minutes(1)])('rejects the request interval %s', (requestInterval) => {
    expect(() => build({ healthCheck: { type: 'https', requestInterval } })).toThrow(
      /^Service\/Dns: healthCheck\.requestInterval = ".+" is not allowed \(allowed: 10 or 30 seconds\)$/,
    );
  });

  test.each([0, 11, 2.5])('rejects the failure threshold %p', (failureThreshold) => {
    expect(() => build({ healthCheck: { type: 'https', failureThreshold } })).toThrow(
      /^Service\/Dns: healthCheck\.failureThreshold = [\d.]+ is not allowed \(allowed: an integer from 1 to 10\)$/,
    );
  });

  test.each([
    [
      'a composite alarm',
      (s: Stack) => new cloudwatch.CompositeAlarm(s, 'Any', { alarmRule: cloudwatch.AlarmRule.anyOf(regionAlarm(s)) }),
    ],
    [
      'a percentile alarm',
      (s: Stack) => regionAlarm(s, new cloudwatch.Metric({ namespace: 'N', metricName: 'M', statistic: 'p99' })),
    ],
    [
      'a metric-math alarm',
      (s: Stack) =>
        regionAlarm(
          s,
          new cloudwatch.MathExpression({
            expression: 'm * 2',
            usingMetrics: { m: new cloudwatch.Metric({ namespace: 'N', metricName: 'M' }) },
          }),
        ),
    ],
  ])('rejects %s, which Route 53 cannot follow', (_kind, alarm) => {
    expect(() => build((s) => ({ healthCheck: { type: 'alarm', alarm: alarm(s) } }))).toThrow(
      /^Service\/Dns: healthCheck\.alarm = "Service\/.+" cannot be followed by Route 53 \(allowed: a metric alarm on one standard-resolution metric with Average, Minimum, Maximum, Sum or SampleCount\)$/,
    );
  });
});
