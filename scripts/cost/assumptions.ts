import { ConfigError } from '../../lib/config';
import type { Assumptions } from './model';

/**
 * Traffic and data volumes per profile: what the templates cannot say. Printed with every
 * estimate; a profile added to cdk.json needs its block here before `npm run cost` can price it.
 */
export const ASSUMPTIONS: Readonly<Record<string, Assumptions>> = {
  prod: {
    requestsPerMonth: 50e6,
    originDnsResolvers: 100,
    cloudFrontEgressGb: 500,
    cacheHitRatio: 0.5,
    originGbPerMonth: 250,
    albNewConnectionsPerRequest: 0.05,
    natGbPerRegion: 50,
    endpointGbPerRegion: 100,
    crossAzGbPerRegion: 150,
    replicationGbPerSecondaryRegion: 20,
    appLogsGbPerRegion: 30,
    flowLogsGbPerRegion: 30,
    wafLogBytesPerRequest: 1000,
    auroraStorageGbPerCluster: 20,
    auroraIoMillionsPerCluster: 20,
    auroraWriteIoMillionsPerCluster: 5,
    sqsRequestsMillionsPerRegion: 15,
    snsPublishesMillionsPerRegion: 2,
    kmsRequestsMillionsPerRegion: 2,
    emfSeriesPerOtherService: 40,
    failureHoursPerMonth: 24,
    containerInsightsMetrics: { perCluster: 10, perService: 20, perTask: 15 },
    s3GbPerBucket: 10,
    enhancedMonitoringKbPerSample: 5,
    fisRunsPerTemplatePerMonth: 1,
  },
  dev: {
    requestsPerMonth: 1e6,
    originDnsResolvers: 20,
    cloudFrontEgressGb: 10,
    cacheHitRatio: 0.5,
    originGbPerMonth: 5,
    albNewConnectionsPerRequest: 0.05,
    natGbPerRegion: 10,
    endpointGbPerRegion: 0,
    crossAzGbPerRegion: 5,
    replicationGbPerSecondaryRegion: 0,
    appLogsGbPerRegion: 2,
    flowLogsGbPerRegion: 2,
    wafLogBytesPerRequest: 1000,
    auroraStorageGbPerCluster: 2,
    auroraIoMillionsPerCluster: 1,
    auroraWriteIoMillionsPerCluster: 0.2,
    sqsRequestsMillionsPerRegion: 2,
    snsPublishesMillionsPerRegion: 0.2,
    kmsRequestsMillionsPerRegion: 0.2,
    emfSeriesPerOtherService: 40,
    failureHoursPerMonth: 72,
    containerInsightsMetrics: { perCluster: 10, perService: 20, perTask: 15 },
    s3GbPerBucket: 1,
    enhancedMonitoringKbPerSample: 5,
    fisRunsPerTemplatePerMonth: 0,
  },
};

/**
 * The assumptions of `profile`: its own block, else those of the profile it `extends` in
 * `profiles` (cdk.json's, followed up the chain), with `from` naming that profile. A profile with
 * neither is an error naming those that have a block.
 */
export function assumptionsFor(
  profile: string,
  profiles: Readonly<Record<string, unknown>> = {},
): Assumptions & { readonly from?: string } {
  const seen = new Set<string>();
  for (let name: unknown = profile; typeof name === 'string' && !seen.has(name);) {
    seen.add(name);
    const assumptions = ASSUMPTIONS[name];
    if (assumptions) return name === profile ? assumptions : { ...assumptions, from: name };
    const preset = profiles[name];
    name = preset && typeof preset === 'object' ? (preset as { extends?: unknown }).extends : undefined;
  }
  throw new ConfigError(
    'profile',
    profile,
    `a profile with traffic assumptions in scripts/cost/assumptions.ts (${Object.keys(ASSUMPTIONS).join(', ')}), or one that extends it: add a block for it there`,
    'has no cost assumptions',
  );
}
