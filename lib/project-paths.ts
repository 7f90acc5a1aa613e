import { join, resolve } from 'node:path';

/**
 * The directory of cdk.json and package.json. This module sits one level below it, and so does
 * build/app.js, the bundle cdk.json runs (bin/build.cjs), so `..` finds the root from either.
 * Elsewhere in lib/ and bin/, `__dirname` would be build/ in the bundle: use projectPath.
 */
export const PROJECT_ROOT = resolve(__dirname, '..');

/** A path inside the project, such as the service's or the site's directory. */
export function projectPath(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}
