import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../lib/config';
import { readJsonFile } from './json-file';

/** Where the committed price table lives; `npm run cost` and the tests read the same file. */
export const PRICES_FILE = join(__dirname, '..', '..', 'prices', 'aws-prices.json');
const FILE_LABEL = 'prices/aws-prices.json';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const price = z.number().nonnegative();

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

/** A price the estimate used that no published page confirmed, for the report's caveats. */
export interface UnverifiedPrice {
  readonly key: string;
  readonly unit: string;
  /** The regions whose figure is unconfirmed; empty when the whole entry is. */
  readonly regions: readonly string[];
  readonly note?: string;
}

/**
 * The committed unit prices, looked up by key and region. A key or region the table lacks is a
 * `ConfigError` naming what is priced, so a new region or node type fails loudly instead of
 * costing nothing.
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

  /** The unit price of `key` in `region`; `what` names the thing priced when the key is missing. */
  price(key: string, region: string, what: string = key): number {
    const entry = this.data.prices[key];
    if (!entry) {
      const family = `${key.split('.')[0]}.`;
      const known = Object.keys(this.data.prices).filter((k) => k.startsWith(family));
      throw new ConfigError(
        `${FILE_LABEL} › ${key}`,
        what,
        known.length ? `a priced key: ${known.join(', ')}` : 'a key of the price table',
        'has no price',
      );
    }
    const value = entry.global ?? entry.byRegion?.[region];
    if (value === undefined) {
      throw new ConfigError(
        `${FILE_LABEL} › ${key}`,
        region,
        `one of ${Object.keys(entry.byRegion ?? {}).join(', ')}, or add the region to the table`,
        'is a region with no price',
      );
    }
    return value;
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
