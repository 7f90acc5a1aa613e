import { Duration, RemovalPolicy } from 'aws-cdk-lib';

/**
 * The policy for what must outlive a kept resource (its secret, log group, parameter group, global
 * cluster): destroyed with it, retained when asked for `RETAIN`, and otherwise (`SNAPSHOT`,
 * `RETAIN_ON_UPDATE_OR_DELETE`) retained on delete and replacement but removed when the create
 * that made it rolls back, so a failed first deploy leaves no named resource behind.
 */
export function companionRemovalPolicy(policy: RemovalPolicy): RemovalPolicy {
  if (policy === RemovalPolicy.DESTROY || policy === RemovalPolicy.RETAIN) return policy;
  return RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
}

/**
 * How long a key's scheduled deletion can still be cancelled: the longest window KMS allows,
 * unless the key is destroyed with its stack.
 */
export function keyDeletionWindow(policy: RemovalPolicy): Duration {
  return policy === RemovalPolicy.DESTROY ? Duration.days(7) : Duration.days(30);
}
