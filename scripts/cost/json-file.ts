import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../lib/config';
import { CostError } from './errors';

/**
 * Reads a committed JSON input of the model. A missing or unparsable file is a `CostError`; the
 * first schema issue is a one-line `ConfigError` naming the file, the key and the value found there.
 */
export function readJsonFile<T>(file: string, label: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf-8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `is not JSON (${String(error)})`;
    throw new CostError(`${label} ${reason.split('\n')[0]}`, `restore it from git (git checkout -- ${label})`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const found = issue.path.reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined),
      raw,
    );
    throw new ConfigError(`${label} › ${issue.path.join('.')}`, found, issue.message, 'is invalid');
  }
  return parsed.data;
}
