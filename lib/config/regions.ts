/**
 * AWS commercial regions with the availability-zone names every account sees and a default VPC
 * CIDR. Knowing AZ names here is what lets synth give each VPC its `network.maxAzs` AZs without a
 * context lookup.
 *
 * AZ *names* map to physical zones per account; the letters listed are the ones AWS offers in
 * each region. An account that lacks a listed letter sets `availabilityZones.<region>` explicitly.
 *
 * Default CIDRs are fixed per region (not per position in `regions`) so that reordering or adding
 * regions never replaces a VPC, and no two regions overlap (ready for peering or Cloud WAN).
 * Append new regions at the end; never renumber.
 */
export const AWS_REGIONS = {
  'us-east-1': { azs: 'abcdef', cidr: '10.10.0.0/16' },
  'us-east-2': { azs: 'abc', cidr: '10.11.0.0/16' },
  'us-west-1': { azs: 'abc', cidr: '10.12.0.0/16' },
  'us-west-2': { azs: 'abcd', cidr: '10.13.0.0/16' },
  'ca-central-1': { azs: 'abd', cidr: '10.14.0.0/16' },
  'ca-west-1': { azs: 'abc', cidr: '10.15.0.0/16' },
  'mx-central-1': { azs: 'abc', cidr: '10.16.0.0/16' },
  'sa-east-1': { azs: 'abc', cidr: '10.17.0.0/16' },
  'eu-west-1': { azs: 'abc', cidr: '10.20.0.0/16' },
  'eu-west-2': { azs: 'abc', cidr: '10.21.0.0/16' },
  'eu-west-3': { azs: 'abc', cidr: '10.22.0.0/16' },
  'eu-central-1': { azs: 'abc', cidr: '10.23.0.0/16' },
  'eu-central-2': { azs: 'abc', cidr: '10.24.0.0/16' },
  'eu-north-1': { azs: 'abc', cidr: '10.25.0.0/16' },
  'eu-south-1': { azs: 'abc', cidr: '10.26.0.0/16' },
  'eu-south-2': { azs: 'abc', cidr: '10.27.0.0/16' },
  'il-central-1': { azs: 'abc', cidr: '10.28.0.0/16' },
  'me-south-1': { azs: 'abc', cidr: '10.29.0.0/16' },
  'me-central-1': { azs: 'abc', cidr: '10.30.0.0/16' },
  'af-south-1': { azs: 'abc', cidr: '10.31.0.0/16' },
  'ap-northeast-1': { azs: 'acd', cidr: '10.40.0.0/16' },
  'ap-northeast-2': { azs: 'abcd', cidr: '10.41.0.0/16' },
  'ap-northeast-3': { azs: 'abc', cidr: '10.42.0.0/16' },
  'ap-southeast-1': { azs: 'abc', cidr: '10.43.0.0/16' },
  'ap-southeast-2': { azs: 'abc', cidr: '10.44.0.0/16' },
  'ap-southeast-3': { azs: 'abc', cidr: '10.45.0.0/16' },
  'ap-southeast-4': { azs: 'abc', cidr: '10.46.0.0/16' },
  'ap-southeast-5': { azs: 'abc', cidr: '10.47.0.0/16' },
  'ap-southeast-7': { azs: 'abc', cidr: '10.48.0.0/16' },
  'ap-south-1': { azs: 'abc', cidr: '10.49.0.0/16' },
  'ap-south-2': { azs: 'abc', cidr: '10.50.0.0/16' },
  'ap-east-1': { azs: 'abc', cidr: '10.51.0.0/16' },
} as const satisfies Record<string, { azs: string; cidr: string }>;

export type AwsRegion = keyof typeof AWS_REGIONS;

export const REGION_NAMES = Object.keys(AWS_REGIONS) as [AwsRegion, ...AwsRegion[]];

/** The region that hosts global resources: CloudFront certificates and WAF must live here. */
export const EDGE_REGION: AwsRegion = 'us-east-1';

/** Every AZ name AWS offers in `region`, e.g. `['eu-west-1a', 'eu-west-1b', 'eu-west-1c']`. */
export function knownAvailabilityZones(region: AwsRegion): string[] {
  return [...AWS_REGIONS[region].azs].map((letter) => `${region}${letter}`);
}

/**
 * The first `count` zones of a region: the default when `availabilityZones` does not name it.
 * Fewer when the region has fewer; the caller checks the count.
 */
export function defaultAvailabilityZones(region: AwsRegion, count: number): string[] {
  return knownAvailabilityZones(region).slice(0, count);
}
