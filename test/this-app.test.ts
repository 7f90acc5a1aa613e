/**
 * This app: the live cdk.json, as a fork edits it. The only test file that reads it (test/setup.ts
 * stops any other from doing so): every profile synthesizes with cdk-nag and CDK's CloudFormation
 * lint finding nothing, deploys in a working order, and every generated file is current. The other
 * tests build from test/fixtures/context.json, so they pass whatever cdk.json says.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { buildBlueprint, createApp } from '../lib/app';
import { AppConfig } from '../lib/config';
import { BASELINE_FEATURE_FLAGS } from '../lib/feature-flags';
import { cdkContext, stacksOf } from '../scripts/common/assembly';
import { sectionOf } from '../scripts/common/generated';
import {
  CONFIG_JSON_SCHEMA_PATH,
  CONFIG_REFERENCE_PATH,
  renderCdkJsonSchema,
  renderConfigReference,
} from '../scripts/config-reference';
import { COST_DOC, README, estimateAssembly, profilesToPrice } from '../scripts/cost';
import { MetricSeries } from '../scripts/cost/metric-series';
import { PriceTable } from '../scripts/cost/prices';
import {
  REPORT_MARKERS,
  SUMMARY_MARKERS,
  normalizeMarkdown,
  renderReport,
  renderSummary,
} from '../scripts/cost/report';
import { checkDeployOrder } from '../scripts/deploy-order';
import { DIAGRAM_PATH, drawArchitecture } from '../scripts/diagram/index';
import { RESILIENCE_DOC } from '../scripts/rto';
import { modelRecovery } from '../scripts/rto/model';
import { RTO_MARKERS, renderDocsBlock } from '../scripts/rto/render';
import { APP_COMMAND, BUILD_COMMAND, crossRegionReferences } from './helpers';

// This file runs the lint that test/setup.ts turns off for the others.
process.env.CDK_VALIDATION = 'true';

const ROOT = join(__dirname, '..');
const CDK_JSON = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf-8'));
/** The context `cdk synth` gives the app: cdk.json's, with cdk.context.json's over it. */
const CONTEXT = cdkContext();
const PROFILES = Object.keys(CONTEXT.profiles as object);

/**
 * Fails with one line that names the file and says what to do when `committed` is not `fresh`,
 * and where they first differ.
 */
function expectCurrent(file: string, committed: string | undefined, fresh: string): void {
  if (committed === fresh) return;
  const [a, b] = [committed ?? '', fresh].map((text) => text.split('\n'));
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line < 0 ? a.length : line;
  throw new Error(
    `${relative(ROOT, file)} is stale: run \`npm run regen\` and commit the result (first difference at line ${at + 1} of the generated part: ${JSON.stringify(a[at] ?? '')} should be ${JSON.stringify(b[at] ?? '')})`,
  );
}

test('cdk.json builds and runs the app with the commands the tests run it with', () => {
  expect(CDK_JSON.build).toBe(BUILD_COMMAND);
  expect(CDK_JSON.app).toBe(APP_COMMAND);
});

test('cdk.json has profiles', () => {
  expect(PROFILES.length).toBeGreaterThan(0);
});

test('every feature flag aws-cdk-lib recommends is set once: in cdk.json or lib/feature-flags.ts', () => {
  // A CDK upgrade that adds a flag fails here: read what it changes in the templates, then set
  // it in cdk.json if it changes one, else in lib/feature-flags.ts.
  const inCdkJson = Object.keys(CDK_JSON.context).filter((key) => key.startsWith('@'));
  const set = [...inCdkJson, ...Object.keys(BASELINE_FEATURE_FLAGS)];
  expect(Object.keys(cxapi.CURRENTLY_RECOMMENDED_FLAGS).filter((flag) => !set.includes(flag))).toEqual([]);
  expect(inCdkJson.filter((flag) => flag in BASELINE_FEATURE_FLAGS)).toEqual([]);
});

const synthesizedApps = new Map<string, { assembly: CloudAssembly; config: AppConfig }>();
/**
 * `profile` as `cdk synth` makes it, with cdk-nag and the lint, and its config; synthesized once
 * for this file: the generated docs are checked against these assemblies too (the checks change
 * no template).
 */
function synthesizedApp(profile: string): { assembly: CloudAssembly; config: AppConfig } {
  if (!synthesizedApps.has(profile)) {
    const { app, config } = createApp({ context: { ...CONTEXT, profile }, templateLint: true });
    buildBlueprint(app, config, { nag: true });
    synthesizedApps.set(profile, { assembly: app.synth(), config });
  }
  return synthesizedApps.get(profile)!;
}
const synthesized = (profile: string): CloudAssembly => synthesizedApp(profile).assembly;

describe.each(PROFILES)('profile %s of cdk.json', (profile) => {
  let assembly: CloudAssembly;
  beforeAll(() => {
    assembly = synthesized(profile);
  });

  test('synthesizes, and cdk-nag AwsSolutions and the CloudFormation lint find nothing', () => {
    const report: { pluginReports: { pluginName: string; violations: unknown[] }[] } = JSON.parse(
      readFileSync(join(assembly.directory, 'validation-report.json'), 'utf-8'),
    );
    // The lint reports even when it finds nothing; cdk-nag only with a finding (buildBlueprint adds it).
    expect(report.pluginReports.map((p) => p.pluginName)).toContain('CloudFormation Validate');
    expect(report.pluginReports.flatMap((p) => p.violations)).toEqual([]);
  });

  test('creates everything a stack names before that stack deploys', () => {
    expect(checkDeployOrder(stacksOf(assembly)).hazards).toEqual([]);
  });

  test('no stack reads a value from another region or exports one', () => {
    expect(crossRegionReferences(assembly)).toEqual([]);
  });
});

describe('the generated files are those of cdk.json (else: npm run regen)', () => {
  test('docs/config.md', async () => {
    expectCurrent(CONFIG_REFERENCE_PATH, readFileSync(CONFIG_REFERENCE_PATH, 'utf-8'), await renderConfigReference());
  });

  test('cdk.schema.json', async () => {
    expectCurrent(CONFIG_JSON_SCHEMA_PATH, readFileSync(CONFIG_JSON_SCHEMA_PATH, 'utf-8'), await renderCdkJsonSchema());
  });

  test('docs/architecture.svg', () => {
    // `npm run diagram` draws the default profile.
    const { assembly, config } = synthesizedApp(String(CONTEXT.profile));
    expectCurrent(DIAGRAM_PATH, readFileSync(DIAGRAM_PATH, 'utf-8'), drawArchitecture(assembly, config));
  });

  test('docs/resilience.md', () => {
    const committed = sectionOf(readFileSync(RESILIENCE_DOC, 'utf-8'), RTO_MARKERS);
    // `npm run rto -- --write` models the default profile, as synthesized above.
    const stacks = stacksOf(synthesized(String(CONTEXT.profile)));
    expectCurrent(RESILIENCE_DOC, committed, renderDocsBlock(modelRecovery(stacks)));
  });

  test("docs/cost.md and README.md's cost summary", () => {
    const prices = PriceTable.load();
    const metricSeries = MetricSeries.load();
    const estimates = profilesToPrice(CONTEXT, {}).map((profile) => {
      const { assembly, config } = synthesizedApp(profile);
      return estimateAssembly(assembly, config, { ...CONTEXT, profile }, prices, metricSeries);
    });
    expectCurrent(
      COST_DOC,
      normalizeMarkdown(sectionOf(readFileSync(COST_DOC, 'utf-8'), REPORT_MARKERS) ?? ''),
      normalizeMarkdown(renderReport(estimates)),
    );
    expectCurrent(
      README,
      normalizeMarkdown(sectionOf(readFileSync(README, 'utf-8'), SUMMARY_MARKERS) ?? ''),
      normalizeMarkdown(renderSummary(estimates)),
    );
  });
});

/** Every .ts and .js file under test/, as paths relative to it. */
function testSources(dir = __dirname): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === '__snapshots__' ? [] : testSources(path);
    return /\.(ts|js)$/.test(entry.name) ? [relative(__dirname, path)] : [];
  });
}

test('no other test file names cdk.json as a file to read: they build from test/fixtures/context.json', () => {
  // test/setup.ts also stops a read at run time, including one a script makes for a test.
  const mayRead = ['this-app.test.ts', 'fork.test.ts', 'setup.ts'];
  const names = (file: string) => /['"]([^'"\n]*\/)?cdk\.json['"]/.test(readFileSync(join(__dirname, file), 'utf-8'));
  expect(testSources().filter((file) => !mayRead.includes(file) && names(file))).toEqual([]);
});
