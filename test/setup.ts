/**
 * Runs before every test file (jest `setupFilesAfterEnv`).
 *
 * - CDK's built-in CloudFormation lint is off unless a file turns it back on: it costs seconds of
 *   start-up per synthesized app, most of jest's time before decision 16, and it is an app-level
 *   check that test/this-app.test.ts runs over every profile of cdk.json.
 * - Only test/this-app.test.ts (and the fork it runs in a copy) may read the live cdk.json: the
 *   other tests build from test/fixtures/context.json, so a fork's config edit cannot break them.
 */
import fs from 'node:fs';
import { join, resolve } from 'node:path';

process.env.CDK_VALIDATION = 'false';

const CDK_JSON = join(__dirname, '..', 'cdk.json');
/** The test files that may read cdk.json. */
export const READS_CDK_JSON = ['this-app.test.ts'].map((file) => join(__dirname, file));

// Node's fs is one module for every test file a worker runs: the guard is installed once, and
// each file records itself as the one running.
const GUARD = Symbol.for('blueprint.cdkJsonGuard');
const guarded = fs as typeof fs & { [GUARD]?: { testPath?: string } };
if (!guarded[GUARD]) {
  const state: { testPath?: string } = {};
  guarded[GUARD] = state;
  const readFileSync = fs.readFileSync;
  fs.readFileSync = function (this: unknown, path: unknown, ...rest: unknown[]) {
    if (typeof path === 'string' && resolve(path) === CDK_JSON) {
      const { testPath } = state;
      if (testPath && !READS_CDK_JSON.includes(testPath)) {
        throw new Error(
          `${testPath} read cdk.json: tests build from test/fixtures/context.json (test/helpers.ts); only test/this-app.test.ts checks the live cdk.json`,
        );
      }
    }
    return (readFileSync as (...args: unknown[]) => unknown).call(this, path, ...rest);
  } as typeof fs.readFileSync;
}
guarded[GUARD]!.testPath = expect.getState().testPath;
