/**
 * Draws docs/architecture.svg from the synthesized app: `npm run diagram`.
 *
 *   npm run diagram                      regenerate docs/architecture.svg (the default app)
 *   npm run diagram -- --check           exit 1 if the committed picture is stale
 *   npm run diagram -- -c regions=us-east-1,eu-west-1 --out /tmp/two-regions.svg
 *
 * `-c key=value` overrides config as `cdk synth -c` does; pair it with `--out`, since the
 * committed picture is of the default app. Needs only Node.js: no Graphviz, no browser.
 */
import { relative, resolve } from 'node:path';
import { ConfigError } from '../lib/config';
import { DIAGRAM_PATH, REPOSITORY_ROOT, renderArchitecture } from './diagram/index';
import { writeOrCheck } from './generated-file';

function parseArgs(argv: readonly string[]): { check: boolean; out: string; context: Record<string, string> } {
  const context: Record<string, string> = {};
  let check = false;
  let out = DIAGRAM_PATH;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--check') check = true;
    else if (arg === '--out') out = resolve(argv[++i] ?? usage(`--out needs a file`));
    else if (arg === '-c' || arg === '--context') {
      const pair = argv[++i] ?? usage(`${arg} needs key=value`);
      const at = pair.indexOf('=');
      if (at < 1) usage(`${arg} ${pair}: expected key=value`);
      context[pair.slice(0, at)] = pair.slice(at + 1);
    } else usage(`unknown argument ${arg}`);
  }
  return { check, out, context };
}

function usage(problem: string): never {
  console.error(`diagram: ${problem} (usage: npm run diagram -- [--check] [--out file] [-c key=value ...])`);
  process.exit(2);
}

const { check, out, context } = parseArgs(process.argv.slice(2));
let svg: string;
try {
  svg = renderArchitecture(context);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`config error: ${error.message}`);
  process.exit(1);
}
const inRepository = relative(REPOSITORY_ROOT, out);
const shown = inRepository.startsWith('..') ? out : inRepository;
writeOrCheck(out, svg, { check, shown, command: 'npm run diagram' });
