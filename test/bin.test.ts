import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CDK_JSON_CONTEXT } from './helpers';

const ROOT = join(__dirname, '..');
/** The command `cdk synth` runs, from cdk.json, so the test runs the app exactly as the CLI does. */
const APP_COMMAND: string[] = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf-8')).app.split(' ');

/** Runs bin/app.ts as `cdk synth` does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR. */
function runApp(overrides: Record<string, unknown>) {
  const outdir = mkdtempSync(join(tmpdir(), 'blueprint-bin-'));
  const result = spawnSync(process.execPath, APP_COMMAND.slice(1), {
    cwd: ROOT,
    encoding: 'utf-8',
    env: {
      ...process.env,
      CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, ...overrides }),
      CDK_OUTDIR: outdir,
    },
  });
  return { ...result, outdir };
}

describe('bin/app.ts', () => {
  const outdirs: string[] = [];
  afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test('a bad config value exits 1 with one line, no stack trace, and writes nothing', () => {
    const run = runApp({ regions: 'us-east-1,us-east-9' });
    outdirs.push(run.outdir);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^config error: regions\[1\] = "us-east-9" is not an AWS region \(allowed: us-east-1, /),
    ]);
    expect(existsSync(join(run.outdir, 'manifest.json'))).toBe(false);
  });

  test('the dev profile synthesizes its stacks', () => {
    const run = runApp({ profile: 'dev' });
    outdirs.push(run.outdir);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    for (const stack of ['blueprint-Data-us-east-1', 'blueprint-Service-us-east-1', 'blueprint-Edge']) {
      expect(existsSync(join(run.outdir, `${stack}.template.json`))).toBe(true);
    }
  });
});
