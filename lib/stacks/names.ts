import { AppConfig, AwsRegion, EDGE_REGION } from '../config';

/**
 * Names one stack creates and another finds by name, derived from the app name alone (decision 1):
 * each is created by a stack that deploys before every stack that names it, which
 * `scripts/deploy-order.ts` checks over the synthesized app in the tests.
 */

/** The region's data key (its Data stack): databases, cache, queues, logs, the primary's secrets. */
export function dataKeyAlias(appName: string): string {
  return `alias/${appName}/data`;
}

/**
 * The key that encrypts, in a non-primary region, the replicas of the secrets the primary creates.
 * Its Keys stack deploys before the primary's Data stack, which replicates into it (decision 11).
 */
export function replicaKeyAlias(appName: string): string {
  return `alias/${appName}/secrets`;
}

/**
 * Name of a region's "region unhealthy" composite alarm: deploy bake gates (the pipeline's and
 * GitHub Actions') look it up by this name. Alarm names are per account and region.
 */
export function regionHealthAlarmName(appName: string, region: string): string {
  return `${appName}-${region}-region-unhealthy`;
}

/** The latency-routed name CloudFront sends dynamic requests to; each region's ALB answers it. */
export function originDomainName(config: AppConfig): string {
  return `origin.${config.domainName}`;
}

/**
 * Region of the static site's failover bucket: the first Data region in deploy order that is
 * not us-east-1 (a replica beside the primary bucket would not survive its region). None when
 * the app serves from us-east-1 alone.
 */
export function staticReplicaRegion(config: AppConfig): AwsRegion | undefined {
  return config.dataDeployOrder.find((region) => region !== EDGE_REGION);
}

/**
 * Start of the edge alarms' names in us-east-1 (Edge stack): topics `<this>-page` and
 * `<this>-ticket`, which each region's origin health-check alarm notifies by ARN.
 */
export function edgeAlarmPrefix(appName: string): string {
  return `${appName}-edge`;
}

/** The us-east-1 alarm on a region's origin health check (Route 53 metrics live there only). */
export function originHealthAlarmName(appName: string, region: string): string {
  return `${appName}-${region}-origin-health-check`;
}
