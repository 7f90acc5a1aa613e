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
import { REPOSITORY_ROOT } from './common/assembly';
import { commandLine, run } from './common/cli';
import { writeOrCheck } from './common/generated';
import { DIAGRAM_PATH, renderArchitecture } from './diagram/index';

run('diagram', () => {
  const { values, context } = commandLine(
    process.argv.slice(2),
    'npm run diagram -- [--check] [--out file] [-c key=value ...]',
    { check: { type: 'boolean' }, out: { type: 'string' } },
  );
  const out = values.out === undefined ? DIAGRAM_PATH : resolve(values.out);
  const svg = renderArchitecture(context);
  const inRepository = relative(REPOSITORY_ROOT, out);
  const shown = inRepository.startsWith('..') ? out : inRepository;
  writeOrCheck(out, svg, { check: values.check ?? false, shown, command: 'npm run diagram' });
});
