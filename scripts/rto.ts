/**
 * `npm run rto [-- -c key=value ...] [--write]`: synthesizes the app in-process as bin/app.ts
 * does (cdk.json context and `-c` overrides, without cdk-nag) and prints the modeled RTO/RPO
 * table read from its templates. `--write` puts the default app's table into docs/resilience.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY_ROOT, cdkContext, stacksOf, withSynthesizedApp } from './common/assembly';
import { ScriptError, commandLine, run } from './common/cli';
import { modelRecovery } from './rto/model';
import { replaceSection } from './common/generated';
import { RTO_MARKERS, renderDocsBlock, renderMarkdown } from './rto/render';

export const RESILIENCE_DOC = join(REPOSITORY_ROOT, 'docs', 'resilience.md');

export function parseArgs(argv: readonly string[]): { context: Record<string, string>; write: boolean } {
  const { values, context } = commandLine(argv, 'npm run rto -- [-c key=value ...] [--write]', {
    write: { type: 'boolean' },
  });
  return { context, write: values.write ?? false };
}

function main(argv: readonly string[]): void {
  const args = parseArgs(argv);
  if (args.write && Object.keys(args.context).length > 0) {
    throw new ScriptError('--write records the default app: drop the -c overrides');
  }
  const rows = modelRecovery(withSynthesizedApp(cdkContext(args.context), stacksOf));
  if (!args.write) {
    console.log(renderMarkdown(rows));
    return;
  }
  writeResilienceDoc(rows);
}

/** Puts the table of `rows` (the default app's) into docs/resilience.md. */
export function writeResilienceDoc(rows: ReturnType<typeof modelRecovery>): void {
  const before = readFileSync(RESILIENCE_DOC, 'utf-8');
  const after = replaceSection(before, RTO_MARKERS, renderDocsBlock(rows), 'docs/resilience.md');
  if (after === before) {
    console.log('docs/resilience.md: the table is up to date');
  } else {
    writeFileSync(RESILIENCE_DOC, after);
    console.log('docs/resilience.md: table rewritten');
  }
}

if (require.main === module) run('rto', () => main(process.argv.slice(2)));
