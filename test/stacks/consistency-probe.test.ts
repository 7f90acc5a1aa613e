import { Match, Template } from 'aws-cdk-lib/assertions';
import { BuiltBlueprint, buildApp, configWith, containerOf, stackTemplate } from '../helpers';

type Resource = { Type: string; Properties: Record<string, any> };
const PROD_REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-2'];

describe('consistency probe in the Service stacks', () => {
  let prod: BuiltBlueprint;
  let dev: BuiltBlueprint;
  const templateOf = (built: BuiltBlueprint, region: string) => stackTemplate(built.service.get(region as never)!);
  const probeEnv = (template: Template) =>
    Object.fromEntries(
      containerOf(template, /^ConsistencyProbe/).Environment.map((e: { Name: string; Value: string }) => [
        e.Name,
        e.Value,
      ]),
    );

  beforeAll(() => {
    // cdk-nag and the template lint run over the whole app in test/app.test.ts.
    prod = buildApp({}, { checks: false });
    dev = buildApp({ profile: 'dev' }, { checks: false });
  });

  test('every prod region runs one probe a minute that writes there and reads in every region', () => {
    expect([...prod.service.keys()].sort()).toEqual([...PROD_REGIONS].sort());
    for (const region of PROD_REGIONS) {
      const template = templateOf(prod, region);
      template.resourceCountIs('AWS::Scheduler::Schedule', 1);
      template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 minute)' });
      const env = probeEnv(template);
      expect(env.REGION).toBe(region);
      expect(JSON.parse(env.PROBE_TARGETS)).toEqual(
        PROD_REGIONS.map((r) => ({
          region: r,
          url: 'https://origin.example.com',
          connectHost: `${r}.origin.example.com`,
        })),
      );
      expect(env).toMatchObject({
        PROBE_ORIGIN_VERIFY_SECRET_ID: 'blueprint/origin-verify',
        PROBE_STALE_AFTER_MS: '5000',
        PROBE_METRICS_NAMESPACE: 'blueprint/ConsistencyProbe',
      });
      template.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: `${region}.origin.example.com.`,
        Type: 'A',
        SetIdentifier: Match.absent(),
      });
    }
  });

  test("the probe's alarms act on the region's page and ticket topics", () => {
    const template = templateOf(prod, 'eu-west-1');
    const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(([id]) =>
      id.startsWith('ConsistencyProbe'),
    );
    expect(alarms).toHaveLength(2 * PROD_REGIONS.length);
    for (const [id, alarm] of alarms) {
      const topic = id.startsWith('ConsistencyProbeStale') ? /^MonitoringPageTopic/ : /^MonitoringTicketTopic/;
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(topic) }]);
    }
  });

  test("the probe decrypts the origin-verify secret with the primary's data key there, the replica key elsewhere", () => {
    const decryptKeys = (region: string) => {
      const template = templateOf(prod, region);
      const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) =>
        id.startsWith('ConsistencyProbeTaskTaskDefinitionTaskRole'),
      );
      return JSON.stringify(
        policies
          .flatMap(([, p]) => (p as Resource).Properties.PolicyDocument.Statement)
          .filter((s: any) => s.Action === 'kms:Decrypt'),
      );
    };
    expect(decryptKeys('us-east-1')).toMatch(/blueprint-Data-us-east-1/);
    expect(decryptKeys('us-east-1')).not.toMatch(/blueprint-Keys-/);
    expect(decryptKeys('eu-west-1')).toMatch(/blueprint-Keys-eu-west-1/);
    expect(decryptKeys('eu-west-1')).not.toMatch(/blueprint-Data-/);
  });

  test('the global dashboard shows the writer × reader matrix, each pair from its writer region', () => {
    const template = templateOf(prod, prod.config.primaryRegion);
    const [dashboard] = Object.values(
      template.findResources('AWS::CloudWatch::Dashboard', {
        Properties: { DashboardName: 'blueprint-global' },
      }),
    );
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const writer of PROD_REGIONS) {
      expect(body).toContain(`${writer} writes: stale reads (5 min)`);
      for (const reader of PROD_REGIONS) expect(body).toContain(`${writer} → ${reader}`);
    }
  });

  test('dev gets the probe too: its one region, read-your-write only', () => {
    const [region] = [...dev.service.keys()];
    const template = templateOf(dev, region!);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    // Each run bills a minute of Fargate, so dev runs it every 10 minutes.
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(10 minutes)' });
    expect(JSON.parse(probeEnv(template).PROBE_TARGETS)).toEqual([
      { region, url: 'https://origin.example.com', connectHost: `${region}.origin.example.com` },
    ]);
    expect(
      Object.keys(template.findResources('AWS::CloudWatch::Alarm')).filter((id) => id.startsWith('ConsistencyProbe')),
    ).toHaveLength(2);
  });
});

describe('probe config', () => {
  test('defaults: on, every minute, a 5 s bound, 30 s of waiting, paging after 3 stale minutes, a ticket after 5', () => {
    expect(configWith().probe).toEqual({
      enabled: true,
      intervalMinutes: 1,
      staleAfterSeconds: 5,
      maxWaitSeconds: 30,
      staleAlarmMinutes: 3,
      errorAlarmMinutes: 5,
    });
  });

  test('a wait shorter than the bound stops synth naming the key', () => {
    expect(() => configWith({ 'probe.maxWaitSeconds': '3' })).toThrow(
      /^probe\.maxWaitSeconds = 3 ends before the staleness bound \(allowed: at least probe\.staleAfterSeconds = 5\)$/,
    );
  });

  test('a bound beyond a minute is refused', () => {
    expect(() => configWith({ 'probe.staleAfterSeconds': '61' })).toThrow(/^probe\.staleAfterSeconds = 61 /);
  });
});
