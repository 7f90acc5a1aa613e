import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema } from '../../lib/config';
import {
  CONFIG_JSON_SCHEMA_PATH,
  CONFIG_REFERENCE_PATH,
  cdkJsonSchema,
  renderCdkJsonSchema,
  renderConfigReference,
} from '../../scripts/config-reference';

/** Leaf keys of the schema, found independently of the generator: through zod's JSON Schema export. */
function jsonSchemaLeaves(node: any, prefix = ''): string[] {
  return Object.entries<any>(node.properties ?? {}).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const object = child.anyOf?.find((option: any) => option.type === 'object') ?? child;
    return object.type === 'object' && object.properties ? jsonSchemaLeaves(object, path) : [path];
  });
}

/** The cells of the row whose key is `path`. */
function rowOf(markdown: string, path: string): string[] {
  const row = markdown.split('\n').find((line) => line.startsWith(`| \`${path}\` `));
  return row ? row.split(/(?<!\\)\|/).map((cellText) => cellText.trim()) : [];
}

describe('config reference (docs/config.md) and cdk.json schema (cdk.schema.json)', () => {
  let fresh: string;

  beforeAll(async () => {
    fresh = await renderConfigReference();
  });

  test('the committed files are what the schema and cdk.json give today', async () => {
    for (const [path, contents] of [
      [CONFIG_REFERENCE_PATH, fresh],
      [CONFIG_JSON_SCHEMA_PATH, await renderCdkJsonSchema()],
    ]) {
      if (readFileSync(path, 'utf-8') !== contents) throw new Error(`${path} is stale: run \`npm run regen\``);
    }
  });

  test('every leaf key of the schema has a row', () => {
    const leaves = jsonSchemaLeaves(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }));
    expect(leaves).toEqual(expect.arrayContaining(['appName', 'database.shards', 'compute.api.maxTasks']));
    expect(leaves.filter((path) => rowOf(fresh, path).length === 0)).toEqual([]);
  });

  test("a key's row carries its .describe() text, its allowed values, its default and every profile", () => {
    // GIVEN database.shards: described in the schema, 2 by default and in prod, 1 in dev
    const description = configSchema.shape.database.unwrap().shape.shards.description!;
    const [, key, type, allowed, byDefault, prod, dev, text] = rowOf(fresh, 'database.shards');
    expect({ key, type, allowed, byDefault, prod, dev, text }).toEqual({
      key: '`database.shards`',
      type: 'integer',
      allowed: 'an integer from 1 to 16',
      byDefault: '`2`',
      prod: '`2`',
      dev: '`1`',
      text: description,
    });
  });

  test('keys without a default say required; optional keys say so, and unset ones show a dash', () => {
    expect(rowOf(fresh, 'domainName')[4]).toBe('required');
    const [, , , allowed, byDefault, prod, dev] = rowOf(fresh, 'hostedZoneId');
    expect(allowed).toMatch(/\(optional\)$/);
    expect([byDefault, prod, dev]).toEqual(['—', '—', '—']);
  });

  test('an optional feature says null turns it off, and shows where a profile turns it on', () => {
    const [, , , allowed, byDefault, prod, dev] = rowOf(fresh, 'dns.recordTtlSeconds');
    expect(allowed).toMatch(/, or null \(optional\)$/);
    expect([byDefault, prod, dev]).toEqual(['—', '`10`', '—']);
  });

  test('enums list their choices', () => {
    expect(rowOf(fresh, 'compute.architecture')[3]).toBe('`arm64`, `x86_64`');
  });

  test('the JSON Schema lets a profile extend another and set any key, and nothing else', () => {
    const { $defs, properties } = cdkJsonSchema() as any;
    expect(Object.keys($defs.profile.properties)).toEqual(expect.arrayContaining(['extends', 'appName', 'database']));
    expect($defs.profile.properties.profile).toBeUndefined();
    expect($defs.profile.additionalProperties).toBe(false);
    expect($defs.profile.properties.database.properties.shards).toMatchObject({ type: 'integer', default: 2 });
    expect(JSON.stringify($defs.profile)).not.toContain('"required"');
    expect(properties.context.patternProperties).toHaveProperty(['^@|:']);
  });
});
