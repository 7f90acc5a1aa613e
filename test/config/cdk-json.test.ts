import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { BASELINE_FEATURE_FLAGS } from '../../lib/feature-flags';

const CDK_JSON = readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf-8');
const CONTEXT: Record<string, unknown> = JSON.parse(CDK_JSON).context;
const CDK_JSON_FLAGS = Object.keys(CONTEXT).filter((key) => key.startsWith('@'));

describe('cdk.json', () => {
  test('holds only what a project chooses: 80 non-blank lines at most', () => {
    expect(CDK_JSON.split('\n').filter((line) => line.trim() !== '').length).toBeLessThanOrEqual(80);
  });

  test('every feature flag aws-cdk-lib recommends is set once: in cdk.json or lib/feature-flags.ts', () => {
    // A CDK upgrade that adds a flag fails here: read what it changes in the templates, then set
    // it in cdk.json if it changes one, else in lib/feature-flags.ts.
    const recommended = Object.keys(cxapi.CURRENTLY_RECOMMENDED_FLAGS);
    const set = [...CDK_JSON_FLAGS, ...Object.keys(BASELINE_FEATURE_FLAGS)];
    expect(recommended.filter((flag) => !set.includes(flag))).toEqual([]);
    expect(CDK_JSON_FLAGS.filter((flag) => flag in BASELINE_FEATURE_FLAGS)).toEqual([]);
  });
});
