/**
 * AWS's Price List bulk files, as documented in "Getting price list files using the AWS Price List
 * Bulk API" (AWS Billing user guide): a service index (`/offers/v1.0/aws/index.json`, `offers` by
 * offer code with `currentVersionUrl` and `currentRegionIndexUrl`), a region index per service
 * (`regions` by region code with `currentVersionUrl`), and offer files with `products`
 * ({ sku: { productFamily, attributes } }) and `terms.OnDemand`
 * ({ sku: { offerTermCode: { priceDimensions: { rateCode: { unit, beginRange, pricePerUnit: { USD } } } } } }).
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CostError } from './errors';
import { JsonMemberScanner } from './json-members';
import type { PriceSelect } from './prices';

/** Where AWS publishes the bulk files; the index's URLs are paths under it. */
export const PRICE_LIST_BASE = 'https://pricing.us-east-1.amazonaws.com';
export const SERVICE_INDEX_PATH = '/offers/v1.0/aws/index.json';

/** The bulk files under a root: AWS over HTTPS (through a download cache), or a local copy. */
export interface PriceListSource {
  /** The absolute URL of `path`, for the price table's `evidence`. */
  url(path: string): string;
  /** The file at `path` as text chunks. */
  read(path: string): Promise<AsyncIterable<string>>;
}

/** Files under `dir` at the same paths as on AWS's server (a mirror, or the tests' fixture). */
export function directorySource(dir: string, base = PRICE_LIST_BASE): PriceListSource {
  return {
    url: (path) => new URL(path, base).toString(),
    read: async (path) => {
      const file = join(dir, path);
      if (!existsSync(file)) {
        throw new CostError(`the price list has no ${path} under ${dir}`, 'download it, or run without --from');
      }
      return createReadStream(file, { encoding: 'utf-8' });
    },
  };
}

/**
 * AWS's server, each file downloaded once into `cacheDir` (offer files are large; a second run
 * after fixing a `select` reads the copies).
 */
export function httpSource(cacheDir: string, base = PRICE_LIST_BASE): PriceListSource {
  const local = directorySource(cacheDir, base);
  return {
    url: local.url,
    read: async (path) => {
      const file = join(cacheDir, path);
      if (!existsSync(file)) {
        const url = local.url(path);
        let response: Response;
        try {
          response = await fetch(url);
        } catch (error) {
          throw new CostError(
            `cannot reach ${url} (${String(error)})`,
            'run it where AWS is reachable, or pass --from <a copy of the files>',
          );
        }
        if (!response.ok || !response.body)
          throw new CostError(
            `${url} answered ${response.status}`,
            'check the service code in the `select` of the price',
          );
        // Streamed to disk under a temporary name: an offer file can be larger than memory.
        mkdirSync(dirname(file), { recursive: true });
        await pipeline(Readable.fromWeb(response.body as never), createWriteStream(`${file}.part`));
        renameSync(`${file}.part`, file);
      }
      return local.read(path);
    },
  };
}

async function readJson(source: PriceListSource, path: string): Promise<any> {
  let text = '';
  for await (const chunk of await source.read(path)) text += chunk;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CostError(
      `${source.url(path)} is not JSON (${String(error)})`,
      'delete the download cache and run again',
    );
  }
}

/** A product of an offer file. */
export interface Product {
  readonly sku: string;
  readonly productFamily?: string;
  readonly attributes: Readonly<Record<string, string>>;
}

interface PriceDimension {
  readonly unit: string;
  readonly beginRange?: string;
  readonly startingRange?: string;
  readonly pricePerUnit: Readonly<Record<string, string>>;
}

/** The products an offer file has that some select wants, with their on-demand price dimensions. */
export interface Offer {
  readonly path: string;
  readonly publicationDate?: string;
  readonly products: readonly Product[];
  readonly onDemand: ReadonlyMap<string, readonly PriceDimension[]>;
}

/** Whether `product` is one `select` asks for: same family, each attribute equal or matching its `/regex/`. */
export function matches(product: Product, select: PriceSelect): boolean {
  if (select.productFamily !== undefined && product.productFamily !== select.productFamily) return false;
  return Object.entries(select.attributes).every(([name, wanted]) => {
    const actual = product.attributes[name];
    if (actual === undefined) return false;
    const regex = /^\/(.*)\/([a-z]*)$/.exec(wanted);
    return regex ? new RegExp(regex[1], regex[2]).test(actual) : actual === wanted;
  });
}

/** Reads the offer file at `path`, keeping only the products some of `selects` want. */
export async function readOffer(
  source: PriceListSource,
  path: string,
  selects: readonly PriceSelect[],
): Promise<Offer> {
  const products: Product[] = [];
  const wanted = new Set<string>();
  const terms = new Map<string, unknown>();
  let publicationDate: string | undefined;
  let scanned = 0;
  const scanner = new JsonMemberScanner([[], ['products'], ['terms', 'OnDemand']], (parent, key, value) => {
    if (parent === '' && key === 'publicationDate') publicationDate = String(value);
    else if (parent === 'products') {
      scanned++;
      const product = value as { sku?: string; productFamily?: string; attributes?: Record<string, string> };
      const candidate: Product = {
        sku: product.sku ?? key,
        productFamily: product.productFamily,
        attributes: product.attributes ?? {},
      };
      if (selects.some((select) => matches(candidate, select))) {
        products.push(candidate);
        wanted.add(candidate.sku);
      }
    } else if (parent === 'terms.OnDemand' && (wanted.has(key) || scanned === 0)) {
      // AWS writes products before terms, so only wanted terms are kept; were terms first, all are.
      terms.set(key, value);
    }
  });
  for await (const chunk of await source.read(path)) scanner.write(chunk);
  const onDemand = new Map<string, PriceDimension[]>();
  for (const sku of wanted) {
    const offerTerms = (terms.get(sku) ?? {}) as Record<string, { priceDimensions?: Record<string, PriceDimension> }>;
    onDemand.set(
      sku,
      Object.values(offerTerms).flatMap((term) => Object.values(term.priceDimensions ?? {})),
    );
  }
  return { path, publicationDate, products, onDemand };
}

/** The price `select` reads from `offer`, or why there is not exactly one. */
export function priceIn(offer: Offer, select: PriceSelect): { value: number } | { problem: string } {
  const skus = offer.products.filter((product) => matches(product, select)).map((product) => product.sku);
  if (skus.length === 0) return { problem: 'no product matches' };
  const found = new Map<number, string[]>();
  for (const sku of skus) {
    for (const dimension of offer.onDemand.get(sku) ?? []) {
      if (select.unit !== undefined && dimension.unit !== select.unit) continue;
      if (Number(dimension.beginRange ?? dimension.startingRange ?? 0) !== select.tier) continue;
      const usd = Number(dimension.pricePerUnit.USD);
      if (!Number.isFinite(usd)) continue;
      const value = Number((usd * select.multiply).toPrecision(10));
      found.set(value, [...(found.get(value) ?? []), sku]);
    }
  }
  if (found.size === 0) {
    return {
      problem: `${skus.length} product(s) match (${skus.slice(0, 3).join(', ')}) but none has an on-demand price${select.unit ? ` in ${select.unit}` : ''} from ${select.tier}`,
    };
  }
  if (found.size > 1) {
    const listed = [...found].map(([value, s]) => `${value} (${s.slice(0, 2).join(', ')})`).join(', ');
    return { problem: `${found.size} different prices match: ${listed}; narrow the attributes` };
  }
  const [value] = found.keys();
  // A zero is a free tier (SQS's first million requests), not the price the table wants.
  if (value === 0) return { problem: `reads 0, a free tier: set \`tier\` to where the paid tier begins` };
  return { value };
}

/** The service index and, per service, its region index: where each offer file is. */
export class PriceListIndex {
  private readonly regionIndexes = new Map<string, Promise<Record<string, { currentVersionUrl: string }>>>();
  private services?: Promise<Record<string, { currentVersionUrl: string; currentRegionIndexUrl?: string }>>;

  constructor(public readonly source: PriceListSource) {}

  private async service(code: string) {
    this.services ??= readJson(this.source, SERVICE_INDEX_PATH).then((index) => index.offers ?? {});
    const offer = (await this.services)[code];
    if (!offer)
      throw new CostError(
        `the price list has no service ${code}`,
        'use an offer code of /offers/v1.0/aws/index.json in `select.service`',
      );
    return offer;
  }

  /** The path of the whole offer file of `service` (every region). */
  async globalOffer(service: string): Promise<string> {
    return (await this.service(service)).currentVersionUrl;
  }

  /** The path of `service`'s offer file for `region`, or undefined when AWS does not offer it there. */
  async regionalOffer(service: string, region: string): Promise<string | undefined> {
    if (!this.regionIndexes.has(service)) {
      const offer = await this.service(service);
      if (!offer.currentRegionIndexUrl)
        throw new CostError(
          `the price list has no region index for ${service}`,
          'set `"scope": "global"` in its `select`',
        );
      this.regionIndexes.set(
        service,
        readJson(this.source, offer.currentRegionIndexUrl).then((index) => index.regions ?? {}),
      );
    }
    return (await this.regionIndexes.get(service)!)[region]?.currentVersionUrl;
  }
}
