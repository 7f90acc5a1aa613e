import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../lib/config';

/**
 * Reads a committed JSON input of the model; the first schema issue is a one-line error naming
 * the file, the key and the value found there.
 */
export function readJsonFile<T>(file: string, label: string, schema: z.ZodType<T>): T {
  const raw: unknown = JSON.parse(readFileSync(file, 'utf-8'));
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
