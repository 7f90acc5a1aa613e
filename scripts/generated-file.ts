import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Writes a generated file, or with `check` exits 1 when the committed copy differs from
 * `contents`. `shown` names the file in messages; `command` is what regenerates it.
 */
export function writeOrCheck(
  path: string,
  contents: string,
  options: { check: boolean; shown: string; command: string },
): void {
  const { check, shown, command } = options;
  if (!check) {
    writeFileSync(path, contents);
    console.log(`wrote ${shown}`);
    return;
  }
  if (!existsSync(path) || readFileSync(path, 'utf-8') !== contents) {
    console.error(`${shown} is stale: run \`${command}\` and commit the result`);
    process.exit(1);
  }
  console.log(`${shown} is up to date`);
}
