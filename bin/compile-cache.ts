// Node 22.8+ keeps the code V8 compiled on disk and reuses it while a file is unchanged
// (`module.enableCompileCache`), so a repeated synth skips compiling aws-cdk-lib and cdk-nag
// again. The cache lives in os.tmpdir()/node-compile-cache, or in $NODE_COMPILE_CACHE;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. Node 20 has no such cache, and this does nothing.
// bin/app.ts imports this module first: it caches only what loads after it.
import * as nodeModule from 'node:module';

const { enableCompileCache } = nodeModule as { enableCompileCache?: () => unknown };
enableCompileCache?.();
