import { createReadStream, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonMemberScanner } from '../../scripts/cost/json-members';
import { directorySource, httpSource, matches, readOffer } from '../../scripts/cost/price-list';
import { priceTableSchema } from '../../scripts/cost/prices';
import { RawTable, regionsInUse, updatePrices } from '../../scripts/cost/update-prices';
import { cdkContext } from '../../scripts/common/assembly';
import { loadConfig } from '../../lib/config';

/** A copy of the Price List bulk files in their documented format, with a handful of SKUs. */
const FIXTURE = join(__dirname, 'fixtures', 'price-list');
const source = directorySource(FIXTURE);
const US_EAST_1_OFFER = '/offers/v1.0/aws/AmazonEC2/20261201000000/us-east-1/index.json';

const entry = (fields: Record<string, unknown>) => ({
  unit: 'unit',
  url: 'https://aws.amazon.com/pricing/',
  read: '2026-11-25',
  verified: false,
  note: 'Best known figure.',
  ...fields,
});

/** A small price table: selected entries of each kind, and one the Price List does not carry. */
function table(overrides: Record<string, Record<string, unknown>> = {}): RawTable {
  return {
    currency: 'USD',
    hoursPerMonth: 730,
    prices: {
      'natGateway.hour': entry({
        unverifiedRegions: ['eu-west-1'],
        byRegion: { 'us-east-1': 0.04, 'eu-west-1': 0.04 },
        select: {
          service: 'AmazonEC2',
          productFamily: 'NAT Gateway',
          attributes: { usagetype: '/NatGateway-Hours$/' },
          unit: 'Hrs',
        },
      }),
      'ec2.instance.t4g.nano.hour': entry({
        byRegion: { 'us-east-1': 0.004 },
        select: {
          service: 'AmazonEC2',
          productFamily: 'Compute Instance',
          attributes: { instanceType: 't4g.nano', operatingSystem: 'Linux', tenancy: 'Shared', capacitystatus: 'Used' },
        },
      }),
      'publicIpv4.hour': entry({
        global: 0.004,
        select: {
          service: 'AmazonEC2',
          productFamily: 'IP Address',
          attributes: { usagetype: '/PublicIPv4:InUseAddress$/' },
        },
      }),
      'route53.hostedZoneMonth': entry({
        global: 0.4,
        select: {
          service: 'AmazonRoute53',
          productFamily: 'DNS Zone',
          attributes: { usagetype: 'HostedZone' },
          scope: 'global',
        },
      }),
      'route53.queries.million': entry({
        global: 0.3,
        select: { service: 'AmazonRoute53', attributes: { usagetype: 'DNS-Queries' }, multiply: 1e6, scope: 'global' },
      }),
      'elasticache.valkeyDiscount': entry({ global: 0.2 }),
      ...overrides,
    },
  };
}

const update = (raw: RawTable, regions = ['us-east-1', 'eu-west-1']) =>
  updatePrices(raw, { regions, source, today: '2026-12-06' });

describe('npm run prices:update', () => {
  test('reads each selected price per region from its offer file, with the date and the file as evidence', async () => {
    // WHEN
    const { table: updated, updated: keys, kept } = await update(table());
    // THEN
    expect(updated.prices['natGateway.hour']).toEqual({
      unit: 'unit',
      url: 'https://aws.amazon.com/pricing/',
      read: '2026-12-06',
      verified: true,
      evidence: `https://pricing.us-east-1.amazonaws.com${US_EAST_1_OFFER}`,
      note: 'AWS Price List, AmazonEC2 offer published 2026-12-01.',
      byRegion: { 'us-east-1': 0.045, 'eu-west-1': 0.048 },
      select: table().prices['natGateway.hour'].select,
    });
    expect(keys).toEqual([
      'natGateway.hour',
      'ec2.instance.t4g.nano.hour',
      'publicIpv4.hour',
      'route53.hostedZoneMonth',
      'route53.queries.million',
    ]);
    expect(kept).toEqual(['elasticache.valkeyDiscount']);
    expect(updated.prices['elasticache.valkeyDiscount']).toEqual(table().prices['elasticache.valkeyDiscount']);
    // and the result is a valid table
    expect(priceTableSchema.safeParse(updated).success).toBe(true);
  });

  test('an instance price is the on-demand one of the product the attributes name, not a reserved one', async () => {
    const { table: updated } = await update(table());
    expect(updated.prices['ec2.instance.t4g.nano.hour'].byRegion).toEqual({ 'us-east-1': 0.0042, 'eu-west-1': 0.0046 });
  });

  test('a global entry stays global when every region has the same price', async () => {
    const { table: updated } = await update(table());
    expect(updated.prices['publicIpv4.hour']).toMatchObject({ global: 0.005 });
    expect(updated.prices['publicIpv4.hour'].byRegion).toBeUndefined();
  });

  test('a global entry becomes regional when the regions differ', async () => {
    const { table: updated } = await update(
      table({
        'natGateway.hour': { ...table().prices['natGateway.hour'], byRegion: undefined, global: 0.04 },
      }),
    );
    expect(updated.prices['natGateway.hour']).toMatchObject({ byRegion: { 'us-east-1': 0.045, 'eu-west-1': 0.048 } });
    expect(updated.prices['natGateway.hour'].global).toBeUndefined();
  });

  test('a global service is read once from its whole offer, at the first tier unless told, scaled by `multiply`', async () => {
    const { table: updated } = await update(table());
    expect(updated.prices['route53.hostedZoneMonth']).toMatchObject({
      global: 0.5,
      evidence: expect.stringContaining('/AmazonRoute53/current/index.json'),
    });
    expect(updated.prices['route53.queries.million']).toMatchObject({ global: 0.4 });
    const secondTier = table({
      'route53.hostedZoneMonth': {
        ...table().prices['route53.hostedZoneMonth'],
        select: { service: 'AmazonRoute53', attributes: { usagetype: 'HostedZone' }, tier: 25, scope: 'global' },
      },
    });
    expect((await update(secondTier)).table.prices['route53.hostedZoneMonth']).toMatchObject({ global: 0.1 });
  });

  test('every price not found exactly once is listed in one error, and nothing is returned', async () => {
    // GIVEN a region without an offer file, a select that matches nothing and one that matches two prices
    const raw = table({
      'ebs.gp3.gbMonth': entry({
        byRegion: { 'us-east-1': 0.08 },
        select: { service: 'AmazonEC2', productFamily: 'Storage', attributes: { volumeApiName: 'gp3' } },
      }),
      'ec2.instance.t4g.nano.hour': entry({
        byRegion: { 'us-east-1': 0.004 },
        select: { service: 'AmazonEC2', productFamily: 'Compute Instance', attributes: { instanceType: 't4g.nano' } },
      }),
    });
    // THEN
    const error = await update(raw, ['us-east-1', 'eu-central-1']).then(
      () => new Error('no error'),
      (e: Error) => e,
    );
    expect(error.message).toMatch(
      /^\d+ prices not found exactly once in the Price List, so prices\/aws-prices\.json is unchanged: /,
    );
    expect(error.message).toContain('natGateway.hour in eu-central-1: AmazonEC2 has no offer file for the region');
    expect(error.message).toContain('ebs.gp3.gbMonth in us-east-1: no product matches');
    expect(error.message).toMatch(
      /ec2\.instance\.t4g\.nano\.hour in us-east-1: 2 different prices match: 0\.0042 \(ANANO\), 0\.0088 \(ANWIN\); narrow the attributes/,
    );
    expect(error.message).toMatch(/: fix the `select` of each .*then run again$/);
    expect(error.message).not.toContain('\n');
  });

  test('a free tier is not read as the price: the select names the paid tier', async () => {
    const healthCheck = (tier: number) =>
      table({
        'route53.healthCheck.awsMonth': entry({
          global: 0.5,
          select: { service: 'AmazonRoute53', attributes: { usagetype: 'Health-Check-AWS' }, tier, scope: 'global' },
        }),
      });
    await expect(update(healthCheck(0))).rejects.toThrow(
      /route53\.healthCheck\.awsMonth in global: reads 0, a free tier: set `tier` to where the paid tier begins/,
    );
    const { table: updated } = await update(healthCheck(50));
    expect(updated.prices['route53.healthCheck.awsMonth']).toMatchObject({ global: 0.5 });
  });

  test('a select naming a service the Price List does not have is an error that says what to use', async () => {
    const raw = table({ 'x.month': entry({ global: 1, select: { service: 'AmazonNothing', attributes: {} } }) });
    await expect(update(raw)).rejects.toThrow(
      /x\.month in us-east-1: the price list has no service AmazonNothing: use an offer code of \/offers\/v1\.0\/aws\/index\.json/,
    );
  });

  test('a malformed select is an error naming the entry', async () => {
    const raw = table({ 'x.month': entry({ global: 1, select: { service: 'AmazonEC2', scope: 'everywhere' } }) });
    await expect(update(raw)).rejects.toThrow(/^prices\/aws-prices\.json › prices\.x\.month\.select\.scope is invalid/);
  });
});

describe('the regions in use', () => {
  test("are every profile's regions, the edge region and the regions the table prices", () => {
    // GIVEN the app's context, whatever regions a fork chose
    const context = cdkContext();
    const profiles = Object.keys(context.profiles as object);
    const configured = profiles.flatMap((profile) => loadConfig({ ...context, profile }).regions);
    // THEN
    const regions = regionsInUse(context, table());
    expect(regions).toEqual(expect.arrayContaining([...configured, 'us-east-1', 'eu-west-1']));
    expect(new Set(regions).size).toBe(regions.length);
  });
});

describe('downloading the files', () => {
  /** A local HTTP server over the fixture, standing in for AWS's (no network at test time). */
  let server: Server;
  let base: string;
  const requested: string[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      requested.push(request.url!);
      const file = join(FIXTURE, request.url!);
      if (!existsSync(file)) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/json' });
      createReadStream(file).pipe(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('each file is downloaded once into the cache, and the evidence names the server', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'price-list-'));
    const options = { regions: ['us-east-1', 'eu-west-1'], source: httpSource(cache, base), today: '2026-12-06' };
    const first = await updatePrices(table(), options);
    const downloads = requested.length;
    const second = await updatePrices(table(), options);
    expect(second.table).toEqual(first.table);
    expect(requested.length).toBe(downloads);
    expect(first.table.prices['natGateway.hour']).toMatchObject({
      byRegion: { 'us-east-1': 0.045, 'eu-west-1': 0.048 },
      evidence: `${base}${US_EAST_1_OFFER}`,
    });
    expect(existsSync(join(cache, US_EAST_1_OFFER))).toBe(true);
  });

  test('a file the server does not have is an error that says what to check', async () => {
    const source = httpSource(mkdtempSync(join(tmpdir(), 'price-list-')), base);
    await expect(source.read('/offers/v1.0/aws/AmazonNothing/current/index.json')).rejects.toThrow(
      /AmazonNothing\/current\/index\.json answered 404: check the service code/,
    );
  });
});

describe('reading offer files', () => {
  test('an attribute matches exactly, or by /regular expression/ with flags', () => {
    const product = { sku: 'A', productFamily: 'NAT Gateway', attributes: { usagetype: 'EU-NatGateway-Hours' } };
    const select = (attributes: Record<string, string>) => ({
      service: 'AmazonEC2',
      attributes,
      tier: 0,
      multiply: 1,
      scope: 'region' as const,
    });
    expect(matches(product, select({ usagetype: '/NatGateway-Hours$/' }))).toBe(true);
    expect(matches(product, select({ usagetype: '/natgateway-hours$/i' }))).toBe(true);
    expect(matches(product, select({ usagetype: 'NatGateway-Hours' }))).toBe(false);
    expect(matches(product, select({ operation: '/.*/' }))).toBe(false);
    expect(matches(product, { ...select({}), productFamily: 'IP Address' })).toBe(false);
  });

  test('an offer file is read without parsing it whole: only the wanted products and their on-demand terms', async () => {
    const offer = await readOffer(source, US_EAST_1_OFFER, [
      { service: 'AmazonEC2', productFamily: 'NAT Gateway', attributes: {}, tier: 0, multiply: 1, scope: 'region' },
    ]);
    expect(offer.publicationDate).toBe('2026-12-01T00:00:00Z');
    expect(offer.products.map((p) => p.sku)).toEqual(['ANATH', 'ANATB']);
    expect([...offer.onDemand.keys()]).toEqual(['ANATH', 'ANATB']);
  });

  test('the streaming reader finds the same members whatever the chunks', () => {
    const text = readFileSync(join(FIXTURE, US_EAST_1_OFFER), 'utf-8');
    const collect = (chunks: string[]) => {
      const members: [string, string, unknown][] = [];
      const scanner = new JsonMemberScanner([[], ['products'], ['terms', 'OnDemand']], (path, key, value) =>
        members.push([path, key, value]),
      );
      for (const chunk of chunks) scanner.write(chunk);
      return members;
    };
    const whole = collect([text]);
    const parsed = JSON.parse(text);
    expect(whole).toEqual([
      ...['formatVersion', 'disclaimer', 'offerCode', 'version', 'publicationDate'].map((key) => [
        '',
        key,
        parsed[key],
      ]),
      ...Object.entries(parsed.products).map(([sku, product]) => ['products', sku, product]),
      ...Object.entries(parsed.terms.OnDemand).map(([sku, terms]) => ['terms.OnDemand', sku, terms]),
    ]);
    expect(collect([...text])).toEqual(whole);
    expect(collect(text.match(/[\s\S]{1,7}/g)!)).toEqual(whole);
  });

  test('escaped quotes and brackets inside strings do not end a member', () => {
    const members: unknown[] = [];
    const scanner = new JsonMemberScanner([['products']], (_path, key, value) => members.push([key, value]));
    scanner.write('{"products": {"a\\"}": {"x": "}]\\\\"}, "b": {"y": [1, {"z": "{"}]}}, "terms": {}}');
    expect(members).toEqual([
      ['a"}', { x: '}]\\' }],
      ['b', { y: [1, { z: '{' }] }],
    ]);
  });
});
