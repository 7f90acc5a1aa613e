import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { configSchema, loadConfig } from '../../lib/config';
import { TEST_CONTEXT, configWith } from '../helpers';

const FORKING = readFileSync(join(__dirname, '..', '..', 'FORKING.md'), 'utf-8');

/** Dotted names in inline code that are not config keys; anything else dotted must be one. */
const NOT_CONFIG = new Set(['origin.<domainName>']);
const FILE_NAME = /\.(json|ts|js|cjs|mjs|md|yml|yaml|sh)$/;

type Schema = z.core.$ZodType;
const defOf = (schema: Schema) => schema._zod.def as z.core.$ZodTypeDef & Record<string, any>;

function unwrap(schema: Schema): Schema {
  const def = defOf(schema);
  return def.innerType ? unwrap(def.innerType) : schema;
}

/**
 * The schema node a dotted path names, or undefined. A map takes one more segment: a key it
 * allows (a region) or a placeholder such as `<region>`.
 */
function schemaAt(path: string): Schema | undefined {
  let node: Schema | undefined = configSchema;
  for (const segment of path.split('.')) {
    if (!node) return undefined;
    const def = defOf(unwrap(node));
    if (def.type === 'object') node = def.shape[segment];
    else if (def.type === 'record') {
      const keys = defOf(def.keyType).entries as Record<string, string> | undefined;
      const known = !keys || Object.values(keys).includes(segment) || /^<[a-z]+>$/i.test(segment);
      node = known ? def.valueType : undefined;
    } else return undefined;
  }
  return node;
}

/** `profiles.prod.database.shards` names `database.shards`; other paths name themselves. */
const configPathOf = (path: string) => path.replace(/^profiles\.[a-z]+\./, '');

/** A config key, a key inside a preset, or a preset itself (`profiles.dev`). */
const isConfigPath = (path: string) => /^profiles\.[a-z]+$/.test(path) || schemaAt(configPathOf(path)) !== undefined;

function fencedBlocks(language: string): string[] {
  return [...FORKING.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

/** Every command with `-c key=value`, in shell blocks or inline code, as the overrides it gives. */
function contextExamples(): Array<{ line: string; overrides: Record<string, string> }> {
  const inline = [...FORKING.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
  return (
    [...fencedBlocks('sh').flatMap((block) => block.split('\n')), ...inline]
      // `-c key=value` alone is the syntax, not an example.
      .filter((line) => /(^|\s)-c\s/.test(line) && line !== '-c key=value')
      .map((line) => ({
        line,
        overrides: Object.fromEntries(
          [...line.matchAll(/(?:^|\s)-c\s+(?:'([^']*)'|"([^"]*)"|(\S+))/g)].map((m) => {
            const pair = m[1] ?? m[2] ?? m[3];
            const at = pair.indexOf('=');
            return [pair.slice(0, at), pair.slice(at + 1)];
          }),
        ),
      }))
  );
}

/** The key paths a `cdk.json` snippet sets, following the schema down to its leaves and maps. */
function snippetPaths(node: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(node).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    if (path === 'profiles') return [];
    if (/^profiles\.[a-z]+$/.test(path)) return snippetPaths(value as Record<string, unknown>, path);
    const schema = schemaAt(configPathOf(path));
    const isSection = schema !== undefined && defOf(unwrap(schema)).type === 'object';
    const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
    return isSection && isObject ? snippetPaths(value as Record<string, unknown>, path) : [path];
  });
}

function deepMerge(base: unknown, patch: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(base) || !isObject(patch)) return patch;
  return Object.fromEntries(
    [...new Set([...Object.keys(base), ...Object.keys(patch)])].map((key) => [
      key,
      key in patch ? deepMerge(base[key], patch[key]) : base[key],
    ]),
  );
}

describe('FORKING.md', () => {
  const examples = contextExamples();
  const snippets = fencedBlocks('json').map((text) => JSON.parse(text) as { context: Record<string, unknown> });

  test('has -c examples and cdk.json snippets to check', () => {
    expect(examples.length).toBeGreaterThanOrEqual(9);
    expect(snippets.length).toBeGreaterThanOrEqual(4);
  });

  test('every -c key is a config key', () => {
    const keys = examples.flatMap(({ overrides }) => Object.keys(overrides));
    expect(keys.filter((key) => !isConfigPath(key))).toEqual([]);
  });

  test.each(contextExamples().map(({ line, overrides }) => [line.trim(), overrides]))('loads: %s', (_, overrides) => {
    expect(() => configWith(overrides)).not.toThrow();
  });

  test('every key a cdk.json snippet sets is a config key, and the snippet merged into cdk.json loads', () => {
    for (const snippet of snippets) {
      expect(snippetPaths(snippet.context).filter((path) => !isConfigPath(path))).toEqual([]);
      expect(() => loadConfig(deepMerge(TEST_CONTEXT, snippet.context) as Record<string, unknown>)).not.toThrow();
    }
  });

  test('every dotted key named in the text is a config key', () => {
    const dotted = [...FORKING.matchAll(/`([^`\s]+)`/g)]
      .map((m) => m[1])
      .filter((code) => /^[a-z][A-Za-z0-9]*(\.([a-z][A-Za-z0-9-]*|<[A-Za-z]+>))+$/.test(code))
      .filter((code) => !FILE_NAME.test(code) && !NOT_CONFIG.has(code));
    expect(dotted).toEqual(expect.arrayContaining(['resilience.drills', 'database.shards']));
    expect(dotted.filter((path) => !isConfigPath(path))).toEqual([]);
  });

  test('a fork is: edit cdk.json, npm run regen, npm test', () => {
    const [steps] = fencedBlocks('sh');
    const commands = steps
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean);
    expect(steps).toMatch(/^# 1\. edit cdk\.json/);
    expect(commands).toEqual(['npm run regen', 'npm test']);
  });

  test('the checker rejects what is not a key', () => {
    expect(schemaAt('database.shard')).toBeUndefined();
    expect(schemaAt('availabilityZones.us-east-9')).toBeUndefined();
    expect(schemaAt('database.shards.count')).toBeUndefined();
    expect(schemaAt('availabilityZones.<region>')).toBeDefined();
    expect(schemaAt('monitoring.thresholds.page')).toBeDefined();
  });
});
