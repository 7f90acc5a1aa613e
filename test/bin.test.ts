import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_COMMAND, BUILD_COMMAND, TEST_CONTEXT } from './helpers';

const ROOT = join(__dirname, '..');

function runBuild(cwd: string) {
  return spawnSync(process.execPath, BUILD_COMMAND.split(' ').slice(1), { cwd, encoding: 'utf-8' });
}

// `cdk synth` runs cdk.json's build, then the app; the build's bundle serves every run below.
beforeAll(() => {
  const build = runBuild(ROOT);
  expect(build.stderr).toBe('');
  expect(build.status).toBe(0);
});

/** Runs the bundled app as `cdk synth` does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR. */
function runApp(overrides: Record<string, unknown>, env: Record<string, string | undefined> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'blueprint-bin-'));
  const result = spawnSync(process.execPath, APP_COMMAND.split(' ').slice(1), {
    cwd: ROOT,
    encoding: 'utf-8',
    env: {
      ...process.env,
      ...env,
      CDK_CONTEXT_JSON: JSON.stringify({ ...TEST_CONTEXT, ...overrides }),
      CDK_OUTDIR: outdir,
    },
  });
  return { ...result, outdir };
}

describe('bin/build.cjs', () => {
  test('bundles every module of ours into build/app.js and leaves packages to node_modules', () => {
    const bundle = readFileSync(join(ROOT, 'build', 'app.js'), 'utf-8');
    expect(bundle).toContain('// lib/app.ts');
    expect(bundle).not.toMatch(/require\(["']\.{1,2}\//);
    expect(bundle).toMatch(/require\("aws-cdk-lib"\)/);
  });

  test('no module of ours finds a path by __dirname or __filename: in the bundle they are build/ for all', () => {
    const offenders = ['lib', 'bin']
      .flatMap((dir) => readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf-8' }).map((f) => `${dir}/${f}`))
      .filter((file) => file.endsWith('.ts') && file !== 'lib/project-paths.ts')
      .filter((file) => /\b__(dirname|filename)\b/.test(readFileSync(join(ROOT, file), 'utf-8')));
    if (offenders.length > 0) {
      throw new Error(
        `${offenders.join(', ')}: name the project's directories with projectPath (lib/project-paths.ts)`,
      );
    }
  });

  test("stops on a syntax error with esbuild's message naming the file and line, and exit 1", () => {
    const project = mkdtempSync(join(tmpdir(), 'blueprint-build-'));
    try {
      mkdirSync(join(project, 'bin'));
      writeFileSync(join(project, 'bin', 'build.cjs'), readFileSync(join(ROOT, 'bin', 'build.cjs')));
      writeFileSync(join(project, 'bin', 'app.ts'), 'const broken = ;\n');
      symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
      const build = runBuild(project);
      expect(build.status).toBe(1);
      expect(build.stderr).toContain('bin/app.ts:1:');
      expect(build.stderr).not.toMatch(/^\s+at /m);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe('build/app.js (bin/app.ts)', () => {
  const outdirs: string[] = [];
  afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test('a bad config value exits 1 with one line, no stack trace, and writes nothing', () => {
    const run = runApp({ regions: 'us-east-1,us-east-9' });
    outdirs.push(run.outdir);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^config error: regions\[1\] = "us-east-9" is not in lib\/config\/regions\.ts \(allowed: us-east-1, /,
      ),
    ]);
    expect(existsSync(join(run.outdir, 'manifest.json'))).toBe(false);
  });

  test("a construct's own invariant that the config lets through exits 1 with one line naming the construct and prop", () => {
    // The ALB health-check timeout (5 s) must be shorter than the interval the config sets.
    const run = runApp({ 'compute.api.healthCheckIntervalSeconds': '5' });
    outdirs.push(run.outdir);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^prop error: blueprint-Service-[a-z0-9-]+\/Api: healthCheck\.timeout = "5 seconds" is not shorter than healthCheck\.interval /,
      ),
    ]);
  });

  describe('the dev profile', () => {
    // Node keeps its compile cache in os.tmpdir()/node-compile-cache: a TMPDIR of the test's own
    // shows whether the app turned it on.
    let tmp: string;
    let run: ReturnType<typeof runApp>;
    beforeAll(() => {
      tmp = mkdtempSync(join(tmpdir(), 'blueprint-bin-tmp-'));
      run = runApp(
        { profile: 'dev' },
        { TMPDIR: tmp, NODE_COMPILE_CACHE: undefined, NODE_DISABLE_COMPILE_CACHE: undefined },
      );
      outdirs.push(run.outdir, tmp);
    });

    test('synthesizes its stacks', () => {
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      for (const stack of ['blueprint-Data-us-east-1', 'blueprint-Service-us-east-1', 'blueprint-Edge']) {
        expect(existsSync(join(run.outdir, `${stack}.template.json`))).toBe(true);
      }
    });

    test('records stack traces that name our .ts files, not the bundle (source maps on)', () => {
      const metadata = readdirSync(run.outdir)
        .filter((file) => file.endsWith('.metadata.json'))
        .map((file) => readFileSync(join(run.outdir, file), 'utf-8'))
        .join('\n');
      expect(metadata).toMatch(/\/lib\/constructs\/[a-z-]+\.ts:\d+:\d+/);
      expect(metadata).not.toContain('build/app.js');
    });

    test("turns on Node's compile cache where Node has one (22.8+), and runs without it on Node 20", () => {
      const nodeHasCache = typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function';
      expect(existsSync(join(tmp, 'node-compile-cache'))).toBe(nodeHasCache);
    });
  });
});
