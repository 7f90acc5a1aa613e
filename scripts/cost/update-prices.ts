/**
 * Rebuilds the entries of prices/aws-prices.json that say how to find them (`select`) from AWS's
 * Price List bulk files (`npm run prices:update`, scripts/prices-update.ts). An entry without
 * `select` (a discount, a figure the Price List does not carry) is left as it is, with its source
 * and date. Nothing is returned unless every selected price is found, once.
 */
import { loadConfig } from '../../lib/config';
import { EDGE_REGION } from '../../lib/config/regions';
import { CostError } from './errors';
import { PriceListIndex, PriceListSource, priceIn, readOffer } from './price-list';
import { PriceSelect, priceTableSchema } from './prices';

type RawEntry = Record<string, unknown>;
/** The table as committed: entries keep their key order and the fields the schema fills in are not added. */
export interface RawTable {
  prices: Record<string, RawEntry>;
  [key: string]: unknown;
}

export interface UpdateResult {
  readonly table: RawTable;
  /** Keys updated, in table order. */
  readonly updated: readonly string[];
  /** Keys left as they are (no `select`). */
  readonly kept: readonly string[];
}

/**
 * The table with every entry that has a `select` read from the Price List in `regions` (a
 * `global` scope reads the service's whole offer once). Throws one `CostError` listing every
 * price that was not found exactly once, and then changes nothing.
 */
export async function updatePrices(
  raw: RawTable,
  options: { regions: readonly string[]; source: PriceListSource; today: string },
): Promise<UpdateResult> {
  const parsed = priceTableSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CostError(
      `prices/aws-prices.json › ${issue.path.join('.')} is invalid (${issue.message})`,
      'fix the entry, then run again',
    );
  }
  const index = new PriceListIndex(options.source);
  const selected = Object.entries(parsed.data.prices).filter(
    (entry): entry is [string, (typeof entry)[1] & { select: PriceSelect }] => entry[1].select !== undefined,
  );

  // One read per offer file, keeping the products of every select of its service.
  const offers = new Map<string, ReturnType<typeof readOffer>>();
  const offer = (path: string, service: string) => {
    if (!offers.has(path)) {
      const selects = selected.filter(([, e]) => e.select.service === service).map(([, e]) => e.select);
      offers.set(path, readOffer(options.source, path, selects));
    }
    return offers.get(path)!;
  };

  const problems: string[] = [];
  const table: RawTable = { ...raw, prices: { ...raw.prices } };
  for (const [key, entry] of selected) {
    const { select } = entry;
    const where = select.scope === 'global' ? ['global'] : options.regions;
    const values: Record<string, number> = {};
    let evidence: string | undefined;
    let published: string | undefined;
    for (const region of where) {
      let path: string | undefined;
      try {
        path =
          select.scope === 'global'
            ? await index.globalOffer(select.service)
            : await index.regionalOffer(select.service, region);
      } catch (error) {
        // A service the index lacks is a problem of this entry's select: listed with the others.
        if (!(error instanceof CostError)) throw error;
        problems.push(`${key} in ${region}: ${error.message}`);
        continue;
      }
      if (path === undefined) {
        problems.push(`${key} in ${region}: ${select.service} has no offer file for the region`);
        continue;
      }
      const read = await offer(path, select.service);
      const found = priceIn(read, select);
      if ('problem' in found) {
        problems.push(`${key} in ${region}: ${found.problem}`);
        continue;
      }
      values[region] = found.value;
      evidence ??= options.source.url(path);
      published ??= read.publicationDate;
    }
    const distinct = new Set(Object.values(values));
    // The figures, their form (global or by region) and their confirmation are replaced; the rest stays.
    const rest = Object.fromEntries(
      Object.entries(raw.prices[key]).filter(([field]) => !['global', 'byRegion', 'unverifiedRegions'].includes(field)),
    );
    const priced =
      select.scope === 'global' || (entry.global !== undefined && distinct.size === 1)
        ? { global: [...distinct][0] }
        : { byRegion: { ...entry.byRegion, ...values } };
    table.prices[key] = {
      ...rest,
      read: options.today,
      verified: true,
      evidence,
      note: `AWS Price List, ${select.service} offer${published ? ` published ${published.slice(0, 10)}` : ''}.`,
      ...priced,
    };
  }
  if (problems.length) {
    throw new CostError(
      `${problems.length} price${problems.length === 1 ? '' : 's'} not found exactly once in the Price List, so prices/aws-prices.json is unchanged: ${problems.join('; ')}`,
      'fix the `select` of each (docs/cost.md, "Updating the prices"), then run again',
    );
  }
  return {
    table,
    updated: selected.map(([key]) => key),
    kept: Object.keys(raw.prices).filter((key) => parsed.data.prices[key].select === undefined),
  };
}

/** The regions every profile of cdk.json deploys to, the edge region, and those the table prices. */
export function regionsInUse(context: Record<string, unknown>, table: RawTable): string[] {
  const profiles = context.profiles && typeof context.profiles === 'object' ? Object.keys(context.profiles) : [];
  const configured = profiles.flatMap((profile) => loadConfig({ ...context, profile }).regions);
  const priced = Object.values(table.prices).flatMap((entry) => Object.keys((entry.byRegion as object) ?? {}));
  return [...new Set([...configured, EDGE_REGION, ...priced])];
}
