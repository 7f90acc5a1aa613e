/**
 * `npm run regen`: rewrites every generated file after an edit of cdk.json or of the code, so that
 * `npm test` passes again (test/this-app.test.ts checks each is current).
 *
 *   npm run regen                      docs from cdk.json, then the jest snapshots
 *   npm run regen -- --no-snapshots    the docs only (snapshots come from test/fixtures, not cdk.json)
 *
 * Each doc is its tool's own `npm run` script, two at a time; then `jest -u` runs the test files
 * that hold snapshots, and only those (a snapshot is a tripwire: read its diff before committing).
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = join(__dirname, '..');

interface Step {
  /** What the step rewrites. */
  readonly writes: string;
  readonly command: readonly string[];
}

const DOCS: readonly Step[] = [
  { writes: 'docs/config.md and the JSON Schema of cdk.json', command: ['npm', 'run', 'config-reference'] },
  { writes: 'docs/architecture.svg', command: ['npm', 'run', 'diagram'] },
  { writes: "docs/cost.md and README.md's cost summary", command: ['npm', 'run', 'cost', '--', '--write'] },
  { writes: 'docs/resilience.md', command: ['npm', 'run', 'rto', '--', '--write'] },
];

/** The test files that have a jest snapshot file, relative to the repository. */
function testsWithSnapshots(dir = join(ROOT, 'test')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (!entry.isDirectory()) return [];
    if (entry.name !== '__snapshots__') return testsWithSnapshots(path);
    return readdirSync(path)
      .filter((file) => file.endsWith('.snap'))
      .map((file) => join(dirname(path), basename(file, '.snap')))
      .filter((test) => existsSync(test))
      .map((test) => relative(ROOT, test));
  });
}

/** Runs `step`, keeping its output; prints it only when the step fails. Resolves to success. */
function run(step: Step): Promise<boolean> {
  return new Promise((resolve) => {
    const [command, ...args] = step.command;
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.on('close', (code) => {
      if (code === 0) console.log(`regen: ${step.writes}`);
      else {
        process.stderr.write(Buffer.concat(output));
        console.error(`regen: \`${step.command.join(' ')}\` failed (exit ${code}); ${step.writes} not rewritten`);
      }
      resolve(code === 0);
    });
  });
}

/** Runs `steps` at most `limit` at a time; resolves to whether every one succeeded. */
async function runAll(steps: readonly Step[], limit: number): Promise<boolean> {
  const queue = [...steps];
  let ok = true;
  const lane = async () => {
    for (let step = queue.shift(); step; step = queue.shift()) ok = (await run(step)) && ok;
  };
  await Promise.all(Array.from({ length: Math.min(limit, steps.length) }, lane));
  return ok;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'no-snapshots': { type: 'boolean', default: false } } });
  if (!(await runAll(DOCS, Math.max(1, availableParallelism())))) return 1;
  if (values['no-snapshots']) return 0;
  const tests = testsWithSnapshots();
  if (tests.length === 0) return 0;
  const snapshots = {
    writes: `the jest snapshots of ${tests.join(', ')}`,
    command: ['npx', 'jest', '--ci=false', '-u', ...tests],
  };
  return (await run(snapshots)) ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(`regen: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
