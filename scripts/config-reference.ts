/**
 * Writes docs/config.md from the zod schema (lib/config/schema.ts) and the presets in cdk.json:
 * `npm run config-reference`; `npm run config-reference -- --check` exits 1 when the committed
 * file is stale. The table is formatted with the repository's prettier settings, so
 * `prettier --check` and this script agree byte for byte.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as markdownPlugin from 'prettier/plugins/markdown';
import * as prettier from 'prettier/standalone';
import { z } from 'zod';
import { writeOrCheck } from './generated-file';
import { configSchema, regionSchema } from '../lib/config/schema';

const REPOSITORY_ROOT = join(__dirname, '..');
export const CONFIG_REFERENCE_PATH = join(REPOSITORY_ROOT, 'docs', 'config.md');
const PROFILES = ['prod', 'dev'] as const;

/** One row of the reference: a leaf key, or an object section that is optional or described. */
export interface SchemaEntry {
  /** Dotted path as `-c` takes it, e.g. `compute.api.maxTasks`. */
  readonly path: string;
  /** `integer`, `string`, `list`, `map`, `section`, … */
  readonly type: string;
  /** What the schema accepts, in the words its error messages use. */
  readonly allowed: string;
  readonly optional: boolean;
  readonly description: string;
  /** An object whose keys have rows of their own. */
  readonly isSection: boolean;
}

type Schema = z.core.$ZodType;
type Def = z.core.$ZodTypeDef & Record<string, any>;

/** The defs of a schema's checks (`.int()`, `.min()`, `.regex()`, …). */
const checksOf = (def: Def): Array<Record<string, any>> => (def.checks ?? []).map((check) => check._zod.def);

/** Every key of `schema`, depth first in declaration order. */
export function schemaEntries(schema: Schema = configSchema, prefix = ''): SchemaEntry[] {
  const def = schema._zod.def as Def;
  return Object.entries(def.shape as Record<string, Schema>).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const { inner, optional, description } = unwrap(child);
    const innerDef = inner._zod.def as Def;
    if (innerDef.type !== 'object') return [leaf(path, inner, optional, description ?? `See \`${prefix}\`.`)];
    const rows = schemaEntries(inner, path);
    const heading: SchemaEntry = {
      path,
      type: 'section',
      allowed: 'an object of the keys below',
      optional,
      description: description ?? '',
      isSection: true,
    };
    return optional || description ? [heading, ...rows] : rows;
  });
}

/** Strips `.optional()` and friends, keeping the description wherever `.describe()` put it. */
function unwrap(schema: Schema): { inner: Schema; optional: boolean; description?: string } {
  let inner = schema;
  let optional = false;
  let description = describedAs(schema);
  for (;;) {
    const def = inner._zod.def as Def;
    if (!['optional', 'default', 'prefault', 'nullable'].includes(def.type)) break;
    optional ||= def.type !== 'nullable';
    inner = def.innerType;
    description ??= describedAs(inner);
  }
  return { inner, optional, description };
}

const describedAs = (schema: Schema) => z.globalRegistry.get(schema)?.description;

function leaf(path: string, schema: Schema, optional: boolean, description: string): SchemaEntry {
  return { path, type: typeOf(schema), allowed: allowedText(schema), optional, description, isSection: false };
}

function typeOf(schema: Schema): string {
  const def = schema._zod.def as Def;
  switch (def.type) {
    case 'number':
      return checksOf(def).some((check) => check.format === 'safeint') ? 'integer' : 'number';
    case 'array':
      return 'list';
    case 'record':
      return 'map';
    case 'union':
      return [...new Set((def.options as Schema[]).map(typeOf))].join(' or ');
    case 'literal':
      return typeof def.values[0];
    case 'string':
      return def.format && def.format !== 'regex' ? `string (${def.format})` : 'string';
    default:
      return def.type;
  }
}

/** The schema's own "allowed" text (what a config error prints), else one built from the def. */
function allowedText(schema: Schema): string {
  if (schema === regionSchema) return 'an AWS region listed in lib/config/regions.ts';
  const def = schema._zod.def as Def;
  if (def.type === 'enum')
    return Object.values(def.entries as Record<string, string>)
      .map((v) => `\`${v}\``)
      .join(', ');
  if (def.type === 'record') {
    const key = def.keyType === regionSchema ? 'region' : 'key';
    return errorText(schema) ?? `an object of ${key} → ${allowedText(def.valueType)}`;
  }
  if (def.type === 'boolean') return errorText(schema) ?? 'true or false';
  return errorText(schema) ?? typeOf(schema);
}

/** The message the schema's `allowed(…)` put on the type or its first check. */
function errorText(schema: Schema): string | undefined {
  const def = schema._zod.def as Def;
  for (const error of [def.error, ...checksOf(def).map((check) => check.error)]) {
    if (typeof error !== 'function') continue;
    const message = (error as (issue: unknown) => unknown)({ code: 'custom', input: undefined, path: [] }) as
      string | { message?: string } | undefined;
    const text = typeof message === 'string' ? message : message?.message;
    if (text) return text;
  }
  return undefined;
}

/** What each profile gives for every key: its preset, overlaid with the top-level cdk.json keys. */
function profileValues(context: Record<string, any>): Record<(typeof PROFILES)[number], Record<string, unknown>> {
  const topLevel = Object.fromEntries(
    Object.entries(context).filter(([key]) => key !== 'profiles' && key in (configSchema._zod.def as Def).shape),
  );
  const values = (profile: string) => ({ ...context.profiles?.[profile], ...topLevel, profile });
  return { prod: values('prod'), dev: values('dev') };
}

function valueAt(values: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], values);
}

function formatValue(value: unknown): string {
  if (value === undefined) return '—';
  if (Array.isArray(value)) return value.length ? value.map((v) => `\`${String(v)}\``).join(', ') : '`[]`';
  if (value !== null && typeof value === 'object') return `\`${JSON.stringify(value)}\``;
  return `\`${String(value)}\``;
}

/** A table cell: pipes escaped, and `<` outside code spans, which markdown would take for HTML. */
const cell = (text: string) =>
  text
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith('`') ? part : part.replace(/</g, '\\<')))
    .join('')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

/** docs/config.md as markdown, formatted as `prettier --write` would leave it. */
export async function renderConfigReference(
  context: Record<string, any> = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'cdk.json'), 'utf-8')).context,
): Promise<string> {
  const values = profileValues(context);
  const entries = schemaEntries();
  const sections = new Map<string, SchemaEntry[]>();
  for (const entry of entries) {
    const top = entry.path.split('.')[0];
    const isTopSection = entries.some((e) => e.path.startsWith(`${top}.`));
    const group = isTopSection ? top : 'top level';
    sections.set(group, [...(sections.get(group) ?? []), entry]);
  }
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated by scripts/config-reference.ts from lib/config/schema.ts and cdk.json. Do not edit: run `npm run config-reference`. -->',
    '',
    'Every key the app accepts, read from the zod schema in [`lib/config/schema.ts`](../lib/config/schema.ts), with what',
    'the two presets in [`cdk.json`](../cdk.json) set it to. A value comes from the chosen profile (`profiles.<profile>`),',
    'then the top-level keys of `cdk.json` context, then `-c key=value` on the command line: dotted paths reach nested keys',
    '(`-c compute.api.maxTasks=40`), lists are comma-separated (`-c regions=us-east-1,eu-west-1`), and maps and objects take',
    'JSON (`-c \'tags={"team":"web"}\'`). A bad value stops synth with one line naming the key, the value and what is allowed.',
    '',
    'The **prod** and **dev** columns show what each profile gives, top-level keys included; — means unset.',
    '',
    ...[...sections.keys()].map((name) => `- [${name}](#${name.replace(/ /g, '-')})`),
    '',
  ];
  for (const [name, rows] of sections) {
    lines.push(
      `## ${name}`,
      '',
      '| key | type | allowed | prod | dev | description |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const row of rows) {
      const allowed = `${row.allowed}${row.optional ? ' (optional)' : ''}`;
      const presets = PROFILES.map((profile) => {
        const value = valueAt(values[profile], row.path);
        return row.isSection ? (value === undefined ? '—' : '') : formatValue(value);
      });
      lines.push(`| ${[`\`${row.path}\``, row.type, allowed, ...presets, row.description].map(cell).join(' | ')} |`);
    }
    lines.push('');
  }
  const options = JSON.parse(readFileSync(join(REPOSITORY_ROOT, '.prettierrc.json'), 'utf-8'));
  return prettier.format(lines.join('\n'), { ...options, parser: 'markdown', plugins: [markdownPlugin] });
}

async function main(argv: readonly string[]): Promise<void> {
  const check = argv.includes('--check');
  const unknown = argv.filter((arg) => arg !== '--check');
  if (unknown.length) {
    console.error(`config-reference: unknown argument ${unknown[0]} (usage: npm run config-reference -- [--check])`);
    process.exit(2);
  }
  const markdown = await renderConfigReference();
  writeOrCheck(CONFIG_REFERENCE_PATH, markdown, {
    check,
    shown: 'docs/config.md',
    command: 'npm run config-reference',
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
