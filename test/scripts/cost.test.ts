import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackTemplate } from '../../scripts/common/assembly';
import { failureLine } from '../../scripts/common/cli';
import { replaceSection, sectionOf } from '../../scripts/common/generated';
import { COST_DOC, README, estimateEach, parseArgs, templatesOf } from '../../scripts/cost';
import { ASSUMPTIONS, assumptionsFor } from '../../scripts/cost/assumptions';
import { Estimate, LineItem, StackTemplate, estimate, linesFor } from '../../scripts/cost/model';
import { METRIC_SERIES_FILE, MetricSeries } from '../../scripts/cost/metric-series';
import { nearestPricedRegion } from '../../scripts/cost/nearest-region';
import { MissingPricesError, PRICES_FILE, PriceTable, missingPrices } from '../../scripts/cost/prices';
import { REGION_NAMES } from '../../lib/config/regions';
import {
  REPORT_MARKERS,
  SUMMARY_MARKERS,
  normalizeMarkdown,
  renderReport,
  renderSummary,
} from '../../scripts/cost/report';
import { buildApp } from '../helpers';

const prices = PriceTable.load();
const metricSeries = MetricSeries.load();
/** Tests of the sample service's counted series; a fork that removed service/ has none to count. */
const withSampleSeries = existsSync(METRIC_SERIES_FILE) ? test : test.skip;
const HOURS = prices.hoursPerMonth;

/** Builds the app for `overrides` as the tests do and prices its synthesized templates. */
function estimateOf(overrides: Record<string, unknown>): Estimate & { configRegions: readonly string[] } {
  const { app, config } = buildApp(overrides, { checks: false });
  const result = estimate(
    config.profile,
    templatesOf(app.synth(), config.regions),
    assumptionsFor(config.profile),
    prices,
    metricSeries,
  );
  return { ...result, configRegions: config.regions };
}

function line(result: Estimate, item: string): LineItem {
  const found = result.lines.find((l) => l.item === item);
  if (!found) throw new Error(`no line "${item}" in ${result.profile}: ${result.lines.map((l) => l.item).join(', ')}`);
  return found;
}

const monthlyOf = (result: Estimate, prefix: string) => linesFor(result, prefix).reduce((a, l) => a + l.monthly, 0);

let prod: ReturnType<typeof estimateOf>;
let dev: ReturnType<typeof estimateOf>;
let prodMoreTasks: ReturnType<typeof estimateOf>;
let devTwoNats: ReturnType<typeof estimateOf>;
let devNatGateway: ReturnType<typeof estimateOf>;
let devTwoShards: ReturnType<typeof estimateOf>;

beforeAll(() => {
  prod = estimateOf({});
  dev = estimateOf({ profile: 'dev' });
  prodMoreTasks = estimateOf({ 'compute.api.minTasks': '4' });
  devTwoNats = estimateOf({ profile: 'dev', 'network.natGateways': '2' });
  devNatGateway = estimateOf({ profile: 'dev', 'network.nat': 'gateway' });
  devTwoShards = estimateOf({ profile: 'dev', 'database.shards': '2' });
});

describe('the default profiles', () => {
  test('prod prices its three regions and the global services, with a floor below its ceiling', () => {
    // THEN
    expect(prod.regions).toEqual(expect.arrayContaining(['us-east-1', 'eu-west-1', 'ap-northeast-2']));
    expect(Object.keys(prod.byRegion)).toEqual(expect.arrayContaining([...prod.configRegions, 'global']));
    expect(prod.total).toBeGreaterThan(0);
    expect(prod.maxTotal).toBeGreaterThan(prod.total);
    expect(prod.total).toBeCloseTo(
      prod.lines.reduce((a, l) => a + l.monthly, 0),
      6,
    );
  });

  test('prod has a NAT gateway per AZ and two public IPv4 addresses per AZ in every region', () => {
    const perRegion = Object.fromEntries(prod.configRegions.map((region) => [region, 3]));
    expect(line(prod, 'NAT gateways').quantityByRegion).toEqual(perRegion);
    expect(line(prod, 'Public IPv4 addresses').quantityByRegion).toEqual(
      Object.fromEntries(prod.configRegions.map((region) => [region, 6])),
    );
  });

  test('prod bills each interface endpoint in each of the three AZs of every region', () => {
    const endpoints = 5; // the schema's default network.interfaceEndpoints: ecr, ecr-docker, logs, sqs, sns
    expect(line(prod, 'Interface endpoints (per AZ)').quantityByRegion).toEqual(
      Object.fromEntries(prod.configRegions.map((region) => [region, endpoints * 3])),
    );
  });

  test('prod runs two Aurora instances per shard in every region at the 0.5-ACU floor, and up to 5 readers in the primary', () => {
    const aurora = line(prod, 'Aurora Serverless v2 capacity');
    const instances = 2 /* shards */ * 2 /* writer + reader */ * 3; /* regions */
    expect(aurora.quantity).toBe(instances * 0.5);
    // THEN the ceiling: every instance at 16 ACUs, and the primary's readers scaled from 1 to 5 per shard
    expect(aurora.maxQuantity).toBe((instances + 2 * 4) * 16);
  });

  test("prod pays for the queries of its 10 s latency CNAME; dev's alias record answers for free", () => {
    // resolvers x seconds per month / TTL, shared by the three regions' records of the one name
    const queries = (ASSUMPTIONS.prod.originDnsResolvers * HOURS * 3600) / 10;
    expect(line(prod, 'Route 53 latency queries (origin CNAME)').quantity).toBeCloseTo(queries / 1e6, 6);
    expect(dev.lines.map((l) => l.item)).not.toContain('Route 53 latency queries (origin CNAME)');
  });

  test('prod caches on two Valkey cache.m7g.large nodes per region at the Valkey price', () => {
    const cache = line(prod, 'ElastiCache Valkey cache.m7g.large nodes');
    expect(cache.quantity).toBe(6);
    expect(cache.unitPrices[0]).toBeCloseTo(
      prices.price('elasticache.node.cache.m7g.large.hour', 'us-east-1') * 0.8,
      9,
    );
  });

  test('prod runs api and worker tasks at their minimum counts on arm64', () => {
    // 2 api tasks of 0.5 vCPU and 2 worker tasks of 0.25 vCPU per region
    expect(line(prod, 'Fargate arm64 vCPU').quantity).toBeCloseTo(3 * (2 * 0.5 + 2 * 0.25), 9);
    expect(line(prod, 'Fargate arm64 vCPU').maxQuantity).toBeCloseTo(3 * (20 * 0.5 + 10 * 0.25), 9);
  });

  test('prod prices the edge once: a web ACL with its rules, CloudFront traffic and the hosted zone', () => {
    expect(line(prod, 'WAF web ACLs').quantity).toBe(1);
    expect(line(prod, 'WAF requests inspected').quantity).toBe(ASSUMPTIONS.prod.requestsPerMonth / 1e6);
    expect(line(prod, 'CloudFront data transfer out').quantity).toBe(ASSUMPTIONS.prod.cloudFrontEgressGb);
    expect(line(prod, 'Route 53 hosted zones').quantity).toBe(1);
  });

  test('dev prices one region with one NAT instance, no interface endpoints and the smallest sizes', () => {
    expect(Object.keys(dev.byRegion)).toEqual(['us-east-1', 'global']);
    expect(linesFor(dev, 'NAT gateway')).toEqual([]);
    expect(line(dev, 'EC2 t4g.nano instances').quantity).toBe(1);
    expect(linesFor(dev, 'Interface endpoints')).toEqual([]);
    expect(line(dev, 'Aurora Serverless v2 capacity').quantity).toBe(0.5);
    expect(line(dev, 'ElastiCache Valkey cache.t4g.micro nodes').quantity).toBe(1);
    expect(line(dev, 'CloudWatch dashboards').quantity).toBe(1);
    expect(dev.total).toBeGreaterThan(0);
    expect(dev.total).toBeLessThan(prod.total);
  });

  test('dev: the NAT instance bills its hours, an 8 GB gp3 root volume and its public IPv4 address, next to the ALB in two AZs', () => {
    const hours = HOURS;
    expect(line(dev, 'EC2 t4g.nano instances').monthly).toBeCloseTo(
      prices.price('ec2.instance.t4g.nano.hour', 'us-east-1') * hours,
      9,
    );
    expect(line(dev, 'EBS gp3 volumes').quantity).toBe(8);
    expect(line(dev, 'EBS gp3 volumes').monthly).toBeCloseTo(8 * prices.price('ebs.gp3.gbMonth', 'us-east-1'), 9);
    // the ALB's two AZs, and the NAT instance's address in its public subnet
    expect(line(dev, 'Public IPv4 addresses').quantity).toBe(3);
  });

  withSampleSeries.each([
    ['prod', 2, true],
    ['dev', 1, false],
  ] as const)(
    '%s prices the EMF metrics that service/metric-series.json counts for its api and worker (%i shards, several regions: %s)',
    (profile, shards, multiRegion) => {
      const result = profile === 'prod' ? prod : dev;
      const counts = ['api', 'worker'].map((service) => metricSeries.count(service, { shards, multiRegion })!);
      const perRegion = (pick: (c: (typeof counts)[number]) => number) =>
        Object.fromEntries(result.configRegions.map((region) => [region, counts.reduce((a, c) => a + pick(c), 0)]));
      expect(line(result, 'Custom metrics (service EMF)').quantityByRegion).toEqual(perRegion((c) => c.healthy));
      const failing = line(result, 'Custom metrics (service EMF, hours with failures)').quantityByRegion;
      const share = ASSUMPTIONS[profile].failureHoursPerMonth / HOURS;
      for (const [region, quantity] of Object.entries(perRegion((c) => c.onlyWhileFailing))) {
        expect(failing[region]).toBeCloseTo(quantity * share, 9);
      }
      expect(linesFor(result, 'Custom metrics (EMF, other services)')).toEqual([]);
    },
  );

  test.each(['prod', 'dev'])('every resource type of %s is priced or free for a stated reason', (profile) => {
    const result = profile === 'prod' ? prod : dev;
    // A type listed here is missing from the totals: add a meter or a FREE_TYPES reason in scripts/cost/meters/.
    expect(result.unbilled.filter((type) => type.reason === undefined).map((type) => type.type)).toEqual([]);
  });

  test('the estimate lists the prices no published page confirmed', () => {
    expect(prod.unverified.map((u) => u.key)).toEqual(
      expect.arrayContaining(['elasticache.node.cache.m7g.large.hour', 'elasticache.valkeyDiscount']),
    );
    expect(prod.unverified.find((u) => u.key === 'natGateway.hour')?.regions).toEqual(
      expect.arrayContaining(['eu-west-1', 'ap-northeast-2']),
    );
  });
});

describe('a changed config moves the estimate', () => {
  test('two more api tasks add two task-prices per region, and leave the ceiling alone', () => {
    // GIVEN compute.api is 0.5 vCPU / 1 GB on arm64 (the fixture's profiles.prod)
    const taskPrice = (region: string) =>
      (0.5 * prices.price('fargate.arm64.vcpuHour', region) + 1 * prices.price('fargate.arm64.gbHour', region)) * HOURS;
    const expected = prod.configRegions.reduce((a, region) => a + 2 * taskPrice(region), 0);

    // THEN
    const fargateDelta = monthlyOf(prodMoreTasks, 'Fargate') - monthlyOf(prod, 'Fargate');
    expect(fargateDelta).toBeCloseTo(expected, 6);
    const insightsDelta = monthlyOf(prodMoreTasks, 'Container Insights') - monthlyOf(prod, 'Container Insights');
    const { perTask } = ASSUMPTIONS.prod.containerInsightsMetrics;
    expect(insightsDelta).toBeCloseTo(
      2 * 3 * perTask * prices.price('cloudwatch.containerInsightsEnhancedMetricMonth', 'us-east-1'),
      6,
    );
    expect(prodMoreTasks.total - prod.total).toBeCloseTo(fargateDelta + insightsDelta, 6);
    expect(prodMoreTasks.maxTotal).toBeCloseTo(prod.maxTotal, 6);
  });

  withSampleSeries(
    'a second shard adds its per-shard EMF metrics (DbQueries by shard) for the api and the worker',
    () => {
      const healthy = (shards: number) =>
        ['api', 'worker'].reduce(
          (a, service) => a + metricSeries.count(service, { shards, multiRegion: false })!.healthy,
          0,
        );
      expect(healthy(2)).toBeGreaterThan(healthy(1));
      expect(line(devTwoShards, 'Custom metrics (service EMF)').quantity).toBe(healthy(2));
    },
  );

  test('a second NAT instance adds its hours, its root volume and its public IPv4 address', () => {
    const expected =
      (prices.price('ec2.instance.t4g.nano.hour', 'us-east-1') + prices.price('publicIpv4.hour', 'us-east-1')) * HOURS +
      8 * prices.price('ebs.gp3.gbMonth', 'us-east-1');
    expect(line(devTwoNats, 'EC2 t4g.nano instances').quantity).toBe(2);
    expect(devTwoNats.total - dev.total).toBeCloseTo(expected, 6);
  });

  test('-c network.nat=gateway puts the dev NAT gateway back: its hours, data and Elastic IP instead of the instance', () => {
    // GIVEN the dev preset with a managed NAT gateway instead of the NAT instance
    const natGateway = prices.price('natGateway.hour', 'us-east-1') * HOURS;
    const natData = line(devNatGateway, 'NAT gateway data processed').monthly;
    const instance =
      prices.price('ec2.instance.t4g.nano.hour', 'us-east-1') * HOURS +
      8 * prices.price('ebs.gp3.gbMonth', 'us-east-1');
    // THEN
    expect(line(devNatGateway, 'NAT gateways').quantity).toBe(1);
    expect(natData).toBeCloseTo(ASSUMPTIONS.dev.natGbPerRegion * prices.price('natGateway.gb', 'us-east-1'), 9);
    expect(linesFor(devNatGateway, 'EC2 ')).toEqual([]);
    expect(linesFor(devNatGateway, 'EBS ')).toEqual([]);
    // the gateway's Elastic IP replaces the instance's auto-assigned address: the same count
    expect(line(devNatGateway, 'Public IPv4 addresses').quantity).toBe(line(dev, 'Public IPv4 addresses').quantity);
    expect(devNatGateway.total - dev.total).toBeCloseTo(natGateway + natData - instance, 6);
  });
});

describe('prices and profiles the table lacks', () => {
  const testEntry = {
    unit: 'unit',
    url: 'https://aws.amazon.com/pricing/',
    read: '2026-11-25',
    verified: false,
    note: 'test',
  };
  const stack = (region: string, resources: StackTemplate['resources']): StackTemplate => ({
    ...stackTemplate('Test', region, {}),
    resources,
  });

  test.each([
    ['eu-central-1', 'eu-west-1'],
    ['sa-east-1', 'us-east-1'],
    ['ap-southeast-1', 'ap-northeast-2'],
  ])(
    'a region without its own prices (%s) is priced as the nearest priced region (%s) and flagged as estimated',
    (region, from) => {
      // GIVEN a NAT gateway in a region the table does not list
      const templates = [stack(region, { Nat: { Type: 'AWS::EC2::NatGateway', Properties: {} } })];
      // WHEN
      const result = estimate('prod', templates, ASSUMPTIONS.prod, prices, metricSeries);
      // THEN the price is the other region's, and the estimate says which prices stand in
      expect(line(result, 'NAT gateways').unitPrices).toEqual([prices.price('natGateway.hour', from)]);
      expect(result.estimated).toEqual([{ region, from, keys: ['natGateway.gb', 'natGateway.hour'] }]);
      const report = renderReport([result]);
      expect(report).toContain(`${region} US$`);
      expect(report).toContain(`(estimated from ${from})`);
      expect(report).toContain(`- ${region}, from ${from}: \`natGateway.gb\`, \`natGateway.hour\``);
    },
  );

  test('every region of lib/config/regions.ts gets every regional price, its own or estimated', () => {
    const keys = Object.keys(JSON.parse(readFileSync(PRICES_FILE, 'utf-8')).prices);
    const unpriced = REGION_NAMES.flatMap((region) =>
      keys.filter((key) => prices.lookup(key, region) === undefined).map((key) => `${key} in ${region}`),
    );
    expect(unpriced).toEqual([]);
  });

  test('items priced in different regions are estimated each from its own nearest region, and the report names both', () => {
    // GIVEN ap-south-1: NAT prices are in Asia Pacific (ap-northeast-2), the t4g.nano only where the table has it
    const table = new PriceTable({
      currency: 'USD',
      hoursPerMonth: HOURS,
      prices: {
        'natGateway.hour': { ...testEntry, byRegion: { 'ap-northeast-2': 0.059 } },
        'natGateway.gb': { ...testEntry, byRegion: { 'ap-northeast-2': 0.059 } },
        'ec2.instance.t4g.nano.hour': { ...testEntry, byRegion: { 'us-east-1': 0.0042 } },
        'ebs.gp3.gbMonth': { ...testEntry, global: 0.08 },
      },
    });
    const templates = [
      stack('ap-south-1', {
        Nat: { Type: 'AWS::EC2::NatGateway', Properties: {} },
        Box: { Type: 'AWS::EC2::Instance', Properties: { InstanceType: 't4g.nano' } },
      }),
    ];
    // WHEN
    const result = estimate('prod', templates, ASSUMPTIONS.prod, table, metricSeries);
    // THEN
    expect(result.estimated).toEqual([
      { region: 'ap-south-1', from: 'ap-northeast-2', keys: ['natGateway.gb', 'natGateway.hour'] },
      { region: 'ap-south-1', from: 'us-east-1', keys: ['ec2.instance.t4g.nano.hour'] },
    ]);
    expect(renderReport([result])).toContain('(estimated from ap-northeast-2 and us-east-1)');
  });

  test('a region with no priced region in its geography falls back to us-east-1, and without it has no price', () => {
    expect(nearestPricedRegion('ap-south-1', ['eu-west-1', 'us-east-1'])).toBe('us-east-1');
    expect(nearestPricedRegion('eu-south-2', ['us-east-1', 'eu-central-1', 'eu-west-2'])).toBe('eu-west-2');
    expect(nearestPricedRegion('ap-south-1', ['eu-west-1'])).toBeUndefined();
  });

  test('a region without a nearby priced region is a missing price, not a silent zero', () => {
    const table = new PriceTable({
      currency: 'USD',
      hoursPerMonth: HOURS,
      prices: { 'natGateway.hour': { ...testEntry, byRegion: { 'eu-west-1': 0.048 } } },
    });
    expect(table.lookup('natGateway.hour', 'ap-south-1')).toBeUndefined();
    expect(() => table.price('natGateway.hour', 'ap-south-1')).toThrow(
      /has no price for 1 item: natGateway\.hour \(in ap-south-1; priced: natGateway\.hour\)/,
    );
  });

  test('every profile is estimated before failing: one error lists the prices all of them lack', () => {
    const table = new PriceTable({
      currency: 'USD',
      hoursPerMonth: HOURS,
      prices: { 'natGateway.hour': { ...testEntry, byRegion: { 'eu-west-1': 0.048 } } },
    });
    const priced = { profile: 'staging' } as unknown as Estimate;
    const lacking = (region: string) => () => {
      throw new MissingPricesError([{ key: 'natGateway.hour', region }], table);
    };
    const estimateOf: Record<string, () => Estimate> = {
      prod: lacking('ap-south-1'),
      staging: () => priced,
      dev: lacking('sa-east-1'),
    };
    expect(estimateEach(['staging'], table, (profile) => estimateOf[profile]())).toEqual([priced]);
    expect(() => estimateEach(['prod', 'staging', 'dev'], table, (profile) => estimateOf[profile]())).toThrow(
      /has no price for 1 item: natGateway\.hour \(in ap-south-1, sa-east-1; priced: natGateway\.hour\)/,
    );
    // Any other failure is not a missing price: it stops at once.
    const broken = new Error('no such stack');
    expect(() =>
      estimateEach(['prod', 'staging'], table, (profile) => {
        if (profile === 'prod') throw broken;
        return priced;
      }),
    ).toThrow(broken);
  });

  test('every price the table lacks is listed in one error, with what is priced near each', () => {
    // GIVEN a cache node type and an instance type the table does not price
    const templates = [
      stack('us-east-1', {
        Cache: {
          Type: 'AWS::ElastiCache::ReplicationGroup',
          Properties: { CacheNodeType: 'cache.x9.huge', Engine: 'valkey', NumCacheClusters: 2 },
        },
        Box: { Type: 'AWS::EC2::Instance', Properties: { InstanceType: 'm9.huge' } },
      }),
      stack('eu-west-1', { Box: { Type: 'AWS::EC2::Instance', Properties: { InstanceType: 'm9.huge' } } }),
    ];
    // THEN one line names both, with the regions and the keys of their family the table has
    let message = '';
    try {
      estimate('prod', templates, ASSUMPTIONS.prod, prices, metricSeries);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^prices\/aws-prices\.json has no price for 2 items: /);
    expect(message).toContain(
      'ec2.instance.m9.huge.hour (m9.huge; in us-east-1, eu-west-1; priced: ec2.instance.t4g.nano.hour)',
    );
    expect(message).toMatch(
      /elasticache\.node\.cache\.x9\.huge\.hour \(cache\.x9\.huge; in us-east-1; priced: .*cache\.m7g\.large/,
    );
    expect(message).toMatch(/: add each entry with its source and date .*npm run prices:update`$/);
    expect(message).not.toContain('\n');
  });

  test('an EC2 instance bills its hours, each EBS volume by type and size, and a public address only if it gets one', () => {
    // GIVEN one instance in a subnet that maps public addresses, one that declines one, with a 20 GB volume
    const templates = [
      stack('us-east-1', {
        Public: { Type: 'AWS::EC2::Subnet', Properties: { MapPublicIpOnLaunch: true } },
        Nat: { Type: 'AWS::EC2::Instance', Properties: { InstanceType: 't4g.nano', SubnetId: { Ref: 'Public' } } },
        Quiet: {
          Type: 'AWS::EC2::Instance',
          Properties: {
            InstanceType: 't4g.nano',
            NetworkInterfaces: [{ DeviceIndex: '0', AssociatePublicIpAddress: false, SubnetId: { Ref: 'Public' } }],
            BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20, VolumeType: 'gp3' } }],
          },
        },
      }),
    ];
    // THEN
    const result = estimate('dev', templates, ASSUMPTIONS.dev, prices, metricSeries);
    expect(line(result, 'EC2 t4g.nano instances').quantity).toBe(2);
    expect(line(result, 'EBS gp3 volumes').quantity).toBe(8 + 20);
    expect(line(result, 'Public IPv4 addresses').quantity).toBe(1);
    expect(result.unbilled).toEqual([expect.objectContaining({ type: 'AWS::EC2::Subnet', reason: 'configuration' })]);
  });

  test('a profile without traffic assumptions is an error naming those that have them', () => {
    expect(() => assumptionsFor('staging')).toThrow(
      /profile = "staging" has no cost assumptions \(allowed: .*\(prod, dev\), or one that extends it: add a block/,
    );
  });

  test('a profile without traffic assumptions uses those of the profile it extends', () => {
    const profiles = { staging: { extends: 'qa' }, qa: { extends: 'dev' }, loop: { extends: 'loop' } };
    expect(assumptionsFor('staging', profiles)).toEqual({ ...ASSUMPTIONS.dev, from: 'dev' });
    expect(assumptionsFor('dev', profiles)).toBe(ASSUMPTIONS.dev);
    expect(() => assumptionsFor('loop', profiles)).toThrow(/profile = "loop" has no cost assumptions/);
  });

  test('an ECS service that is not the sample service gets the flat EMF assumption', () => {
    const templates = [
      stack('us-east-1', {
        Task: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: {
            ContainerDefinitions: [{ Name: 'app', Environment: [{ Name: 'SERVICE_NAME', Value: 'billing' }] }],
          },
        },
        Service: { Type: 'AWS::ECS::Service', Properties: { TaskDefinition: { Ref: 'Task' } } },
      }),
    ];
    const result = estimate('prod', templates, ASSUMPTIONS.prod, prices, metricSeries);
    expect(line(result, 'Custom metrics (EMF, other services)').quantity).toBe(
      ASSUMPTIONS.prod.emfSeriesPerOtherService,
    );
    expect(linesFor(result, 'Custom metrics (service EMF')).toEqual([]);
  });

  test('without service/metric-series.json (service/ removed) every ECS service gets the flat EMF assumption, and the report says so', () => {
    // GIVEN no series file, and the sample's api service
    const noSeries = MetricSeries.load(join(mkdtempSync(join(tmpdir(), 'series-')), 'metric-series.json'));
    const templates = [
      stack('us-east-1', {
        Task: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: {
            ContainerDefinitions: [{ Name: 'api', Environment: [{ Name: 'SERVICE_NAME', Value: 'api' }] }],
          },
        },
        Service: { Type: 'AWS::ECS::Service', Properties: { TaskDefinition: { Ref: 'Task' } } },
      }),
    ];
    // WHEN
    const result = estimate('prod', templates, ASSUMPTIONS.prod, prices, noSeries);
    // THEN
    expect(line(result, 'Custom metrics (EMF, other services)').quantity).toBe(
      ASSUMPTIONS.prod.emfSeriesPerOtherService,
    );
    expect(result.notes).toEqual([
      expect.stringMatching(/^service\/metric-series\.json is missing .*emfSeriesPerOtherService/),
    ]);
    expect(renderReport([result])).toContain(`**Note:** ${result.notes[0]}.`);
    // and the note is only for apps that run ECS services
    expect(estimate('prod', [stack('us-east-1', {})], ASSUMPTIONS.prod, prices, noSeries).notes).toEqual([]);
  });

  test('a foundation stack of a key and service-linked roles prices the key and bills the roles nothing', () => {
    const templates = [
      stack('eu-central-1', {
        Key: { Type: 'AWS::KMS::Key', Properties: {} },
        EcsRole: { Type: 'AWS::IAM::ServiceLinkedRole', Properties: { AWSServiceName: 'ecs.amazonaws.com' } },
      }),
    ];
    const result = estimate('prod', templates, ASSUMPTIONS.prod, prices, metricSeries);
    expect(line(result, 'KMS keys').monthly).toBe(prices.price('kms.keyMonth', 'eu-central-1'));
    expect(result.unbilled).toEqual([{ type: 'AWS::IAM::ServiceLinkedRole', count: 1, reason: 'IAM is free' }]);
  });

  test('a resource type the model does not know is reported, not priced at zero silently', () => {
    const templates = [stack('us-east-1', { Thing: { Type: 'AWS::Example::Widget', Properties: {} } })];
    expect(estimate('prod', templates, ASSUMPTIONS.prod, prices, metricSeries).unbilled).toEqual([
      { type: 'AWS::Example::Widget', count: 1, reason: undefined },
    ]);
  });
});

describe('npm run cost', () => {
  test('reads -c key=value overrides and --write as the CDK CLI does', () => {
    expect(parseArgs(['-c', 'profile=dev', '--context=compute.api.minTasks=4', '--write'])).toEqual({
      overrides: { profile: 'dev', 'compute.api.minTasks': '4' },
      write: true,
    });
    expect(() => parseArgs(['--profile', 'dev'])).toThrow(/^unknown option --profile \(usage: npm run cost -- /);
  });

  test('an expected failure is one line that says what to do; a bug keeps its stack trace', () => {
    let parseError: unknown;
    try {
      parseArgs(['--profile', 'dev']);
    } catch (error) {
      parseError = error;
    }
    expect(failureLine('cost', parseError)).toMatch(/^cost: unknown option --profile \(usage: [^\n]*\)$/);
    expect(failureLine('cost', missingPrices([{ key: 'x.hour', region: 'us-east-1' }], prices))).toMatch(
      /^cost: prices\/aws-prices\.json has no price for 1 item: x\.hour \(in us-east-1\): add each entry/,
    );
    let noMarkers: unknown;
    try {
      replaceSection('# Cost\n', SUMMARY_MARKERS, 'table', 'README.md');
    } catch (error) {
      noMarkers = error;
    }
    expect(failureLine('cost', noMarkers)).toBe(
      'cost: README.md has no <!-- cost-summary:start --> line followed by a <!-- cost-summary:end --> line: add the two lines where the generated text goes, then run again',
    );
    expect(failureLine('cost', new TypeError('x is undefined'))).toBeUndefined();
  });

  test.each([
    ['missing', undefined, /^prices\/aws-prices\.json is missing: restore it from git/],
    ['not JSON', '{ "prices": ', /^prices\/aws-prices\.json is not JSON \(SyntaxError: .*\): restore it from git/],
  ])('a %s price table is a one-line error that says what to do', (_case, contents, message) => {
    const file = join(mkdtempSync(join(tmpdir(), 'prices-')), 'aws-prices.json');
    if (contents !== undefined) writeFileSync(file, contents);
    expect(() => PriceTable.load(file)).toThrow(message);
  });
});

describe('the sample service metric series', () => {
  const series = new MetricSeries({
    routes: ['/a'],
    services: {
      api: {
        healthy: ['Requests StatusClass=2xx', 'DbQueries Shard=<shard>'],
        crossRegion: ['InvalidationsApplied'],
        possible: { perService: 5, perShard: 1 },
      },
      broken: { healthy: ['A', 'B'], crossRegion: [], possible: { perService: 1, perShard: 0 } },
    },
  });

  test('a shard series counts once per shard; cross-region series only with several regions', () => {
    expect(series.count('api', { shards: 3, multiRegion: false })).toEqual({ healthy: 4, onlyWhileFailing: 3 });
    expect(series.count('api', { shards: 3, multiRegion: true })).toEqual({ healthy: 5, onlyWhileFailing: 3 });
    expect(series.count('billing', { shards: 1, multiRegion: false })).toBeUndefined();
  });

  test('a malformed file is a one-line error naming the file and the key', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'series-')), 'metric-series.json');
    writeFileSync(file, JSON.stringify({ routes: [], services: { api: { healthy: 'all', crossRegion: [] } } }));
    expect(() => MetricSeries.load(file)).toThrow(
      /^service\/metric-series\.json › services\.api\.healthy = "all" is invalid \(allowed: .*expected array/,
    );
  });

  test('fewer possible than healthy series is an error naming the file and key', () => {
    expect(() => series.count('broken', { shards: 1, multiRegion: false })).toThrow(
      /service\/metric-series\.json › services\.broken\.possible = 1 is fewer series than a healthy run emits \(allowed: at least the 2 healthy series\)/,
    );
  });
});
