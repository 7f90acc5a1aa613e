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
 * A region's own name for its load balancer, which the consistency probes of every region connect
 * to (with the origin name as TLS server name and Host), so a request is pinned to that region.
 */
export function regionalOriginName(config: AppConfig, region: string): string {
  return `${region}.${originDomainName(config)}`;
}

/**
 * Region of the static site's failover bucket: the first Data region in deploy order that is
 * not us-east-1 (a replica beside the primary bucket would not survive its region). None when
 * the app serves from us-east-1 alone.
 */
export function staticReplicaRegion(config: AppConfig): AwsRegion | undefined {
  return config.dataDeployOrder.find((region) => region !== EDGE_REGION);
}

/** The stacks of the app by kind; Keys, Data and Service stacks are one per region. */
export type StackKind = 'Account' | 'Keys' | 'Data' | 'Service' | 'Edge' | 'Recovery' | 'GitHubOidc' | 'Pipeline';

/**
 * A stack's name, which is also its construct id (`blueprint-Data-eu-west-1`): the scripts find a
 * stack in the synthesized assembly by it.
 */
export function stackName(appName: string, kind: StackKind, region?: string): string {
  return region === undefined ? `${appName}-${kind}` : `${appName}-${kind}-${region}`;
}

/** The AWS Backup vault of the shards' recovery points: the same name in every region that holds one. */
export function backupVaultName(appName: string): string {
  return `${appName}-shards`;
}

/**
 * Region whose vault receives the copies of the primary's daily snapshots: the first other
 * region in deploy order. Its Keys stack creates the vault, so it exists before the primary's
 * Data stack names it. None with a single region.
 */
export function backupCopyRegion(config: AppConfig): AwsRegion | undefined {
  return config.backup.enabled ? config.dataDeployOrder.find((region) => region !== config.primaryRegion) : undefined;
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
