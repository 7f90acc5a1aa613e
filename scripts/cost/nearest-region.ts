import { EDGE_REGION, REGION_NAMES } from '../../lib/config/regions';

/**
 * Price geographies by the first part of a region's name. AWS prices a service alike within a
 * geography far more often than across them, so a region the price table does not list is
 * estimated from a priced region of its own geography.
 */
const GEOGRAPHIES: Readonly<Record<string, string>> = {
  us: 'Americas',
  ca: 'Americas',
  mx: 'Americas',
  sa: 'Americas',
  eu: 'Europe, Middle East and Africa',
  il: 'Europe, Middle East and Africa',
  me: 'Europe, Middle East and Africa',
  af: 'Europe, Middle East and Africa',
  ap: 'Asia Pacific',
};

/** The geography of `region` (see `GEOGRAPHIES`), undefined for a prefix it does not list. */
export const geographyOf = (region: string): string | undefined => GEOGRAPHIES[region.split('-')[0]];

/**
 * The priced region whose price stands in for `region`, which has none of its own: the first of
 * `priced` in the same geography, in the order of lib/config/regions.ts; else the edge region
 * (us-east-1), the reference of most published prices; else none.
 */
export function nearestPricedRegion(region: string, priced: readonly string[]): string | undefined {
  const order = (r: string) => {
    const index = (REGION_NAMES as readonly string[]).indexOf(r);
    return index < 0 ? REGION_NAMES.length : index;
  };
  const geography = geographyOf(region);
  const sameGeography = priced
    .filter((r) => geography !== undefined && geographyOf(r) === geography)
    .sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  if (sameGeography.length) return sameGeography[0];
  return priced.includes(EDGE_REGION) ? EDGE_REGION : undefined;
}
