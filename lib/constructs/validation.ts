import { Token } from 'aws-cdk-lib';
import { ConfigError, GIT_BRANCH, GITHUB_REPOSITORY } from '../config';

/**
 * Throws a one-line `ConfigError` unless `value` is an integer in [min, max]. Deploy-time values
 * (tokens) are left for CloudFormation to check.
 */
export function checkInteger(
  key: string,
  value: number,
  min: number,
  max: number,
  allowed = `an integer from ${min} to ${max}`,
  problem?: string,
): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(key, value, allowed, problem);
}

/** The task-count bounds every ECS service takes: 1 to 1000 tasks, min no greater than max. */
export function checkTaskBounds(configPath: string, minTasks: number, maxTasks: number): void {
  checkInteger(`${configPath}.minTasks`, minTasks, 1, 1000);
  checkInteger(`${configPath}.maxTasks`, maxTasks, 1, 1000);
  if (!Token.isUnresolved(minTasks) && !Token.isUnresolved(maxTasks) && minTasks > maxTasks) {
    throw new ConfigError(
      `${configPath}.minTasks`,
      minTasks,
      `at most ${configPath}.maxTasks = ${maxTasks}`,
      'is greater than maxTasks',
    );
  }
}

/** The GitHub repository (`owner/name`) and branch a deploy comes from, as `<configPath>.repository` and `.branch`. */
export function checkGitHubSource(configPath: string, repository: string, branch: string): void {
  if (!GITHUB_REPOSITORY.test(repository)) {
    throw new ConfigError(`${configPath}.repository`, repository, 'a GitHub repository as owner/name');
  }
  if (!GIT_BRANCH.test(branch)) throw new ConfigError(`${configPath}.branch`, branch, 'a git branch name');
}
