/**
 * `npm run prices:update`: rebuilds the entries of prices/aws-prices.json that say how to find them
 * (`select`) from AWS's Price List bulk files, for every region in use (each profile's regions in
 * cdk.json, the edge region, the regions the table already prices, and any `--region`).
 *
 *   npm run prices:update                              # from AWS (files cached in the temp dir)
 *   npm run prices:update -- --region eu-central-1     # price one more region
 *   npm run prices:update -- --from ./price-list       # from a local copy at the same paths
 *
 * An entry without `select` (a discount, a figure the Price List does not carry) is left as it is,
 * with its source and date. Nothing is written unless every selected price is found, once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cdkContext } from './common/assembly';
import { commandLine, run } from './common/cli';
import { directorySource, httpSource } from './cost/price-list';
import { PRICES_FILE } from './cost/prices';
import { RawTable, regionsInUse, updatePrices } from './cost/update-prices';

run('prices:update', async () => {
  const { values, context } = commandLine(
    process.argv.slice(2),
    'npm run prices:update -- [--from dir] [--region region ...] [-c key=value ...]',
    { from: { type: 'string' }, region: { type: 'string', multiple: true } },
  );
  const raw = JSON.parse(readFileSync(PRICES_FILE, 'utf-8')) as RawTable;
  const regions = [...new Set([...regionsInUse(cdkContext(context), raw), ...(values.region ?? [])])];
  const source = values.from ? directorySource(values.from) : httpSource(join(tmpdir(), 'aws-price-list'));
  const today = new Date().toISOString().slice(0, 10);
  const { table, updated, kept } = await updatePrices(raw, { regions, source, today });
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(PRICES_FILE)) ?? {};
  writeFileSync(PRICES_FILE, await prettier.format(JSON.stringify(table), { ...config, filepath: PRICES_FILE }));
  process.stderr.write(
    `prices/aws-prices.json: ${updated.length} prices read for ${regions.join(', ')}; ${kept.length} without \`select\` kept as they were (${kept.join(', ')}). Read the diff, then run \`npm run cost -- --write\`.\n`,
  );
});
