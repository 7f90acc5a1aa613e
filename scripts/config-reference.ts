/**
 * Writes docs/config.md and cdk.schema.json (the JSON Schema editors check cdk.json against) from
 * the zod schema (lib/config/schema.ts) and the profiles in cdk.json: `npm run config-reference`;
 * `npm run config-reference -- --check` exits 1 when a committed file is stale. Both are formatted
 * with the repository's prettier settings, so `prettier --check` and this script agree byte for byte.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as babelPlugin from 'prettier/plugins/babel';
import * as estreePlugin from 'prettier/plugins/estree';
import * as markdownPlugin from 'prettier/plugins/markdown';
import * as prettier from 'prettier/standalone';
import { z } from 'zod';
import { commandLine, run } from './common/cli';
import { writeOrCheck } from './common/generated';
import { configInput, parseConfig } from '../lib/config/load';
import { configSchema, regionSchema } from '../lib/config/schema';

const REPOSITORY_ROOT = join(__dirname, '..');
export const CONFIG_REFERENCE_PATH = join(REPOSITORY_ROOT, 'docs', 'config.md');
export const CONFIG_JSON_SCHEMA_PATH = join(REPOSITORY_ROOT, 'cdk.schema.json');

/** One row of the reference: a leaf key, or an object section that is optional or described. */
export interface SchemaEntry {
  /** Dotted path as `-c` takes it, e.g. `compute.api.maxTasks`. */
  readonly path: string;
  /** `integer`, `string`, `list`, `map`, `section`, … */
  readonly type: string;
  /** What the schema accepts, in the words its error messages use. */
  readonly allowed: string;
  /** Unset unless given (`.optional()` without a default). */
  readonly optional: boolean;
  /** `null` turns it off (a key on by default). */
  readonly nullable: boolean;
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
    const { inner, optional, nullable, description } = unwrap(child);
    const innerDef = inner._zod.def as Def;
    if (innerDef.type !== 'object') {
      return [leaf(path, inner, optional, nullable, description ?? `See \`${prefix}\`.`)];
    }
    const rows = schemaEntries(inner, path);
    const heading: SchemaEntry = {
      path,
      type: 'section',
      allowed: 'an object of the keys below',
      optional,
      nullable,
      description: description ?? '',
      isSection: true,
    };
    return optional || nullable || description ? [heading, ...rows] : rows;
  });
}

/** Strips `.optional()`, defaults and friends, keeping the description wherever `.describe()` put it. */
function unwrap(schema: Schema): { inner: Schema; optional: boolean; nullable: boolean; description?: string } {
  let inner = schema;
  let optional = false;
  let hasDefault = false;
  let nullable = false;
  let description = describedAs(schema);
  for (;;) {
    const def = inner._zod.def as Def;
    if (def.type === 'pipe') inner = def.in;
    else if (['optional', 'default', 'prefault', 'nullable'].includes(def.type)) {
      optional ||= def.type === 'optional';
      hasDefault ||= def.type === 'default' || def.type === 'prefault';
      nullable ||= def.type === 'nullable';
      inner = def.innerType;
    } else break;
    description ??= describedAs(inner);
  }
  return { inner, optional: optional && !hasDefault, nullable, description };
}

const describedAs = (schema: Schema) => z.globalRegistry.get(schema)?.description;

function leaf(path: string, schema: Schema, optional: boolean, nullable: boolean, description: string): SchemaEntry {
  const type = typeOf(schema);
  return { path, type, allowed: allowedText(schema), optional, nullable, description, isSection: false };
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

/** The keys without a default: every profile chain must set them. */
const REQUIRED_KEYS: readonly string[] = inputJsonSchema().required ?? [];

/** What the schema gives a profile that sets only the required keys (placeholders, not shown). */
function defaultValues(): Record<string, unknown> {
  const placeholders = { profile: 'default', appName: 'app', domainName: 'example.com' };
  return configSchema.parse(
    Object.fromEntries(REQUIRED_KEYS.map((key) => [key, placeholders[key as keyof typeof placeholders]])),
  );
}

/** The schema as JSON Schema, as it is written (defaults make keys optional). */
function inputJsonSchema(): { properties: Record<string, any>; required?: string[] } {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as any;
}

/** A JSON Schema with nothing required at any depth: what a profile or an override may give. */
function withoutRequired(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutRequired);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => key !== 'required')
      .map(([key, value]) => [key, withoutRequired(value)]),
  );
}

/**
 * cdk.json's JSON Schema: the CDK's own settings left open, and in `context` the profiles, the
 * config keys as top-level overrides, and CDK-owned keys (feature flags) by their pattern.
 */
export function cdkJsonSchema(): Record<string, unknown> {
  const { properties } = withoutRequired(inputJsonSchema()) as { properties: Record<string, any> };
  const { profile, ...keys } = properties;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'cdk.json of this app',
    description:
      'Generated by scripts/config-reference.ts from lib/config/schema.ts: run `npm run config-reference`. docs/config.md explains every key.',
    type: 'object',
    properties: {
      $schema: { type: 'string' },
      build: { type: 'string', description: 'Command the CDK CLI runs before the app: bin/build.cjs bundles it.' },
      app: { type: 'string', description: 'Command the CDK CLI runs to synthesize the app.' },
      watch: { type: 'object', description: 'Files `cdk watch` follows.' },
      context: {
        type: 'object',
        properties: {
          profile: { type: 'string', description: profile.description },
          'acknowledged-issue-numbers': {
            type: 'array',
            description: 'CDK notices acknowledged with `cdk acknowledge`.',
          },
          profiles: {
            type: 'object',
            description:
              'Profiles by name; each lists only what differs from the defaults or from the profile it extends.',
            additionalProperties: { $ref: '#/$defs/profile' },
          },
          ...keys,
        },
        patternProperties: {
          '^@|:': { description: "A CDK feature flag or another of the CDK's own context keys." },
          '^[a-zA-Z]+\\.': { description: 'A nested config key as `-c` takes it, e.g. `compute.api.maxTasks`.' },
        },
        additionalProperties: false,
      },
    },
    $defs: {
      profile: {
        type: 'object',
        properties: {
          extends: { type: 'string', description: 'Profile whose keys this one starts from; its own keys win.' },
          ...keys,
        },
        additionalProperties: false,
      },
    },
  };
}

/** `text` as `prettier --write` would leave it in a file of that kind, with the repository's settings. */
function formatted(text: string, parser: 'json' | 'markdown'): Promise<string> {
  const options = JSON.parse(readFileSync(join(REPOSITORY_ROOT, '.prettierrc.json'), 'utf-8'));
  const plugins = parser === 'json' ? [babelPlugin, estreePlugin] : [markdownPlugin];
  return prettier.format(text, { ...options, parser, plugins });
}

/** cdk.schema.json, formatted as `prettier --write` would leave it. */
export function renderCdkJsonSchema(): Promise<string> {
  return formatted(JSON.stringify(cdkJsonSchema()), 'json');
}

/**
 * Lays cdk.json out as `prettier --write` would, so that an edit made in any editor's style (say,
 * four-space indents) passes `npm test`'s `prettier --check`. Only the layout changes.
 */
export async function formatCdkJson(): Promise<void> {
  const path = join(REPOSITORY_ROOT, 'cdk.json');
  const text = readFileSync(path, 'utf-8');
  const pretty = await formatted(text, 'json');
  if (pretty === text) return;
  writeFileSync(path, pretty);
  console.log('formatted cdk.json');
}

/** What each profile in cdk.json gives for every key: its `extends` chain, top-level keys and defaults. */
function profileValues(context: Record<string, any>): Map<string, Record<string, unknown>> {
  const names = Object.keys(context.profiles ?? {});
  return new Map(names.map((name) => [name, parseConfig(configInput(context, name))]));
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
  const profiles = [...values.keys()];
  const defaults = defaultValues();
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
    '<!-- Generated by scripts/config-reference.ts from lib/config/schema.ts and cdk.json. Do not edit: run `npm run regen`. -->',
    '',
    'Every key the app accepts, read from the zod schema in [`lib/config/schema.ts`](../lib/config/schema.ts), with its',
    'default and what each profile in [`cdk.json`](../cdk.json) gives it. A value comes from, last one winning: the',
    "schema's default (the production values), the chosen profile (`profiles.<profile>`, after the profiles it `extends`),",
    'then the top-level keys of `cdk.json` context, then `-c key=value` on the command line: dotted paths reach nested keys',
    '(`-c compute.api.maxTasks=40`), lists are comma-separated (`-c regions=us-east-1,eu-west-1`), and maps and objects take',
    'JSON (`-c \'tags={"team":"web"}\'`). Objects merge key by key; anything else replaces. An optional feature is off',
    'unless a profile gives it; `null` turns it off again in a profile that extends one that turned it on. A bad value',
    'stops synth with one line naming the key, the value and what is allowed. Editors check `cdk.json` against',
    '[`cdk.schema.json`](../cdk.schema.json), generated from the same schema.',
    '',
    `Profiles in cdk.json: ${profiles.map((name) => `**${name}**${context.profiles[name].extends ? ` (extends ${context.profiles[name].extends})` : ''}`).join(', ')}. Their columns show what each gives, top-level keys included; — means unset.`,
    '',
    '## Adding a profile',
    '',
    'Add an entry to `profiles` in `cdk.json` that extends the closest existing profile and lists only what differs,',
    'e.g. `"staging": { "extends": "dev", "appName": "blueprint-staging", "regions": ["us-east-1", "eu-west-1"] }`, then',
    'synthesize it with `-c profile=staging`. Give it its own `appName` when it shares an account with another profile:',
    'stack names start with it. Keys every profile shares (`appName`, `domainName`, `tags`) live in the root profile the',
    'others extend: a top-level context key overrides every profile, like `-c`. Run `npm run regen` to refresh this page.',
    '',
    ...[...sections.keys()].map((name) => `- [${name}](#${name.replace(/ /g, '-')})`),
    '',
  ];
  for (const [name, rows] of sections) {
    lines.push(
      `## ${name}`,
      '',
      `| key | type | allowed | default | ${profiles.join(' | ')} | description |`,
      `| --- | --- | --- | --- | ${profiles.map(() => '---').join(' | ')} | --- |`,
    );
    for (const row of rows) {
      const allowed = `${row.allowed}${row.nullable ? ', or null' : ''}${row.optional ? ' (optional)' : ''}`;
      const show = (given: Record<string, unknown>) => {
        const value = valueAt(given, row.path);
        return row.isSection ? (value === undefined ? '—' : '') : formatValue(value);
      };
      const presets = [
        REQUIRED_KEYS.includes(row.path) ? 'required' : show(defaults),
        ...profiles.map((name) => show(values.get(name)!)),
      ];
      lines.push(`| ${[`\`${row.path}\``, row.type, allowed, ...presets, row.description].map(cell).join(' | ')} |`);
    }
    lines.push('');
  }
  return formatted(lines.join('\n'), 'markdown');
}

async function main(argv: readonly string[]): Promise<void> {
  const { values } = commandLine(argv, 'npm run config-reference -- [--check]', { check: { type: 'boolean' } });
  await writeConfigReference(values.check ?? false);
}

/** Writes docs/config.md and the JSON Schema of cdk.json, or with `check` fails if either is stale. */
export async function writeConfigReference(check = false): Promise<void> {
  const command = 'npm run regen';
  writeOrCheck(CONFIG_REFERENCE_PATH, await renderConfigReference(), { check, shown: 'docs/config.md', command });
  writeOrCheck(CONFIG_JSON_SCHEMA_PATH, await renderCdkJsonSchema(), { check, shown: 'cdk.schema.json', command });
}

if (require.main === module) run('config-reference', () => main(process.argv.slice(2)));
