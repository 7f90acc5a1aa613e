import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { GIT_BRANCH, GITHUB_REPOSITORY } from './choices';
import { formatValue } from './format-value';

/**
 * A prop that breaks an invariant of the construct itself, as one line naming the construct's
 * path, the prop, the value and what is allowed:
 * `Data/Cache: shards = 3 needs cluster mode (allowed: 1 unless clusterMode is true)`.
 * The app's config is validated before any construct exists; this guards the construct alone.
 */
export class PropError extends Error {
  /**
   * @param scope   the construct whose prop is wrong
   * @param prop    the prop's name, dotted into nested props (`healthCheck.path`)
   * @param value   the value given
   * @param allowed what would have been accepted
   * @param problem what is wrong with the value
   */
  constructor(
    scope: IConstruct,
    public readonly prop: string,
    public readonly value: unknown,
    public readonly allowed: string,
    problem = 'is not allowed',
  ) {
    super(`${scope.node.path}: ${prop} = ${formatValue(value)} ${problem} (allowed: ${allowed})`);
    this.name = 'PropError';
  }
}

/**
 * Throws a `PropError` unless `value` is an integer in [min, max]. Deploy-time values (tokens)
 * are left for CloudFormation to check.
 */
export function checkInteger(
  scope: IConstruct,
  prop: string,
  value: number,
  min: number,
  max: number,
  allowed = `an integer from ${min} to ${max}`,
  problem?: string,
): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) throw new PropError(scope, prop, value, allowed, problem);
}

/**
 * The task-count bounds every ECS service takes: `fewestTasks` (1 unless the service can scale to
 * zero) to 1000 tasks, `minTasks` no greater than `maxTasks`.
 */
export function checkTaskBounds(scope: IConstruct, minTasks: number, maxTasks: number, fewestTasks: 0 | 1 = 1): void {
  checkInteger(scope, 'minTasks', minTasks, fewestTasks, 1000);
  checkInteger(scope, 'maxTasks', maxTasks, 1, 1000);
  if (!Token.isUnresolved(minTasks) && !Token.isUnresolved(maxTasks) && minTasks > maxTasks) {
    throw new PropError(scope, 'minTasks', minTasks, `at most maxTasks = ${maxTasks}`, 'is greater than maxTasks');
  }
}

/** The GitHub repository (`owner/name`) and branch a deploy comes from, as props `repository` and `branch`. */
export function checkGitHubSource(scope: IConstruct, repository: string, branch: string): void {
  if (!GITHUB_REPOSITORY.test(repository)) {
    throw new PropError(scope, 'repository', repository, 'a GitHub repository as owner/name');
  }
  if (!GIT_BRANCH.test(branch)) throw new PropError(scope, 'branch', branch, 'a git branch name');
}
