/**
 * What every script shares at its edge: the command line (`node:util` `parseArgs`, with cdk's
 * `-c key=value`) and the one-line error of an expected failure.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../../lib/config';

/**
 * An expected failure of a script: bad usage or a missing, malformed or stale input. `run` prints
 * its message as one line, without a stack trace; the message says what to do.
 */
export class ScriptError extends Error {
  override name = 'ScriptError';
}

type Flags = Record<string, { readonly type: 'boolean' | 'string'; readonly multiple?: boolean }>;
type Value<T> = T extends 'boolean' ? boolean : string;
type Values<F extends Flags> = {
  [K in keyof F]?: F[K]['multiple'] extends true ? Value<F[K]['type']>[] : Value<F[K]['type']>;
};

/**
 * Parses `argv`: the `flags` given, and `-c key=value` / `--context key=value` (repeatable) as
 * context overrides, as `cdk synth -c` takes them. Anything else is a `ScriptError` that ends
 * with `usage`.
 */
export function commandLine<const F extends Flags = {}>(
  argv: readonly string[],
  usage: string,
  flags: F = {} as F,
): { values: Values<F>; context: Record<string, string> } {
  const fail = (problem: string) => new ScriptError(`${problem} (usage: ${usage})`);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...flags, context: { type: 'string', short: 'c', multiple: true } },
      strict: true,
    });
  } catch (error) {
    // Newer Nodes add a hint about positional arguments, which no script takes.
    const unknown = /^Unknown option '([^']+)'/.exec((error as Error).message);
    throw fail(unknown ? `unknown option ${unknown[1]}` : (error as Error).message);
  }
  const { context: pairs = [], ...values } = parsed.values as { context?: string[] };
  const context: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw fail(`-c ${pair}: expected key=value`);
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { values: values as Values<F>, context };
}

/**
 * The one line a script prints for an expected failure (`ConfigError` or `ScriptError`):
 * `<tool>: <problem>`. Undefined for anything else, a bug whose stack trace is shown.
 */
export function failureLine(tool: string, error: unknown): string | undefined {
  return error instanceof ConfigError || error instanceof ScriptError ? `${tool}: ${error.message}` : undefined;
}

/**
 * Runs a script's `main`: an expected failure prints its one line and exits 1; `main` may set
 * `process.exitCode` itself (a check that found problems).
 */
export function run(tool: string, main: () => void | Promise<void>): void {
  Promise.resolve()
    .then(main)
    .catch((error: unknown) => {
      const line = failureLine(tool, error);
      if (line === undefined) throw error;
      console.error(line);
      process.exitCode = 1;
    });
}
