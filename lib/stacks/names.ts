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
