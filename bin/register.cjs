// Runs this repository's TypeScript under plain `node --require`: each .ts file is stripped of its
// types by SWC as it is required, and nothing else is touched. A general-purpose loader (tsx)
// also inspects every JavaScript file the app loads — thousands in aws-cdk-lib — which cost
// about a fifth of synth time (bench/synth.mjs measures it).
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

process.setSourceMapsEnabled(true);
require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf-8'), {
    filename,
    swcrc: false,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  });
  module._compile(code, filename);
};
