// Runs this repository's TypeScript under plain `node --require`: each .ts file is stripped of its
// types by SWC as it is required, and nothing else is touched. A general-purpose loader (tsx)
// also inspects every JavaScript file the app loads — thousands in aws-cdk-lib — which cost
// about a fifth of synth time (bench/synth.mjs measures it).
//
// Two caches under node_modules/.cache (which `npm ci` wipes) keep repeated synths fast: SWC's
// output per .ts file, and a V8 code cache of the JavaScript under node_modules (see
// bin/code-cache.cjs and docs/decisions/0002). SYNTH_CODE_CACHE=0 turns both off.
const fs = require('node:fs');
const path = require('node:path');
const codeCache = require('./code-cache.cjs');

const useCache = process.env.SYNTH_CODE_CACHE !== '0';
const TRANSPILED_FILE = path.join(codeCache.CACHE_DIR, 'typescript.json');

const SWC_OPTIONS = {
  swcrc: false,
  sourceMaps: 'inline',
  module: { type: 'commonjs' },
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
};
// Output made by another SWC version or other options is thrown away.
const TRANSPILE_KEY = JSON.stringify([require('@swc/core/package.json').version, SWC_OPTIONS]);

/** @type {Record<string, { mtimeMs: number, size: number, code: string }>} */
let transpiled = {};
let transpiledChanged = false;
if (useCache) {
  try {
    const saved = JSON.parse(fs.readFileSync(TRANSPILED_FILE, 'utf-8'));
    if (saved.key === TRANSPILE_KEY) transpiled = saved.files;
  } catch {
    transpiled = {};
  }
  process.once('exit', () => {
    if (transpiledChanged) {
      codeCache.writeCacheFile(TRANSPILED_FILE, JSON.stringify({ key: TRANSPILE_KEY, files: transpiled }));
    }
  });
}

function transpile(filename) {
  const { transformSync } = require('@swc/core');
  return transformSync(fs.readFileSync(filename, 'utf-8'), { filename, ...SWC_OPTIONS }).code;
}

process.setSourceMapsEnabled(true);
require.extensions['.ts'] = function compileTypeScript(module, filename) {
  if (!useCache) return module._compile(transpile(filename), filename);
  const stat = fs.statSync(filename);
  let entry = transpiled[filename];
  if (!codeCache.matches(entry, stat)) {
    entry = transpiled[filename] = { mtimeMs: stat.mtimeMs, size: stat.size, code: transpile(filename) };
    transpiledChanged = true;
  }
  module._compile(entry.code, filename);
};

if (useCache) codeCache.install();
