import { join } from 'node:path';
import { z } from 'zod';
import { CostError } from './errors';
import { readJsonFile } from './json-file';
import { nearestPricedRegion } from './nearest-region';

/** Where the committed price table lives; `npm run cost` and the tests read the same file. */
export const PRICES_FILE = join(__dirname, '..', '..', 'prices', 'aws-prices.json');
const FILE_LABEL = 'prices/aws-prices.json';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const price = z.number().nonnegative();

/**
 * How `npm run prices:update` finds the entry in AWS's Price List bulk files: the service's offer,
 * then the products whose family and attributes match (an attribute value is an exact string, or a
 * `/regular expression/` as in `"usagetype": "/NatGateway-Hours$/"`), then their on-demand price
 * dimension for the tier that starts at `tier`.
 */
export const selectSchema = z.strictObject({
  /** The offer code, e.g. `AmazonEC2`, `AmazonRDS`, `AWSELB`. */
  service: z.string().min(1),
  productFamily: z.string().min(1).optional(),
  attributes: z.record(z.string(), z.string()).default({}),
  /** The `unit` of the price dimension, checked so a changed unit is not read as the old one. */
  unit: z.string().min(1).optional(),
  /** `beginRange` of the tier to read; 0 (the first tier) by default. */
  tier: z.number().nonnegative().default(0),
  /** Factor from the listed unit to the table's, e.g. 1000000 for a price per million requests. */
  multiply: z.number().positive().default(1),
  /**
   * `region` (the default) reads each region's own offer file; `global` reads the service's whole
   * offer file once, for services priced the same everywhere (CloudFront, Route 53).
   */
  scope: z.enum(['region', 'global']).default('region'),
});

export type PriceSelect = z.infer<typeof selectSchema>;

const entrySchema = z
  .strictObject({
    unit: z.string().min(1),
    url: z.url(),
    read: isoDate,
    verified: z.boolean(),
    evidence: z.url().optional(),
    note: z.string().optional(),
    unverifiedRegions: z.array(z.string()).optional(),
    global: price.optional(),
    byRegion: z.record(z.string(), price).optional(),
    /** Where the Price List has this price; without it, `npm run prices:update` leaves the entry as it is. */
    select: selectSchema.optional(),
  })
  .refine((entry) => (entry.global === undefined) !== (entry.byRegion === undefined), {
    message: 'give either `global` or `byRegion`, not both',
  })
  .refine((entry) => !entry.verified || entry.evidence !== undefined, {
    message: 'a verified price names the `evidence` page it was read from',
  })
  .refine((entry) => entry.verified || entry.note !== undefined, {
    message: 'an unverified price says in `note` where the figure comes from',
  });

const tableSchema = z.strictObject({
  $comment: z.string().optional(),
  currency: z.literal('USD'),
  hoursPerMonth: z.number().positive(),
  prices: z.record(z.string(), entrySchema),
});

export type PriceEntry = z.infer<typeof entrySchema>;
export type PriceTableData = z.infer<typeof tableSchema>;
export { tableSchema as priceTableSchema };

/** A unit price as looked up: the region's own, or the nearest priced region's (`estimatedFrom`). */
export interface PriceLookup {
  readonly value: number;
  /** The region whose price stands in, when `region` has none of its own. */
  readonly estimatedFrom?: string;
}

/** A price the estimate used that no published page confirmed, for the report's caveats. */
export interface UnverifiedPrice {
  readonly key: string;
  readonly unit: string;
  /** The regions whose figure is unconfirmed; empty when the whole entry is. */
  readonly regions: readonly string[];
  readonly note?: string;
}

/**
 * The committed unit prices, looked up by key and region. A region the table does not list for a
 * key is estimated from the nearest priced region (`nearestPricedRegion`) and flagged as such; a
 * key the table lacks has no price, and the model lists every such key in one error.
 */
export class PriceTable {
  public readonly hoursPerMonth: number;

  constructor(private readonly data: PriceTableData) {
    this.hoursPerMonth = data.hoursPerMonth;
  }

  /** Reads and validates the committed table (or `file`). */
  static load(file: string = PRICES_FILE): PriceTable {
    return new PriceTable(readJsonFile(file, FILE_LABEL, tableSchema));
  }

  /** The keys of the table that start like `key` (its family, e.g. `elasticache.`), for messages. */
  keysLike(key: string): string[] {
    const family = `${key.split('.')[0]}.`;
    return Object.keys(this.data.prices).filter((k) => k.startsWith(family));
  }

  /** The unit price of `key` in `region`, its own or estimated; undefined when there is none to use. */
  lookup(key: string, region: string): PriceLookup | undefined {
    const entry = this.data.prices[key];
    if (!entry) return undefined;
    if (entry.global !== undefined) return { value: entry.global };
    const byRegion = entry.byRegion ?? {};
    if (byRegion[region] !== undefined) return { value: byRegion[region] };
    const from = nearestPricedRegion(region, Object.keys(byRegion));
    return from === undefined ? undefined : { value: byRegion[from], estimatedFrom: from };
  }

  /** The unit price of `key` in `region` (see `lookup`); a `CostError` when the table has none. */
  price(key: string, region: string, what: string = key): number {
    const found = this.lookup(key, region);
    if (!found) throw missingPrices([{ key, region, what }], this);
    return found.value;
  }

  /** Of the prices `used` (key and region), those no published page confirmed, for the caveats. */
  unverified(used: readonly { key: string; region: string }[]): UnverifiedPrice[] {
    const regionsByKey = new Map<string, Set<string>>();
    for (const { key, region } of used) regionsByKey.set(key, (regionsByKey.get(key) ?? new Set()).add(region));
    const out: UnverifiedPrice[] = [];
    for (const [key, regions] of [...regionsByKey].sort(([a], [b]) => a.localeCompare(b))) {
      const entry = this.data.prices[key];
      if (!entry.verified) {
        out.push({ key, unit: entry.unit, regions: [], note: entry.note });
        continue;
      }
      const unconfirmed = (entry.unverifiedRegions ?? []).filter((region) => regions.has(region));
      if (unconfirmed.length) out.push({ key, unit: entry.unit, regions: unconfirmed, note: entry.note });
    }
    return out;
  }
}

/** A price the model needed and the table could not give. */
export interface MissingPrice {
  readonly key: string;
  readonly region: string;
  /** What is priced (a node type, an instance type), when the key names it. */
  readonly what?: string;
}

/** One error listing every price in `missing` (deduplicated by key), with what the table has near each. */
export class MissingPricesError extends CostError {
  constructor(
    public readonly missing: readonly MissingPrice[],
    table: PriceTable,
  ) {
    const byKey = new Map<string, { what?: string; regions: Set<string> }>();
    for (const { key, region, what } of missing) {
      const seen = byKey.get(key) ?? { what, regions: new Set<string>() };
      byKey.set(key, { ...seen, regions: seen.regions.add(region) });
    }
    const items = [...byKey].sort(([a], [b]) => a.localeCompare(b));
    const described = items.map(([key, { what, regions }]) => {
      const priced = table.keysLike(key);
      const about = [
        what && what !== key ? what : undefined,
        `in ${[...regions].join(', ')}`,
        priced.length ? `priced: ${priced.join(', ')}` : undefined,
      ].filter(Boolean);
      return `${key} (${about.join('; ')})`;
    });
    super(
      `${FILE_LABEL} has no price for ${items.length} item${items.length === 1 ? '' : 's'}: ${described.join(', ')}`,
      'add each entry with its source and date as docs/cost.md describes, or give it a `select` and run `npm run prices:update`',
    );
  }
}

/** The error for the prices in `missing`. */
export const missingPrices = (missing: readonly MissingPrice[], table: PriceTable) =>
  new MissingPricesError(missing, table);
