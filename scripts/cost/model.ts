import { ConfigError } from '../../lib/config';
import type { StackTemplate } from '../common/assembly';
import { FREE_TYPES, GLOBAL, METERS, MeterContext, Usage } from './meters';
import type { MetricSeries } from './metric-series';
import { MissingPrice, PriceTable, UnverifiedPrice, missingPrices } from './prices';

/** The model reads the templates as every script does; meters import these types from here. */
export type { CfnResource, StackTemplate } from '../common/assembly';

/**
 * The monthly-cost model: synthesized templates + traffic assumptions + the price table → line
 * items. Pure: it reads nothing but its arguments, so the tests feed it the templates of an app
 * they built and `scripts/cost.ts` feeds it the app it synthesized.
 *
 * Each CloudFormation type is billed by one small meter (`meters/`), the way a cdk-nag rule
 * is one function over one resource; types that cost nothing by themselves are listed with the
 * reason in `FREE_TYPES`, and any other type is reported as unpriced rather than silently free.
 */

/**
 * What the templates cannot say: traffic and data volumes per month. Every figure is printed with
 * the estimate; change them here, per profile.
 */
export interface Assumptions {
  /** Viewer requests per month at CloudFront, all regions together (WAF inspects each). */
  readonly requestsPerMonth: number;
  /**
   * Resolvers that look up the origin name (CloudFront's, across its edge locations): each asks
   * again when its answer's TTL runs out, so a non-alias latency record costs about
   * resolvers x seconds per month / TTL queries. Alias answers are free.
   */
  readonly originDnsResolvers: number;
  /** GB CloudFront sends to viewers per month. */
  readonly cloudFrontEgressGb: number;
  /** Share of viewer requests CloudFront answers from cache; the rest reach an ALB. */
  readonly cacheHitRatio: number;
  /** GB the ALBs process per month (requests and responses), all regions together. */
  readonly originGbPerMonth: number;
  /** New ALB connections per origin request (CloudFront reuses connections). */
  readonly albNewConnectionsPerRequest: number;
  /**
   * GB through the NAT of a region per month (image pulls and AWS APIs use endpoints). NAT gateways
   * bill it per GB; NAT instances do not (their internet egress is not modeled either way).
   */
  readonly natGbPerRegion: number;
  /** GB through the interface endpoints of a region per month; through NAT where a region has none. */
  readonly endpointGbPerRegion: number;
  /** GB crossing AZs in a region per month (ALB to tasks, tasks to the database and cache). */
  readonly crossAzGbPerRegion: number;
  /** GB the primary sends to each secondary region per month (storage replication, events). */
  readonly replicationGbPerSecondaryRegion: number;
  /** GB of service and database logs ingested per region per month. */
  readonly appLogsGbPerRegion: number;
  /** GB of VPC flow logs ingested per region per month. */
  readonly flowLogsGbPerRegion: number;
  /** Bytes of WAF log per inspected request. */
  readonly wafLogBytesPerRequest: number;
  /** GB stored per Aurora cluster (each region's copy of a global database is billed). */
  readonly auroraStorageGbPerCluster: number;
  /** Million I/O requests per Aurora cluster per month (Aurora Standard). */
  readonly auroraIoMillionsPerCluster: number;
  /** Million write I/Os per primary cluster per month, replicated to every secondary region. */
  readonly auroraWriteIoMillionsPerCluster: number;
  /** Million SQS requests per region per month (long polls, sends, deletes). */
  readonly sqsRequestsMillionsPerRegion: number;
  /** Million SNS publishes per region per month (invalidation events, alarms). */
  readonly snsPublishesMillionsPerRegion: number;
  /** Million KMS requests per region per month (data keys are cached by SQS, SNS and the SDK). */
  readonly kmsRequestsMillionsPerRegion: number;
  /**
   * Custom metrics the EMF lines of an ECS service other than the sample service create (the
   * sample's are counted from service/metric-series.json): a fork's own image.
   */
  readonly emfSeriesPerOtherService: number;
  /**
   * Hours per month in which failure-only series (5xx, load shedding, dependency errors, failed
   * jobs) are emitted: CloudWatch bills a custom metric only for the hours it receives data.
   */
  readonly failureHoursPerMonth: number;
  /** Metrics Container Insights keeps per cluster, per service and per running task. */
  readonly containerInsightsMetrics: {
    readonly perCluster: number;
    readonly perService: number;
    readonly perTask: number;
  };
  /** GB stored per S3 bucket (logs, static site). */
  readonly s3GbPerBucket: number;
  /** KB of Enhanced Monitoring log per database instance and sample (RDSOSMetrics, process list included). */
  readonly enhancedMonitoringKbPerSample: number;
  /** Times each FIS experiment template is run per month (templates are free until run). */
  readonly fisRunsPerTemplatePerMonth: number;
}

/** A priced line of the estimate, summed over the regions that have it. */
export interface LineItem {
  readonly item: string;
  readonly priceKey: string;
  /** Quantity at the floor (minimum capacity), in `unit`; multiplied by `hours` when hourly. */
  readonly quantity: number;
  /** Quantity at max scale. */
  readonly maxQuantity: number;
  readonly unit: string;
  readonly hours?: number;
  /** The distinct unit prices over the regions (one when every region costs the same). */
  readonly unitPrices: readonly number[];
  readonly monthly: number;
  readonly maxMonthly: number;
  readonly regions: readonly string[];
  /** Quantity at the floor per region (or `global`). */
  readonly quantityByRegion: Readonly<Record<string, number>>;
}

/** A CloudFormation type seen in the templates that the estimate does not bill. */
export interface UnbilledType {
  readonly type: string;
  readonly count: number;
  /** Why it is free; undefined when the model does not know the type (a gap to close). */
  readonly reason?: string;
}

export interface Estimate {
  readonly profile: string;
  readonly regions: readonly string[];
  readonly assumptions: Assumptions;
  readonly lines: readonly LineItem[];
  /** Monthly USD at the floor: minimum tasks, ACUs and readers. */
  readonly total: number;
  /** Monthly USD at max scale: maximum tasks, ACUs and readers, same traffic. */
  readonly maxTotal: number;
  readonly byRegion: Readonly<Record<string, number>>;
  /** Every resource count the meters saw, by type. */
  readonly resourceCounts: Readonly<Record<string, number>>;
  readonly unbilled: readonly UnbilledType[];
  readonly unverified: readonly UnverifiedPrice[];
  /** Regions priced with another region's prices, for want of their own in the table. */
  readonly estimated: readonly EstimatedRegion[];
  /** What else the reader must know about how this estimate was made (a missing input). */
  readonly notes: readonly string[];
}

/** A region the table does not price for some keys, and the region whose prices stand in. */
export interface EstimatedRegion {
  readonly region: string;
  readonly from: string;
  readonly keys: readonly string[];
}

/**
 * Prices `templates` (one synthesized app) for `profile` under `assumptions`; `metricSeries` counts
 * the sample service's custom metrics.
 */
export function estimate(
  profile: string,
  templates: readonly StackTemplate[],
  assumptions: Assumptions,
  prices: PriceTable,
  metricSeries: MetricSeries,
): Estimate {
  const context = new MeterContext(templates, assumptions, prices.hoursPerMonth, metricSeries);
  const usages: Usage[] = [];
  const counts = new Map<string, number>();
  for (const stack of templates) {
    for (const [logicalId, resource] of Object.entries(stack.resources)) {
      counts.set(resource.Type, (counts.get(resource.Type) ?? 0) + 1);
      const meter = METERS[resource.Type];
      if (meter) usages.push(...meter({ stack, logicalId, resource, context }));
    }
  }

  const missing: MissingPrice[] = [];
  const estimatedKeys = new Map<string, { region: string; from: string; keys: Set<string> }>();
  const lookup = (key: string, region: string, what?: string): number => {
    const found = prices.lookup(key, region);
    if (!found) {
      missing.push({ key, region, what });
      return 0;
    }
    if (found.estimatedFrom) {
      // By region and stand-in: an item priced only in us-east-1 may stand in beside a European one.
      const id = `${region}\u0000${found.estimatedFrom}`;
      const seen = estimatedKeys.get(id) ?? { region, from: found.estimatedFrom, keys: new Set<string>() };
      estimatedKeys.set(id, { ...seen, keys: seen.keys.add(key) });
    }
    return found.value;
  };
  const priced = usages
    .filter((usage) => usage.quantity > 0 || usage.maxQuantity > 0)
    .map((usage) => {
      if (usage.region === 'unknown-region' || usage.region.startsWith('${')) {
        throw new ConfigError('stack', usage.stackId, 'a stack with an explicit region', 'has no region to price in');
      }
      const discount = usage.discountKey ? lookup(usage.discountKey, usage.region) : 0;
      const unitPrice = lookup(usage.priceKey, usage.region, usage.what) * (1 - discount);
      const perUnit = unitPrice * (usage.hours ?? 1);
      return { usage, unitPrice, monthly: usage.quantity * perUnit, maxMonthly: usage.maxQuantity * perUnit };
    });
  // Every price the table lacks at once, not one per run.
  if (missing.length) throw missingPrices(missing, prices);

  const lines = new Map<string, { first: Usage; rows: typeof priced }>();
  for (const row of priced) {
    const key = `${row.usage.item}\u0000${row.usage.priceKey}`;
    const line = lines.get(key) ?? { first: row.usage, rows: [] };
    line.rows.push(row);
    lines.set(key, line);
  }
  const lineItems: LineItem[] = [...lines.values()]
    .map(({ first, rows }) => ({
      item: first.item,
      priceKey: first.priceKey,
      quantity: sum(rows.map((r) => r.usage.quantity)),
      maxQuantity: sum(rows.map((r) => r.usage.maxQuantity)),
      unit: first.unit,
      hours: first.hours,
      unitPrices: [...new Set(rows.map((r) => r.unitPrice))].sort((a, b) => a - b),
      monthly: sum(rows.map((r) => r.monthly)),
      maxMonthly: sum(rows.map((r) => r.maxMonthly)),
      regions: [...new Set(rows.map((r) => r.usage.region))],
      quantityByRegion: rows.reduce<Record<string, number>>((out, { usage }) => {
        out[usage.region] = (out[usage.region] ?? 0) + usage.quantity;
        return out;
      }, {}),
    }))
    .sort((a, b) => b.monthly - a.monthly || b.maxMonthly - a.maxMonthly || a.item.localeCompare(b.item));

  // Regions in deploy order (the order of the stacks), the global services last.
  const byRegion: Record<string, number> = {};
  for (const region of [...templates.map((t) => t.region), GLOBAL]) {
    const rows = priced.filter((row) => row.usage.region === region);
    if (rows.length && byRegion[region] === undefined) byRegion[region] = sum(rows.map((row) => row.monthly));
  }

  const unbilled = [...counts]
    .filter(([type]) => !METERS[type])
    .map(([type, count]) => ({ type, count, reason: freeReason(type) }))
    .sort((a, b) => Number(a.reason !== undefined) - Number(b.reason !== undefined) || a.type.localeCompare(b.type));

  return {
    profile,
    regions: [...new Set(templates.map((t) => t.region))].filter((r) => r !== 'unknown-region'),
    assumptions,
    lines: lineItems,
    total: sum(lineItems.map((l) => l.monthly)),
    maxTotal: sum(lineItems.map((l) => l.maxMonthly)),
    byRegion,
    resourceCounts: Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))),
    unbilled,
    estimated: [...estimatedKeys.values()].map(({ region, from, keys }) => ({ region, from, keys: [...keys].sort() })),
    notes: counts.has('AWS::ECS::Service') ? metricSeries.notes() : [],
    unverified: prices.unverified(
      priced.flatMap(({ usage: { priceKey, discountKey, region } }) =>
        [priceKey, discountKey].filter((key): key is string => key !== undefined).map((key) => ({ key, region })),
      ),
    ),
  };
}

/** Types the estimate bills nothing for, with the reason; `Custom::` resources run at deploy only. */
function freeReason(type: string): string | undefined {
  if (type.startsWith('Custom::')) return 'custom resource: a Lambda call at deploy time';
  return FREE_TYPES[type];
}

/** The line items whose label starts with `prefix` (tests and recommendations read these). */
export function linesFor(result: Estimate, prefix: string): LineItem[] {
  return result.lines.filter((line) => line.item.startsWith(prefix));
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
