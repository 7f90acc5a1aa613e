#!/usr/bin/env node
// cdk.json's `build`, which the CDK CLI runs before the app on every synth, diff and deploy:
// esbuild bundles bin/app.ts and everything of ours it imports into build/app.js, which cdk.json's
// `app` runs with plain node. Packages stay outside the bundle and load from node_modules as they
// are. One esbuild run costs less than transpiling our files one by one as they load (decision 2).
// No type-check here: `npm test` runs tsc. CommonJS, as it starts faster than an ES module.
'use strict';

const { join } = require('node:path');

// One esbuild process that this one waits for, instead of esbuild's worker thread and the service
// process it leaves running: cheaper for one build, and counted in the synth's CPU time.
process.env.ESBUILD_WORKER_THREADS = '0';
const { buildSync } = require('esbuild');

try {
  buildSync({
    absWorkingDir: join(__dirname, '..'),
    entryPoints: ['bin/app.ts'],
    // One level below the root, as lib/ is: lib/project-paths.ts finds the root from either.
    outfile: 'build/app.js',
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    // package.json's engines: the same output, so the same templates, on every Node version.
    target: 'node20',
    // Stack traces name our .ts files: cdk.json runs the app with node --enable-source-maps.
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
  });
} catch {
  // esbuild has printed each error with its file and line.
  process.exit(1);
}
