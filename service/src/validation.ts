import { z } from 'zod';

/** Deepest nesting accepted in client JSON (`data` of an item); JSON.stringify recurses, so depth must be bounded. */
export const MAX_JSON_DEPTH = 32;

// String.prototype.isWellFormed is in Node 20 but not in the ES2023 lib this package compiles against.
const isWellFormed = String.prototype['isWellFormed' as keyof string] as unknown as (this: string) => boolean;

/**
 * Why PostgreSQL would refuse or alter a string, or undefined when it is stored as sent:
 * text and jsonb cannot hold NUL, and a lone UTF-16 surrogate has no UTF-8 form (pg would send a
 * replacement character in text; jsonb refuses the escape).
 */
export function stringProblem(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000), which PostgreSQL cannot store';
  if (!isWellFormed.call(s)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

export interface JsonProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * The first reason a parsed JSON value cannot be stored unchanged, or undefined: a string or
 * key PostgreSQL refuses (see stringProblem), a number JSON cannot represent (1e400 parses as
 * Infinity, which JSON.stringify would turn into null), or nesting deeper than maxDepth.
 * Iterative, so a body nested thousands of levels deep cannot overflow the stack here.
 */
export function jsonProblem(root: unknown, maxDepth = MAX_JSON_DEPTH): JsonProblem | undefined {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: Array<string | number> };
    if (typeof value === 'string') {
      const problem = stringProblem(value);
      if (problem) return { path, message: problem };
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return { path, message: 'number is not finite (out of the range of a double)' };
    } else if (value !== null && typeof value === 'object') {
      // The root container is level 1.
      if (path.length >= maxDepth) return { path, message: `nested deeper than ${maxDepth} levels` };
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      } else {
        for (const key of Object.keys(value)) {
          const problem = stringProblem(key);
          if (problem) return { path, message: `a key ${problem}` };
          stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
        }
      }
    }
  }
  return undefined;
}

/** Refinement: a string PostgreSQL stores unchanged (see stringProblem). */
export function storableString(s: string, ctx: z.RefinementCtx): void {
  const message = stringProblem(s);
  if (message) ctx.addIssue({ code: 'custom', message });
}

/** A JSON object PostgreSQL (jsonb) stores unchanged and JSON.stringify can write (see jsonProblem). */
export const storableObject = () =>
  z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    // The object itself is the first level.
    const problem = jsonProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
  });
