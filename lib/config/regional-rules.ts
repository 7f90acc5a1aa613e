import { AWS_REGIONS, AwsRegion, defaultAvailabilityZones, knownAvailabilityZones } from './regions';
import { Rule, Violation, violation } from './rules';

/** The keys the per-region rules read, as the schema gives them (defaults applied). */
export interface RegionalInput {
  readonly regions: readonly AwsRegion[];
  readonly primaryRegion?: AwsRegion;
  readonly availabilityZones: Partial<Record<AwsRegion, readonly string[]>>;
  readonly network: {
    readonly maxAzs: number;
    readonly natGateways: number;
    readonly vpcCidrs: Partial<Record<AwsRegion, string>>;
  };
}

/** Every region once, and the primary among them. */
export function regionListViolation(regions: readonly string[], primaryRegion: string): Violation | undefined {
  const twice = regions.findIndex((region, index) => regions.indexOf(region) !== index);
  if (twice >= 0) return violation(['regions', twice], regions[twice], 'is listed twice', 'each region once');
  if (!regions.includes(primaryRegion)) {
    return violation(
      ['primaryRegion'],
      primaryRegion,
      'is not a serving region',
      `one of regions: ${regions.join(', ')}`,
    );
  }
  return undefined;
}

/** The AZs a region's VPC spans: the ones `availabilityZones` names, else its first `maxAzs`. */
export function availabilityZonesOf(input: RegionalInput, region: AwsRegion): readonly string[] {
  return input.availabilityZones[region] ?? defaultAvailabilityZones(region, input.network.maxAzs);
}

/** The VPC range of a region: `network.vpcCidrs`, else its fixed default in regions.ts. */
export const vpcCidrOf = (input: RegionalInput, region: AwsRegion): string =>
  input.network.vpcCidrs[region] ?? AWS_REGIONS[region].cidr;

/** The keys that name regions, with where they sit in the config. */
const perRegionMaps = (input: RegionalInput): Array<{ path: string[]; map: Partial<Record<string, unknown>> }> => [
  { path: ['availabilityZones'], map: input.availabilityZones },
  { path: ['network', 'vpcCidrs'], map: input.network.vpcCidrs },
];

/** Rules over `regions` and what is given per region, in the order they are reported. */
export const regionalRules: Rule<RegionalInput>[] = [
  (input) => regionListViolation(input.regions, input.primaryRegion ?? input.regions[0]),
  (input) => {
    for (const { path, map } of perRegionMaps(input)) {
      const region = Object.keys(map).find((key) => !input.regions.includes(key as AwsRegion));
      if (region) {
        return violation(
          [...path, region],
          map[region],
          'names a region that is not served',
          `one of regions: ${input.regions.join(', ')}`,
        );
      }
    }
    return undefined;
  },
  (input) => {
    for (const region of input.regions) {
      const found = availabilityZoneViolation(input, region);
      if (found) return found;
    }
    return undefined;
  },
  (input) => {
    const ranges = input.regions.map((region) => ({
      region,
      cidr: vpcCidrOf(input, region),
      ...cidrBounds(vpcCidrOf(input, region)),
    }));
    for (const [i, a] of ranges.entries()) {
      for (const b of ranges.slice(i + 1)) {
        if (a.first > b.last || b.first > a.last) continue;
        // Blame the range the user wrote over a fixed default, so the key named is one they set.
        const given = (region: AwsRegion) => input.network.vpcCidrs[region] !== undefined;
        const [kept, blamed] = given(a.region) && !given(b.region) ? [b, a] : [a, b];
        return violation(
          ['network', 'vpcCidrs', blamed.region],
          blamed.cidr,
          'overlaps another region',
          `a range that does not overlap ${kept.region}'s ${kept.cidr}`,
        );
      }
    }
    return undefined;
  },
];

function availabilityZoneViolation(input: RegionalInput, region: AwsRegion): Violation | undefined {
  const key = ['availabilityZones', region];
  const known = knownAvailabilityZones(region);
  const given = input.availabilityZones[region];
  const { maxAzs, natGateways } = input.network;
  if (!given && known.length < maxAzs) {
    return violation(
      ['network', 'maxAzs'],
      maxAzs,
      `is more than the AZs of ${region}`,
      `at most ${known.length} in ${region} (${known.join(', ')}), or name its zones in ${key.join('.')}`,
    );
  }
  if (given) {
    if (given.length < 2 || given.length > 6) {
      return violation(key, given, 'has the wrong number of entries', `2 to 6 of ${known.join(', ')}`);
    }
    for (const [index, az] of given.entries()) {
      if (!known.includes(az)) return violation([...key, index], az, `is not an AZ of ${region}`, known.join(', '));
      if (given.indexOf(az) !== index) return violation([...key, index], az, 'is listed twice', 'each AZ once');
    }
  }
  const azs = availabilityZonesOf(input, region);
  if (natGateways > azs.length) {
    return violation(
      ['network', 'natGateways'],
      natGateways,
      'is more than the AZs',
      `at most one per AZ: ${azs.length} in ${region}`,
    );
  }
  return undefined;
}

function cidrBounds(cidr: string): { first: number; last: number } {
  const [address, bits] = cidr.split('/');
  const first = address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  return { first, last: first + 2 ** (32 - Number(bits)) - 1 };
}
