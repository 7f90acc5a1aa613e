import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CDK_JSON_CONTEXT } from './helpers';

const ROOT = join(__dirname, '..');
/** The command `cdk synth` runs, from cdk.json, so the test runs the app exactly as the CLI does. */
const APP_COMMAND: string[] = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf-8')).app.split(' ');

/** Runs bin/app.ts as `cdk synth` does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR. */
function runApp(overrides: Record<string, unknown>, env: Record<string, string> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'blueprint-bin-'));
  const result = spawnSync(process.execPath, APP_COMMAND.slice(1), {
    cwd: ROOT,
    encoding: 'utf-8',
    env: {
      ...process.env,
      ...env,
      CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, ...overrides }),
      CDK_OUTDIR: outdir,
    },
  });
  return { ...result, outdir };
}

/** Every template of a cloud assembly, by file name. */
function templates(outdir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(outdir)
      .filter((file) => file.endsWith('.template.json'))
      .map((file) => [file, readFileSync(join(outdir, file), 'utf-8')]),
  );
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

  test('the synth caches change nothing in the templates', () => {
    const uncached = runApp({ profile: 'dev' }, { SYNTH_CODE_CACHE: '0' });
    const filling = runApp({ profile: 'dev' });
    const cached = runApp({ profile: 'dev' });
    outdirs.push(uncached.outdir, filling.outdir, cached.outdir);
    for (const run of [uncached, filling, cached]) expect(run.status).toBe(0);
    expect(Object.keys(templates(uncached.outdir)).length).toBeGreaterThan(0);
    expect(templates(cached.outdir)).toEqual(templates(uncached.outdir));
    const cacheDir = join(ROOT, 'node_modules', '.cache', 'synth-code-cache');
    const files = readdirSync(cacheDir);
    expect(files).toContain('typescript.json');
    // Node 22.1+ keeps its own compile cache there instead of bin/code-cache.cjs's file.
    const builtIn = typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function';
    const ours = files.some((file) => file.startsWith(`${process.version}-${process.arch}-`) && file.endsWith('.bin'));
    expect(builtIn ? files.length > 1 : ours).toBe(true);
  });

  test('a changed module is compiled again, not served from the code cache', () => {
    // A module under node_modules, which the V8 code cache covers; removed afterwards.
    const dir = join(ROOT, 'node_modules', '.cache', 'code-cache-test');
    const file = join(dir, `changed-${process.pid}.js`);
    mkdirSync(dir, { recursive: true });
    const load = () =>
      spawnSync(
        process.execPath,
        ['--require', './bin/register.cjs', '-e', `console.log(require(${JSON.stringify(file)}))`],
        {
          cwd: ROOT,
          encoding: 'utf-8',
        },
      ).stdout.trim();
    try {
      writeFileSync(file, 'module.exports = "first";');
      expect(load()).toBe('first');
      expect(load()).toBe('first');
      writeFileSync(file, 'module.exports = "second version";');
      expect(load()).toBe('second version');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
