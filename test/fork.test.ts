/**
 * A fork, done as FORKING.md says, on a copy of the repository: edit cdk.json, `npm run regen`,
 * then test/this-app.test.ts passes there. The other tests build from test/fixtures/context.json,
 * which a fork leaves alone (test/this-app.test.ts checks none reads cdk.json), so they need no
 * run in the copy; nor do the snapshots, which come from the fixture too (`--no-snapshots`).
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..');

/** What the fork of issue 15 changes, as a forker writes it into cdk.json's context. */
const FORK = {
  top: { appName: 'shopfront', domainName: 'shop.example.org' },
  profiles: {
    prod: {
      regions: ['eu-central-1', 'us-west-2'],
      primaryRegion: 'eu-central-1',
      'database.shards': 3,
      'resilience.drills': false,
      'compute.api.maxTasks': 12,
    },
    dev: { regions: ['eu-central-1'] },
  },
} as const;

/** Sets `path` (dotted) in `target`, making the objects on the way. */
function setPath(target: Record<string, any>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  let node = target;
  for (const key of keys) node = node[key] ??= {};
  node[last] = value;
}

/** The repository's files as git has them (committed, staged or new), in the work tree. */
function repositoryFiles(): string[] {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf-8',
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  return listed.stdout.split('\0').filter((file) => file && existsSync(join(ROOT, file)));
}

/** The repository's files, copied into a new directory, with its node_modules linked. */
function copyRepository(files: string[]): string {
  const copy = mkdtempSync(join(tmpdir(), 'blueprint-fork-'));
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(copy, file));
  }
  for (const modules of ['node_modules', 'service/node_modules']) {
    if (existsSync(join(ROOT, modules))) symlinkSync(join(ROOT, modules), join(copy, modules), 'dir');
  }
  return copy;
}

/** Runs `command` in `cwd`; the output's tail says why when it fails. */
function run(cwd: string, command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf-8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { status: result.status, tail: `${result.stdout}\n${result.stderr}`.split('\n').slice(-40).join('\n') };
}

describe('a fork that edits only cdk.json, then runs npm run regen', () => {
  let files: string[];
  let copy: string;
  let regen: ReturnType<typeof run>;
  beforeAll(() => {
    files = repositoryFiles();
    copy = copyRepository(files);
    const file = join(copy, 'cdk.json');
    const cdkJson = JSON.parse(readFileSync(file, 'utf-8'));
    Object.assign(cdkJson.context, FORK.top);
    for (const [profile, values] of Object.entries(FORK.profiles)) {
      for (const [path, value] of Object.entries(values)) setPath(cdkJson.context.profiles[profile], path, value);
    }
    // Laid out as an editor might, not as prettier would: regen puts it in prettier's layout.
    writeFileSync(file, `${JSON.stringify(cdkJson, null, 4)}\n`);
    regen = run(copy, 'npm', ['run', 'regen', '--', '--no-snapshots']);
  }, 600_000);
  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  test('regen succeeds and draws the fork: its name and regions, eu-central-1 the primary', () => {
    if (regen.status !== 0) throw new Error(`npm run regen failed in the fork:\n${regen.tail}`);
    const svg = readFileSync(join(copy, 'docs', 'architecture.svg'), 'utf-8');
    expect(svg).toContain('shopfront');
    expect([...svg.matchAll(/<g id="region-([a-z0-9-]+)">/g)].map((m) => m[1])).toEqual(['eu-central-1', 'us-west-2']);
  });

  test("changes only cdk.json and generated files, and leaves them in prettier's layout, as npm test checks", () => {
    // cdk.json is the fork's edit (and the live one is this-app's alone to read).
    const regenerated = files.filter(
      (file) => file !== 'cdk.json' && !readFileSync(join(copy, file)).equals(readFileSync(join(ROOT, file))),
    );
    for (const file of regenerated) expect(file).toMatch(/^(cdk\.schema\.json|README\.md|docs\/.+)$/);
    const changed = ['cdk.json', ...regenerated];
    // The files the fork left alone are the repository's own, which npm test checks.
    const check = run(copy, 'npx', ['prettier', '--check', '--ignore-unknown', ...changed]);
    if (check.status !== 0) throw new Error(`prettier --check failed in the fork:\n${check.tail}`);
  });

  test('passes test/this-app.test.ts there', () => {
    const thisApp = run(copy, 'npx', ['jest', '--ci', 'test/this-app.test.ts']);
    if (thisApp.status !== 0) throw new Error(`test/this-app.test.ts failed in the fork:\n${thisApp.tail}`);
  }, 600_000);
});
