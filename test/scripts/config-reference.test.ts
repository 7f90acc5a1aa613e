import { z } from 'zod';
import { configSchema } from '../../lib/config';
import { renderConfigReference } from '../../scripts/config-reference';
import { TEST_CONTEXT } from '../helpers';

/** Leaf keys of the schema, found independently of the generator: through zod's JSON Schema export. */
function jsonSchemaLeaves(node: any, prefix = ''): string[] {
  return Object.entries<any>(node.properties ?? {}).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return child.type === 'object' && child.properties ? jsonSchemaLeaves(child, path) : [path];
  });
}

/** The cells of the row whose key is `path`. */
function rowOf(markdown: string, path: string): string[] {
  const row = markdown.split('\n').find((line) => line.startsWith(`| \`${path}\` `));
  return row ? row.split(/(?<!\\)\|/).map((cellText) => cellText.trim()) : [];
}

// Whether the committed docs/config.md is current is checked on the live cdk.json, in test/this-app.test.ts.
describe('config reference (docs/config.md)', () => {
  let fresh: string;

  beforeAll(async () => {
    fresh = await renderConfigReference(TEST_CONTEXT);
  });

  test('every leaf key of the schema has a row', () => {
    const leaves = jsonSchemaLeaves(z.toJSONSchema(configSchema, { unrepresentable: 'any' }));
    expect(leaves).toEqual(expect.arrayContaining(['appName', 'database.shards', 'compute.api.maxTasks']));
    expect(leaves.filter((path) => rowOf(fresh, path).length === 0)).toEqual([]);
  });

  test("a key's row carries its .describe() text, its allowed values and both presets", () => {
    // GIVEN database.shards: described in the schema, 2 in prod and 1 in dev
    const description = configSchema.shape.database.shape.shards.description!;
    const [, key, type, allowed, prod, dev, text] = rowOf(fresh, 'database.shards');
    expect({ key, type, allowed, prod, dev, text }).toEqual({
      key: '`database.shards`',
      type: 'integer',
      allowed: 'an integer from 1 to 16',
      prod: '`2`',
      dev: '`1`',
      text: description,
    });
  });

  test('optional keys say so, and unset ones show a dash', () => {
    const [, , , allowed, prod, dev] = rowOf(fresh, 'hostedZoneId');
    expect(allowed).toMatch(/\(optional\)$/);
    expect([prod, dev]).toEqual(['—', '—']);
  });

  test('enums list their choices', () => {
    expect(rowOf(fresh, 'compute.architecture')[3]).toBe('`arm64`, `x86_64`');
  });
});
