/**
 * `npm run rto [-- -c key=value ...] [--write]`: synthesizes the app in-process as bin/app.ts
 * does (cdk.json context and `-c` overrides → loadConfig → buildBlueprint, without cdk-nag) and
 * prints the modeled RTO/RPO table read from its templates. `--write` puts the default app's
 * table into docs/resilience.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../lib/config';
import { modelRecovery } from './rto-model';
import { renderDocsBlock, renderMarkdown, replaceDocsBlock } from './rto-render';
import { StackTemplate, stacksOf } from './rto-templates';
import { cdkContext, withSynthesizedApp } from './synth-app';

const ROOT = join(__dirname, '..');
export const RESILIENCE_DOC = join(ROOT, 'docs', 'resilience.md');

const USAGE = `usage: npm run rto -- [-c key=value ...] [--write]
  -c, --context key=value  override a config key, as with cdk (e.g. -c profile=dev -c dns.healthCheckIntervalSeconds=30)
  --write                  write the default app's table into docs/resilience.md (no overrides allowed)`;

class UsageError extends Error {}

export interface RtoArgs {
  readonly context: Record<string, string>;
  readonly write: boolean;
}

export function parseArgs(argv: readonly string[]): RtoArgs {
  const context: Record<string, string> = {};
  let write = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const inline = /^(?:-c|--context)=(.*)$/.exec(arg);
    if (arg === '--write') {
      write = true;
    } else if (arg === '-c' || arg === '--context' || inline) {
      const pair = inline ? inline[1] : argv[++i];
      const eq = pair?.indexOf('=') ?? -1;
      if (pair === undefined || eq < 1) throw new UsageError(`${arg} needs key=value`);
      context[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else {
      throw new UsageError(`unknown argument ${arg}`);
    }
  }
  return { context, write };
}

/** Synthesizes the app with `overrides` and returns its stacks' templates. */
export function synthesizeStacks(overrides: Record<string, string> = {}): StackTemplate[] {
  return withSynthesizedApp(cdkContext(overrides), stacksOf);
}

function main(argv: readonly string[]): number {
  const args = parseArgs(argv);
  if (args.write && Object.keys(args.context).length > 0) {
    throw new UsageError('--write records the default app: drop the -c overrides');
  }
  const rows = modelRecovery(synthesizeStacks(args.context));
  if (!args.write) {
    console.log(renderMarkdown(rows));
    return 0;
  }
  const before = readFileSync(RESILIENCE_DOC, 'utf-8');
  const after = replaceDocsBlock(before, renderDocsBlock(rows));
  if (after === before) {
    console.log('docs/resilience.md: the table is up to date');
  } else {
    writeFileSync(RESILIENCE_DOC, after);
    console.log('docs/resilience.md: table rewritten');
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`config error: ${error.message}`);
    } else if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
    } else {
      throw error;
    }
    process.exitCode = 1;
  }
}
