/**
 * What `npm run preflight` reports: one finding per problem, each with the fix, and the exit code.
 *
 * An `error` makes the first deploy fail (or leaves it half done); a `warning` is a risk or
 * something preflight could not verify; a `note` says what the deploy will do that a user may not
 * expect. Only errors fail the run.
 */
export type Severity = 'error' | 'warning' | 'note';

export interface Finding {
  readonly severity: Severity;
  /** The check that found it: `identity`, `regions`, `bootstrap`, `roles`, `quotas`, `dns`. */
  readonly check: string;
  /** The region it concerns; unset for the account's global resources (IAM, Route53). */
  readonly region?: string;
  readonly message: string;
  /** The command to run or the console step to take. */
  readonly fix: string;
}

/**
 * One AWS API answer as preflight recorded it: the response, or the error the SDK threw (its
 * `name`, e.g. `ParameterNotFound`, and message). Checks decide from these alone, so tests feed
 * them recorded answers.
 */
export type Recorded<T> = { readonly ok: T } | { readonly error: { readonly name: string; readonly message: string } };

/** Calls `call` and records its answer or its error. Anything that is not an Error is rethrown. */
export async function record<T>(call: () => Promise<T>): Promise<Recorded<T>> {
  try {
    return { ok: await call() };
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    return { error: { name: error.name, message: error.message } };
  }
}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, note: 2 };

/** One line per finding, errors first: `ERROR   [bootstrap] eu-west-1: … Fix: …`. */
export function renderFindings(findings: readonly Finding[]): string[] {
  return [...findings]
    .sort((a, b) => ORDER[a.severity] - ORDER[b.severity])
    .map((f) => {
      const where = f.region ? `${f.region}: ` : '';
      return `${f.severity.toUpperCase().padEnd(7)} [${f.check}] ${where}${f.message} Fix: ${f.fix}`;
    });
}

/** The closing line: how many of each, for which account and regions. */
export function renderSummary(findings: readonly Finding[], account: string, regions: readonly string[]): string {
  const count = (severity: Severity) => findings.filter((f) => f.severity === severity).length;
  const verdict = count('error') > 0 ? 'the first deploy would fail' : 'ready for the first deploy';
  return `preflight: ${count('error')} error(s), ${count('warning')} warning(s), ${count('note')} note(s) for account ${account} in ${regions.join(', ')}: ${verdict}`;
}

/** 1 when any finding is an error, else 0. */
export function exitCodeOf(findings: readonly Finding[]): number {
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}
