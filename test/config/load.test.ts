import { CDK_JSON_CONTEXT, configWith } from '../helpers';

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
    const before = JSON.stringify(CDK_JSON_CONTEXT);
    configWith({ 'tags.team': 'platform', 'compute.api.maxTasks': '40' });
    expect(JSON.stringify(CDK_JSON_CONTEXT)).toBe(before);
  });
});
