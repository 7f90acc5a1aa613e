/**
 * `npm run cost`: the monthly cost of each profile, from the templates the app synthesizes and the
 * committed price table (prices/aws-prices.json).
 *
 *   npm run cost                                   # every profile in cdk.json (prod, dev)
 *   npm run cost -- -c profile=dev -c compute.api.minTasks=4
 *   npm run cost -- --write                        # refresh the section of docs/cost.md
 *
 * `-c key=value` works as with `cdk synth`. The app is built in-process without cdk-nag or the
 * template lint (the cost does not depend on them), one synthesis per profile.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AppConfig } from '../lib/config';
import { REPOSITORY_ROOT, StackTemplate, cdkContext, stacksOf, withSynthesizedApp } from './common/assembly';
import { ScriptError, commandLine, run } from './common/cli';
import { replaceSection } from './common/generated';
import { assumptionsFor } from './cost/assumptions';
import { Estimate, estimate } from './cost/model';
import { MetricSeries } from './cost/metric-series';
import { MissingPrice, MissingPricesError, PriceTable } from './cost/prices';
import { REPORT_MARKERS, SUMMARY_MARKERS, renderReport, renderSummary } from './cost/report';

export const COST_DOC = join(REPOSITORY_ROOT, 'docs', 'cost.md');
export const README = join(REPOSITORY_ROOT, 'README.md');

/**
 * The templates of `assembly`, those of the `regions` given first in that order (the assembly lists
 * stacks in dependency order), so that reports list the serving regions as the config does.
 */
export function templatesOf(assembly: CloudAssembly, regions: readonly string[] = []): StackTemplate[] {
  const rank = (region: string) => (regions.includes(region) ? regions.indexOf(region) : regions.length);
  return stacksOf(assembly).sort((a, b) => rank(a.region) - rank(b.region));
}

/** Synthesizes the app for `context` (cdk.json context plus `-c` overrides) and estimates it. */
export function estimateProfile(
  context: Record<string, unknown>,
  prices: PriceTable,
  metricSeries: MetricSeries,
): Estimate {
  return withSynthesizedApp(context, (assembly, config) =>
    estimateAssembly(assembly, config, context, prices, metricSeries),
  );
}

/**
 * Estimates an app already synthesized from `context` (test/this-app.test.ts prices the assemblies
 * it synthesized for cdk-nag: the checks do not change a template).
 */
export function estimateAssembly(
  assembly: CloudAssembly,
  config: AppConfig,
  context: Record<string, unknown>,
  prices: PriceTable,
  metricSeries: MetricSeries,
): Estimate {
  const profiles = context.profiles && typeof context.profiles === 'object' ? context.profiles : {};
  const assumptions = assumptionsFor(config.profile, profiles as Record<string, unknown>);
  const templates = templatesOf(assembly, config.regions);
  const result = estimate(config.profile, templates, assumptions, prices, metricSeries);
  if (!assumptions.from) return result;
  const note = `profile ${config.profile} has no traffic assumptions of its own, so those of ${assumptions.from}, which it extends, are used (add a block for it in scripts/cost/assumptions.ts)`;
  return { ...result, notes: [...result.notes, note] };
}

/** The profiles `npm run cost` prices: the one given with `-c profile=`, else all in cdk.json. */
export function profilesToPrice(context: Record<string, unknown>, overrides: Record<string, string>): string[] {
  if (overrides.profile !== undefined) return [overrides.profile];
  const profiles = context.profiles;
  return profiles && typeof profiles === 'object' ? Object.keys(profiles) : [String(context.profile)];
}

/**
 * `estimateOne` of each profile. Every profile is estimated before failing, so one
 * `MissingPricesError` lists the prices all of them lack.
 */
export function estimateEach(
  profiles: readonly string[],
  prices: PriceTable,
  estimateOne: (profile: string) => Estimate,
): Estimate[] {
  const missing: MissingPrice[] = [];
  const estimates = profiles.flatMap((profile) => {
    try {
      return [estimateOne(profile)];
    } catch (error) {
      if (!(error instanceof MissingPricesError)) throw error;
      missing.push(...error.missing);
      return [];
    }
  });
  if (missing.length) throw new MissingPricesError(missing, prices);
  return estimates;
}

/** `-c key=value` overrides and `--write`. */
export function parseArgs(argv: readonly string[]): { overrides: Record<string, string>; write: boolean } {
  const { values, context } = commandLine(argv, 'npm run cost -- [-c key=value ...] [--write]', {
    write: { type: 'boolean' },
  });
  return { overrides: context, write: values.write ?? false };
}

/**
 * Formats Markdown as `prettier --write` does for `filePath`, so the committed doc passes
 * `prettier --check`. Imported on use: prettier's entry needs ESM support that jest lacks.
 */
async function formatMarkdown(text: string, filePath: string): Promise<string> {
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(filePath)) ?? {};
  return prettier.format(text, { ...config, parser: 'markdown', filepath: filePath });
}

async function main(argv: readonly string[]): Promise<void> {
  const { overrides, write } = parseArgs(argv);
  if (write && Object.keys(overrides).length > 0) {
    throw new ScriptError('--write records the default app: drop the -c overrides');
  }
  const context = cdkContext();
  const prices = PriceTable.load();
  const metricSeries = MetricSeries.load();
  const estimates = estimateEach(profilesToPrice(context, overrides), prices, (profile) =>
    estimateProfile({ ...context, ...overrides, profile }, prices, metricSeries),
  );
  const report = renderReport(estimates);
  process.stdout.write(await formatMarkdown(report, join(REPOSITORY_ROOT, 'cost-report.md')));
  if (write) await writeCostDocs(estimates);
}

/** Puts the report of `estimates` (every profile of cdk.json) into docs/cost.md and README.md. */
export async function writeCostDocs(estimates: readonly Estimate[]): Promise<void> {
  const doc = await formatMarkdown(
    replaceSection(
      readFileSync(COST_DOC, 'utf-8'),
      REPORT_MARKERS,
      `\n\n${renderReport(estimates)}\n\n`,
      'docs/cost.md',
    ),
    COST_DOC,
  );
  writeFileSync(COST_DOC, doc);
  const readme = replaceSection(
    readFileSync(README, 'utf-8'),
    SUMMARY_MARKERS,
    `\n\n${renderSummary(estimates)}\n\n`,
    'README.md',
  );
  writeFileSync(README, await formatMarkdown(readme, README));
  process.stderr.write('docs/cost.md and the summary in README.md updated\n');
}

if (require.main === module) run('cost', () => main(process.argv.slice(2)));
