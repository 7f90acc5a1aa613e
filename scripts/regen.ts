/**
 * `npm run regen`: rewrites every generated file after an edit of cdk.json or of the code, so that
 * `npm test` passes again (test/this-app.test.ts checks each is current).
 *
 *   npm run regen                      cdk.json in prettier's layout, docs from it, then the jest snapshots
 *   npm run regen -- --no-snapshots    the docs only (snapshots come from test/fixtures, not cdk.json)
 *
 * The docs are written in this process by the code of each tool's own `npm run` script (config-reference,
 * diagram, `cost -- --write`, `rto -- --write`), from one synthesis per profile of cdk.json that
 * they share; then `jest -u` runs the test files that hold snapshots, and only those (a snapshot
 * is a tripwire: read its diff before committing).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AppConfig } from '../lib/config';
import { buildApp, cdkContext, stacksOf } from './common/assembly';
import { formatCdkJson, writeConfigReference } from './config-reference';
import { estimateAssembly, estimateEach, profilesToPrice, writeCostDocs } from './cost';
import { MetricSeries } from './cost/metric-series';
import { PriceTable } from './cost/prices';
import { writeOrCheck } from './common/generated';
import { DIAGRAM_PATH, drawArchitecture } from './diagram/index';
import { writeResilienceDoc } from './rto';
import { modelRecovery } from './rto/model';

const ROOT = join(__dirname, '..');

interface Step {
  /** What the step rewrites. */
  readonly writes: string;
  readonly command: readonly string[];
}

interface Synthesized {
  readonly assembly: CloudAssembly;
  readonly config: AppConfig;
}

/** A doc and how to write it from the app synthesized for a profile (`app`) and cdk.json's `context`. */
interface Doc {
  readonly writes: string;
  readonly write: (app: (profile: string) => Synthesized, context: Record<string, unknown>) => Promise<void> | void;
}

const DOCS: readonly Doc[] = [
  // First, so an edit in another layout than prettier's passes npm test's format check.
  { writes: "cdk.json in prettier's layout", write: () => formatCdkJson() },
  { writes: 'docs/config.md and the JSON Schema of cdk.json', write: () => writeConfigReference() },
  {
    writes: 'docs/architecture.svg',
    write: (app, context) => {
      const { assembly, config } = app(String(context.profile));
      writeOrCheck(DIAGRAM_PATH, drawArchitecture(assembly, config), {
        check: false,
        shown: 'docs/architecture.svg',
        command: 'npm run regen',
      });
    },
  },
  {
    writes: "docs/cost.md and README.md's cost summary",
    write: async (app, context) => {
      const prices = PriceTable.load();
      const metricSeries = MetricSeries.load();
      const estimates = estimateEach(profilesToPrice(context, {}), prices, (profile) => {
        const { assembly, config } = app(profile);
        return estimateAssembly(assembly, config, { ...context, profile }, prices, metricSeries);
      });
      await writeCostDocs(estimates);
    },
  },
  {
    writes: 'docs/resilience.md',
    write: (app, context) => writeResilienceDoc(modelRecovery(stacksOf(app(String(context.profile)).assembly))),
  },
];

/**
 * Writes each doc, synthesizing a profile of cdk.json once for all the docs that read it (as the
 * tools do: without cdk-nag or the template lint; one `npm run` script each would synthesize the
 * default profile three times). A failing doc does not stop the others. Resolves to whether every
 * doc was written.
 */
async function writeDocs(): Promise<boolean> {
  const context = cdkContext();
  const outdir = mkdtempSync(join(tmpdir(), 'blueprint-regen-'));
  try {
    const apps = new Map<string, Synthesized>();
    const synthesized = (profile: string): Synthesized => {
      if (!apps.has(profile)) {
        const { app, config } = buildApp({ ...context, profile }, join(outdir, profile));
        apps.set(profile, { assembly: app.synth(), config });
      }
      return apps.get(profile)!;
    };
    let ok = true;
    for (const doc of DOCS) {
      try {
        await doc.write(synthesized, context);
        console.log(`regen: ${doc.writes}`);
      } catch (error) {
        console.error(`regen: ${error instanceof Error ? error.message : String(error)}; ${doc.writes} not rewritten`);
        ok = false;
      }
    }
    return ok;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

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

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'no-snapshots': { type: 'boolean', default: false } } });
  if (!(await writeDocs())) return 1;
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
