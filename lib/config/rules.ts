import { z } from 'zod';

/** What a rule that spans keys found wrong, in the parts of a config error line. */
export interface Violation {
  /** Path of the offending key, relative to the schema the rule is attached to. */
  readonly path: readonly (string | number)[];
  readonly value: unknown;
  /** What is wrong, e.g. `is greater than maxTasks`. */
  readonly problem: string;
  /** What would be accepted, e.g. `at most compute.api.maxTasks = 20`. */
  readonly allowed: string;
}

/** One rule: a violation, or undefined when the value keeps it. */
export type Rule<T> = (value: T) => Violation | undefined;

export const violation = (
  path: readonly (string | number)[],
  value: unknown,
  problem: string,
  allowed: string,
): Violation => ({ path, value, problem, allowed });

/**
 * Attaches rules to a schema (`.superRefine(rules(...))`): the first one broken becomes an issue
 * on the key it names, carrying the problem and the value for the one-line error.
 */
export function rules<T>(...list: Rule<T>[]): (value: T, ctx: z.RefinementCtx<T>) => void {
  return (value, ctx) => {
    for (const rule of list) {
      const found = rule(value);
      if (!found) continue;
      ctx.addIssue({
        code: 'custom',
        path: [...found.path],
        message: found.allowed,
        params: { problem: found.problem, value: found.value },
      });
      return;
    }
  };
}
