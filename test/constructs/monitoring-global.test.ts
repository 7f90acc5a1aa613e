import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GlobalDashboard, GlobalDashboardProps } from '../../lib/constructs/monitoring';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-2'];
const BASE: GlobalDashboardProps = { appName: 'app', regions: REGIONS, primaryRegion: 'us-east-1', shards: 2 };

/** The dashboard body as CloudWatch receives it; every name in it is derived from config. */
function dashboardBody(template: Template): { widgets: { type: string; properties: Record<string, any> }[] } {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard.Properties.DashboardBody;
  // The only token is the widgets' own region, the stack's.
  const parts = typeof body === 'string' ? [body] : body['Fn::Join'][1];
  return JSON.parse(parts.map((part: unknown) => (typeof part === 'string' ? part : 'us-east-1')).join(''));
}

describe('GlobalDashboard of three regions', () => {
  let app: App;
  let template: Template;
  let widgets: ReturnType<typeof dashboardBody>['widgets'];
  const graph = (title: string) => widgets.find((w) => w.properties.title === title)!.properties;
  /** The region of every visible line of a graph. */
  const regionsOf = (title: string) =>
    graph(title)
      .metrics.map((row: any[]) => row[row.length - 1])
      .filter((options: any) => options.visible !== false)
      // A line in the widget's own region (the stack's) carries no region of its own.
      .map((options: any) => options.region ?? graph(title).region);
  beforeAll(() => {
    app = new App();
    const stack = new Stack(app, 'Service', { env: { region: 'us-east-1' } });
    new GlobalDashboard(stack, 'Global', BASE);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    template = Template.fromStack(stack);
    widgets = dashboardBody(template).widgets;
  });

  test('is named after the app', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'app-global' });
  });

  test.each(['Requests per minute', '5xx rate (%)', 'p99 latency, slowest route (ms)', 'Healthy api targets'])(
    '%s has one line per region, each in its region',
    (title) => {
      expect(regionsOf(title)).toEqual(REGIONS);
    },
  );

  test('request rate and 5xx rate come from the service EMF metrics by status class', () => {
    const rows = JSON.stringify(graph('5xx rate (%)').metrics);
    for (const region of REGIONS) {
      expect(rows).toContain(`"app/Service","Requests","Service","api","StatusClass","5xx"`);
      expect(rows).toContain(`r5xx_${region.replace(/-/g, '_')}`);
    }
  });

  test('p99 latency searches the per-route RequestLatency and healthy hosts search the load balancer metrics', () => {
    expect(JSON.stringify(graph('p99 latency, slowest route (ms)').metrics)).toContain(
      `MAX(SEARCH('{app/Service,Route,Service} MetricName=\\"RequestLatency\\" Service=\\"api\\"', 'p99', 60))`,
    );
    expect(JSON.stringify(graph('Healthy api targets').metrics)).toContain(
      '{AWS/ApplicationELB,LoadBalancer,TargetGroup}',
    );
  });

  test('global replication lag is graphed for every shard of the secondary regions, by derived cluster id', () => {
    const rows = graph('Global replication lag (ms)').metrics;
    expect(rows.map((row: any[]) => [row[3], row[4].region])).toEqual([
      ['app-shard-0', 'eu-west-1'],
      ['app-shard-1', 'eu-west-1'],
      ['app-shard-0', 'ap-northeast-2'],
      ['app-shard-1', 'ap-northeast-2'],
    ]);
    expect(rows.every((row: any[]) => row[1] === 'AuroraGlobalDBReplicationLag')).toBe(true);
  });

  test('dead-letter queues of every region are addressed by their derived names', () => {
    const rows = graph('Dead-letter queues').metrics;
    expect(rows.map((row: any[]) => [row[3], row[4].region])).toEqual(
      REGIONS.flatMap((region) => [
        ['app-work-dlq', region],
        [`app-invalidation-${region}-dlq`, region],
      ]),
    );
  });

  test('business metrics are summed over every region', () => {
    for (const [title, metricName] of [
      ['Requests', 'Requests'],
      ['Items written', 'ItemsWritten'],
      ['Jobs processed', 'JobsProcessed'],
      ['Daily active users (sum of regions)', 'DailyActiveUsers'],
    ]) {
      const rows: any[][] = graph(title).metrics;
      const visible = rows.filter((row) => row[row.length - 1].visible !== false);
      expect(visible).toHaveLength(1);
      expect(visible[0][0].expression).toMatch(/^FILL\(r0, 0\) \+ FILL\(r1, 0\) \+ FILL\(r2, 0\)$/);
      const sources = rows.filter((row) => row[1] === metricName).map((row) => row[row.length - 1].region);
      expect([...new Set(sources)]).toEqual(REGIONS);
    }
    expect(regionsOf('Cache hit ratio (%)')).toEqual(REGIONS);
  });

  test('synthesizes with no cdk-nag or template-lint finding', () => {
    expect(() => app.synth()).not.toThrow();
  });
});

describe('GlobalDashboard validation', () => {
  const stack = new Stack(new App(), 'Service', { env: { region: 'us-east-1' } });
  let n = 0;
  test.each<[string, Partial<GlobalDashboardProps>, RegExp]>([
    ['no region', { regions: [] }, /^Service\/Global\d+: regions = \[\] is empty \(allowed: at least one region\)$/],
    [
      'a region twice',
      { regions: ['us-east-1', 'us-east-1'] },
      /^Service\/Global\d+: regions\[1\] = "us-east-1" is listed twice/,
    ],
    [
      'a primary outside the regions',
      { primaryRegion: 'eu-central-1' },
      /^Service\/Global\d+: primaryRegion = "eu-central-1" is not in regions/,
    ],
    [
      'zero shards',
      { shards: 0 },
      /^Service\/Global\d+: shards = 0 is not allowed \(allowed: an integer of at least 1\)$/,
    ],
  ])('rejects %s', (_, props, message) => {
    expect(() => new GlobalDashboard(stack, `Global${n++}`, { ...BASE, ...props })).toThrow(message);
  });
});
