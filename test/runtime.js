// jest's runtime (jest.config.js `runtime`) with V8's code cache kept in each worker process.
//
// Every test file gets a fresh module registry, so a worker compiles aws-cdk-lib's modules again
// for each file it runs (decision 16 has the figures). Here the first file's
// compilation leaves V8's code cache for each module, and later files in the same worker give it
// back to V8 instead of parsing again. Modules still load and run anew in every file; a cache
// entry serves only the exact source it was made from. If jest's internals change shape (its
// module executor's `compile`), this is plain jest-runtime: slower, nothing else (decision 16).
const vm = require('node:vm');
const Runtime = require('jest-runtime').default;

/** filename -> { source, data }, for the life of the worker process. */
const codeCache = new Map();

module.exports = class CodeCachingRuntime extends Runtime {
  constructor(...args) {
    super(...args);
    const executor = this.executor;
    if (typeof executor?.compile !== 'function' || !Array.isArray(executor.injectedModuleParameters)) return;
    const compile = executor.compile.bind(executor);
    executor.compile = (source, filename) => {
      const context = executor.environment.getVmContext();
      if (!context || executor.resolution.isCoreModule(filename)) return compile(source, filename);
      const cached = codeCache.get(filename);
      const reuse = cached !== undefined && cached.source === source;
      let compiled;
      try {
        compiled = vm.compileFunction(source, executor.injectedModuleParameters, {
          filename,
          parsingContext: context,
          importModuleDynamically: (specifier, _fn, attributes, ...rest) =>
            executor.dynamicImport(specifier, filename, context, attributes, rest[0]),
          ...(reuse ? { cachedData: cached.data } : { produceCachedData: true }),
        });
      } catch {
        return compile(source, filename); // jest's own compile reports the error as jest does
      }
      if (!reuse && compiled.cachedData) codeCache.set(filename, { source, data: compiled.cachedData });
      return compiled;
    };
  }
};
