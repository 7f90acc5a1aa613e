import { loadConfig } from '../../lib/config';
import { TEST_CONTEXT, configWith } from '../helpers';

describe('profiles', () => {
  test('prod is the default: three regions on three continents, first is primary, data retained', () => {
    const config = configWith();
    expect(config.profile).toBe('prod');
    expect(config.regions).toEqual(['us-east-1', 'eu-west-1', 'ap-northeast-2']);
    expect(config.primaryRegion).toBe('us-east-1');
    expect(config.regional.map((r) => r.isPrimary)).toEqual([true, false, false]);
    expect(config.retainData).toBe(true);
    expect(config.network.natGateways).toBe(3);
    expect(config.network.nat).toBe('gateway');
    expect(config.network.maxAzs).toBe(3);
    expect(config.cache.replicas).toBe(1);
  });

  test('dev is one region with the smallest sizes and nothing retained', () => {
    const config = configWith({ profile: 'dev' });
    expect(config.regions).toEqual(['us-east-1']);
    expect(config.retainData).toBe(false);
    expect(config.network.natGateways).toBe(1);
    expect(config.network.nat).toBe('instance');
    expect(config.regional[0].availabilityZones).toEqual(['us-east-1a', 'us-east-1b']);
    expect(config.cache.replicas).toBe(0);
    expect(config.network.interfaceEndpoints).toEqual([]);
    expect(config.compute.api).toMatchObject({ cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 2 });
    expect(config.database.shards).toBe(1);
  });
});

describe('per-region defaults', () => {
  test('every region gets three named AZs without a lookup', () => {
    const config = configWith();
    expect(config.regional.map((r) => r.availabilityZones)).toEqual([
      ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      ['ap-northeast-2a', 'ap-northeast-2b', 'ap-northeast-2c'],
    ]);
  });

  test('network.maxAzs takes the first N zones of a region that availabilityZones does not name', () => {
    const config = configWith({
      regions: 'us-east-1,eu-west-1',
      'network.maxAzs': '4',
      'network.natGateways': '1',
      'availabilityZones.eu-west-1': 'eu-west-1a,eu-west-1c',
    });
    expect(config.regional.map((r) => r.availabilityZones)).toEqual([
      ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d'],
      ['eu-west-1a', 'eu-west-1c'],
    ]);
  });

  test('regions that lack an AZ letter get the zones that exist', () => {
    const config = configWith({ regions: 'ap-northeast-1' });
    expect(config.regional[0].availabilityZones).toEqual(['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d']);
  });

  test('VPC ranges are fixed per region, so reordering regions changes no VPC', () => {
    const forward = configWith({ regions: 'us-east-1,eu-west-1' }).regional;
    const reversed = configWith({ regions: 'eu-west-1,us-east-1' }).regional;
    const cidrOf = (list: typeof forward, region: string) => list.find((r) => r.region === region)!.vpcCidr;
    expect(cidrOf(forward, 'eu-west-1')).toBe(cidrOf(reversed, 'eu-west-1'));
    expect(new Set(configWith().regional.map((r) => r.vpcCidr)).size).toBe(3);
  });
});

describe('overrides', () => {
  test('-c strings are converted to what each key expects', () => {
    const config = configWith({
      regions: 'eu-west-1,us-east-1',
      'compute.api.maxTasks': '40',
      retainData: 'false',
      'network.interfaceEndpoints': '["ecr","logs"]',
      'availabilityZones.eu-west-1': 'eu-west-1b,eu-west-1c',
      'network.natGateways': '2',
      'tags.team': 'platform',
    });
    expect(config.regions).toEqual(['eu-west-1', 'us-east-1']);
    expect(config.primaryRegion).toBe('eu-west-1');
    expect(config.compute.api.maxTasks).toBe(40);
    expect(config.compute.api.minTasks).toBe(2);
    expect(config.retainData).toBe(false);
    expect(config.network.interfaceEndpoints).toEqual(['ecr', 'logs']);
    expect(config.regional[0].availabilityZones).toEqual(['eu-west-1b', 'eu-west-1c']);
    expect(config.tags).toEqual({ project: 'multi-region-blueprint', team: 'platform' });
  });

  test('an explicit primary region need not be listed first', () => {
    expect(configWith({ primaryRegion: 'eu-west-1' }).regional.find((r) => r.isPrimary)!.region).toBe('eu-west-1');
  });

  test('CDK-owned context keys (feature flags, CLI settings) are not config keys', () => {
    expect(() => configWith({ 'aws:cdk:version-reporting': true, '@aws-cdk/core:newFlag': true })).not.toThrow();
  });

  test('loading never mutates the context it was given', () => {
    const before = JSON.stringify(TEST_CONTEXT);
    configWith({ 'tags.team': 'platform', 'compute.api.maxTasks': '40' });
    expect(JSON.stringify(TEST_CONTEXT)).toBe(before);
  });
});

describe('defaults and profiles', () => {
  /** A cdk.json context of its own, as a fork might write it. */
  const context = {
    profile: 'prod',
    profiles: {
      prod: { appName: 'shop', domainName: 'example.com', tags: { team: 'web' }, dns: { recordTtlSeconds: 20 } },
      dev: {
        extends: 'prod',
        regions: ['eu-west-1'],
        compute: { api: { minTasks: 1 } },
        dns: { recordTtlSeconds: null },
      },
      staging: { extends: 'dev', appName: 'shop-staging', database: { readerAutoScaling: { maxReaders: 3 } } },
    },
  };

  test('a key a profile leaves out takes the default: the production values', () => {
    // GIVEN a profile of only the keys without a default WHEN loaded THEN sizes are prod's
    const config = loadConfig({ profile: 'p', profiles: { p: { appName: 'shop', domainName: 'example.com' } } });
    const prod = configWith();
    expect(config.regions).toEqual(prod.regions);
    expect(config.compute).toEqual(prod.compute);
    expect(config.network).toEqual(prod.network);
    expect(config.retainData).toBe(true);
  });

  test('optional features are off unless a profile turns them on', () => {
    const config = loadConfig({ profile: 'p', profiles: { p: { appName: 'shop', domainName: 'example.com' } } });
    expect(config.database.readerAutoScaling).toBeUndefined();
    expect(config.dns.recordTtlSeconds).toBeUndefined();
    expect(config.cache.globalDatastoreId).toBeUndefined();
  });

  test('extends takes the parent profile first; objects merge key by key', () => {
    const config = loadConfig({ ...context, profile: 'dev' });
    expect(config.regions).toEqual(['eu-west-1']);
    expect(config.compute.api).toMatchObject({ minTasks: 1, maxTasks: 20, cpu: 512 });
    expect(config.tags).toEqual({ team: 'web' });
  });

  test("a profile's own appName wins over the one it extends, so its stacks do not collide", () => {
    const config = loadConfig({ ...context, profile: 'staging' });
    expect(config.appName).toBe('shop-staging');
    expect(config.regions).toEqual(['eu-west-1']);
  });

  test('null turns off what an extended profile turned on; a partial object takes the inner defaults', () => {
    expect(loadConfig(context).dns.recordTtlSeconds).toBe(20);
    const staging = loadConfig({ ...context, profile: 'staging' });
    expect(staging.dns.recordTtlSeconds).toBeUndefined();
    expect(staging.database.readerAutoScaling).toEqual({ minReaders: 1, maxReaders: 3, targetCpuPercent: 70 });
    expect(loadConfig({ ...context, 'dns.recordTtlSeconds': 'null' }).dns.recordTtlSeconds).toBeUndefined();
  });

  test('top-level context keys and -c overrides win over the profile', () => {
    const config = loadConfig({ ...context, profile: 'staging', appName: 'shop-test', 'compute.api.minTasks': '3' });
    expect(config.appName).toBe('shop-test');
    expect(config.compute.api.minTasks).toBe(3);
  });

  test('dev lists only what differs from prod, which it extends', () => {
    const [prod, dev] = [configWith(), configWith({ profile: 'dev' })];
    expect(prod.database.readerAutoScaling).toEqual({ minReaders: 1, maxReaders: 5, targetCpuPercent: 70 });
    expect(prod.dns.recordTtlSeconds).toBe(10);
    expect(dev.database.readerAutoScaling).toBeUndefined();
    expect(dev.dns.recordTtlSeconds).toBeUndefined();
    expect(dev.compute.worker).toMatchObject({ cpu: 256, memoryMiB: 512, minTasks: 0, maxTasks: 2 });
    expect(dev.appName).toBe(prod.appName);
  });
});
