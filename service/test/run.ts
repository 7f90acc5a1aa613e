/**
 * `npm test` entry: checks the Node.js version and, once, for PostgreSQL and Redis, then runs every test file with
 * node's test runner. Missing servers fail the run when CI=true; locally the integration
 * suites are skipped after one loud line (unit suites still run).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { missingServers } from './helpers/servers.js';

// The service needs what its `engines` says (node:sqlite for the queue emulator, cookie 2): say
// so in one line instead of one stack trace per test file.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 5)) {
  process.stderr.write(
    `FAIL: the service needs Node.js >= 22.5 (its image runs 24), this is ${process.version}; from the repository root, \`npm run test:service\` runs it on Node 24\n`,
  );
  process.exit(1);
}

const dir = fileURLToPath(new URL('.', import.meta.url));
// Test files spawn entrypoints by relative path (src/api.ts): run from the package root.
const root = fileURLToPath(new URL('..', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.test.ts'))
  .sort()
  .map((f) => `test/${f}`);

const missing = await missingServers();
if (missing) {
  if (process.env.CI === 'true') {
    process.stderr.write(`FAIL: CI=true but the test servers are ${missing}\n`);
    process.exit(1);
  }
  process.stderr.write(`\n!!! SKIPPING service integration tests: ${missing} (set CI=true to make this fail) !!!\n\n`);
}

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SERVICE_TESTS_SKIP: missing ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
});
// An interrupted run must not leave the test processes (and their servers) behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
