// A V8 code cache for the CommonJS modules the synth loads from node_modules.
//
// Node 22.1+ has this built in (module.enableCompileCache), and install() uses it there; Node 20,
// our floor, does not. Each module under node_modules is compiled with the cached data of the
// previous run, so V8 skips parsing and compiling what it compiled before (including functions
// compiled lazily during that run: the data is taken after the app ran, at exit). An entry is
// used only while the file's size and mtime match; V8 itself rejects data from another V8
// version or flags. Everything lives in one file under node_modules/.cache, which `npm ci` wipes.
const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');

const ROOT = path.join(__dirname, '..');
const NODE_MODULES = path.join(ROOT, 'node_modules') + path.sep;
// V8 rejects code cached under other flags, so each set of node flags keeps its own file.
const FLAGS = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
/** Where both synth caches live: `npm ci` wipes node_modules, and them with it. */
const CACHE_DIR = path.join(NODE_MODULES, '.cache', 'synth-code-cache');
const CACHE_FILE = path.join(
  CACHE_DIR,
  `${process.version}-${process.arch}-${crypto.createHash('sha256').update(FLAGS).digest('hex').slice(0, 12)}.bin`,
);

/** Whether a cache entry was made from the file as it is now: same size, same mtime. */
function matches(entry, stat) {
  return entry !== undefined && entry.mtimeMs === stat.mtimeMs && entry.size === stat.size;
}

/**
 * Writes a cache file aside and renames it into place, so a concurrent synth never reads half
 * of one. A read-only or full disk only costs the next run its cache.
 */
function writeCacheFile(file, contents) {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, contents);
    fs.renameSync(partial, file);
  } catch {
    // Nothing to do: the cache is an optimization.
  }
}

/** @typedef {{ mtimeMs: number, size: number, data: Buffer }} Entry */

function readCache() {
  try {
    /** @type {Map<string, Entry>} */
    const entries = v8.deserialize(fs.readFileSync(CACHE_FILE));
    return entries instanceof Map ? entries : new Map();
  } catch {
    return new Map();
  }
}

/** What Node's own `require` inside a module offers, built on the public Module API. */
function makeRequire(module) {
  const require = (id) => module.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, module);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

function install() {
  // Node 22.1+ caches compiled code itself, for every module format: use that where it exists.
  if (typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache(CACHE_DIR);
    return;
  }
  const entries = readCache();
  /** Scripts compiled without usable data: their data is taken at exit. */
  const fresh = new Map();
  const originalCompile = Module.prototype._compile;

  Module.prototype._compile = function compileWithCache(content, filename, ...rest) {
    const commonJs = rest[0] === undefined || rest[0] === 'commonjs';
    if (!commonJs || !filename.startsWith(NODE_MODULES) || !(filename.endsWith('.js') || filename.endsWith('.cjs'))) {
      return originalCompile.call(this, content, filename, ...rest);
    }
    const stat = fs.statSync(filename);
    const entry = entries.get(filename);
    const usable = matches(entry, stat);
    // A leading hashbang is legal only at the start of a script, not inside the wrapper.
    const source = Module.wrap(content.startsWith('#!') ? '//' + content : content);
    const script = new vm.Script(source, {
      filename,
      cachedData: usable ? entry.data : undefined,
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    if (!usable || script.cachedDataRejected) fresh.set(filename, { script, mtimeMs: stat.mtimeMs, size: stat.size });
    const wrapper = script.runInThisContext({ displayErrors: true });
    return wrapper.call(this.exports, this.exports, makeRequire(this), this, filename, path.dirname(filename));
  };

  process.once('exit', () => {
    if (fresh.size === 0) return;
    for (const [filename, { script, mtimeMs, size }] of fresh) {
      entries.set(filename, { mtimeMs, size, data: script.createCachedData() });
    }
    writeCacheFile(CACHE_FILE, v8.serialize(entries));
  });
}

module.exports = { CACHE_DIR, install, matches, writeCacheFile };
