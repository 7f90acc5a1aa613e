#!/usr/bin/env node
// Synth-time benchmark. Times `npx cdk synth` of the whole app (its real runner from cdk.json)
// against a floor measured in the same run: a one-bucket app that plain `node` runs from
// JavaScript, through the same CDK CLI. Prints medians and ratios, never asserts.
// It takes both wall-clock and CPU time (user + system of the whole process tree, where the
// platform reports it): on a shared machine the wall clock mostly measures the neighbours, while
// CPU time stays close to the work the synth itself does.
//
//   npm run bench:synth            # 3 runs of each
//   npm run bench:synth -- 5       # 5 runs of each
//   npm run bench:synth -- 5 --baseline ../older-checkout
//                                  # also time another checkout (npm ci'd) of this app, e.g. an
//                                  # earlier commit, and print our time against it
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { BASELINE, RUNS } = (() => {
  try {
    const { values, positionals } = parseArgs({ allowPositionals: true, options: { baseline: { type: 'string' } } });
    const runs = Number(positionals[0] ?? 3);
    if (positionals.length > 1 || !Number.isInteger(runs) || runs < 1) throw new Error('runs must be one integer >= 1');
    return { BASELINE: values.baseline, RUNS: runs };
  } catch (error) {
    console.error(`bench:synth: ${error.message} (usage: npm run bench:synth -- [runs] [--baseline dir])`);
    process.exit(1);
  }
})();
const require = createRequire(join(ROOT, 'package.json'));

// The floor app lives under the repo so `npx cdk` resolves the project's pinned CLI.
const floorDir = join(ROOT, 'bench', '.floor');
rmSync(floorDir, { recursive: true, force: true });
mkdirSync(floorDir, { recursive: true });
writeFileSync(
  join(floorDir, 'app.js'),
  `const cdk = require(${JSON.stringify(require.resolve('aws-cdk-lib'))});
const s3 = require(${JSON.stringify(require.resolve('aws-cdk-lib/aws-s3'))});
const app = new cdk.App();
new s3.Bucket(new cdk.Stack(app, 'Floor'), 'Bucket');
app.synth();
`,
);
writeFileSync(join(floorDir, 'cdk.json'), JSON.stringify({ app: 'node app.js' }));

const outRoot = mkdtempSync(join(tmpdir(), 'bench-synth-'));
const cases = [
  { name: 'floor: one bucket, plain node', cwd: floorDir, args: [] },
  { name: 'app, 1 region', cwd: ROOT, args: ['-c', 'regions=us-east-1'] },
  { name: 'app, 2 regions', cwd: ROOT, args: ['-c', 'regions=us-east-1,eu-west-1'] },
  { name: 'app, 3 regions (default)', cwd: ROOT, args: [] },
  // The app skips CDK's built-in template lint (npm test runs it); this shows what it costs.
  { name: 'app, 3 regions, CFN lint on', cwd: ROOT, args: [], env: { CDK_VALIDATION: 'true' } },
  // What Node 22.8+'s compile cache saves (Node 20 has none): a first synth.
  {
    name: 'app, 3 regions, no cache',
    cwd: ROOT,
    args: [],
    env: { NODE_DISABLE_COMPILE_CACHE: '1' },
  },
  ...(BASELINE ? [{ name: `baseline, ${BASELINE}`, cwd: BASELINE, args: [] }] : []),
];

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf-8' }));
  } catch {
    return NaN;
  }
})();

/**
 * CPU seconds (user + system) of this process's finished children and all their descendants, or
 * undefined where /proc is missing. Linux counts a child in once it has been waited for: every
 * process of the app's synth waits for its own children, but a process left running by one that
 * exits is not counted (such as the esbuild service that esbuild-register and esbuild's
 * asynchronous API leave behind). Compare such a baseline with `perf stat`, which counts them.
 */
function childrenCpuSeconds() {
  try {
    // Fields after the command name: cutime and cstime are the 14th and 15th, in clock ticks.
    const fields = readFileSync('/proc/self/stat', 'utf-8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function timeSynth(testCase, run) {
  const { cwd, args, env } = testCase;
  const output = join(outRoot, `${cases.indexOf(testCase)}-${run}`);
  const cpuBefore = childrenCpuSeconds();
  const start = process.hrtime.bigint();
  execFileSync('npx', ['cdk', 'synth', '--quiet', '--output', output, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuAfter = childrenCpuSeconds();
  const cpu = cpuAfter - cpuBefore;
  return { wall, cpu: Number.isFinite(cpu) ? cpu : undefined };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Warm the file cache once, then interleave the cases so machine drift hits all of them alike.
for (const c of cases) timeSynth(c, 'warmup');
const samples = cases.map(() => []);
for (let run = 0; run < RUNS; run++) {
  cases.forEach((c, i) => samples[i].push(timeSynth(c, run)));
}
rmSync(outRoot, { recursive: true, force: true });
rmSync(floorDir, { recursive: true, force: true });

function report(measure, label) {
  const times = samples.map((runs) => runs.map((sample) => sample[measure]));
  if (times.some((runs) => runs.includes(undefined))) return;
  const medians = times.map(median);
  const [floor, one, , three, threeLinted, threeUncached, baseline] = medians;
  console.log(`${label}, median of ${RUNS} runs each (after one warm-up):`);
  cases.forEach((c, i) =>
    console.log(
      `  ${c.name.padEnd(28)} ${medians[i].toFixed(2)} s   (${times[i].map((t) => t.toFixed(2)).join(', ')})`,
    ),
  );
  console.log(`ratios against the floor (${label}):`);
  console.log(`  app (3 regions) / floor              ${(three / floor).toFixed(2)}   target <= 1.00`);
  console.log(`  ((3 regions - 1 region) / 2) / floor ${((three - one) / 2 / floor).toFixed(3)}  target <= 0.15`);
  console.log(
    `  app (3 regions, CFN lint on) / floor ${(threeLinted / floor).toFixed(2)}   (for reference: what the lint adds)`,
  );
  console.log(
    `  app (3 regions, no cache) / floor    ${(threeUncached / floor).toFixed(2)}   (for reference: the first synth after npm ci)`,
  );
  if (baseline !== undefined) {
    console.log(`  baseline / floor                     ${(baseline / floor).toFixed(2)}`);
    console.log(`  app (3 regions) / baseline           ${(three / baseline).toFixed(2)}`);
  }
}
report('wall', 'wall-clock synth times');
report('cpu', 'CPU time (user + system) of each synth');
