import { Assumptions, Estimate, EstimatedRegion, LineItem } from './model';
import type { Markers } from '../common/generated';
import { UnverifiedPrice } from './prices';

/** Monthly targets from the issue: prod (3 regions) under the AWS multi-region sample's 2 regions. */
export const TARGETS: Readonly<Record<string, number>> = { prod: 2850, dev: 150 };

/** Markers of the report in docs/cost.md, and of the summary copied into README.md. */
export const REPORT_MARKERS: Markers = { start: '<!-- cost:start -->', end: '<!-- cost:end -->' };
export const SUMMARY_MARKERS: Markers = { start: '<!-- cost-summary:start -->', end: '<!-- cost-summary:end -->' };

/** What the model leaves out on purpose, printed under the tables. */
const NOT_MODELED = [
  'free tiers (CloudFront 1 TB and 10 M requests, CloudWatch 10 alarms, 3 dashboards and 5 GB of logs, KMS 20,000 requests): the account may already use them, so the estimate is an upper bound for a small account',
  'savings plans and reserved nodes or instances',
  'CloudWatch Logs storage (about $0.03 per compressed GB-month) and Logs Insights queries',
  'Aurora and ElastiCache backups within the free allowance (up to the cluster size), Performance Insights at 7 days (free)',
  'Route 53 queries: every record the app serves is an alias to CloudFront or an ALB, which answers for free',
  'internet egress through the NAT gateways or instances, S3 and SQS request charges below a dollar, Secrets Manager and CloudWatch API calls',
  'ALB LCUs are priced on the monthly average; the hourly peak is what AWS bills',
];

/** The Markdown report of `estimates` (one per profile), as the docs section and the CLI print it. */
export function renderReport(estimates: readonly Estimate[]): string {
  const out: string[] = [];
  out.push(renderAssumptions(estimates), '');
  for (const estimate of estimates) out.push(renderEstimate(estimate), '');

  const unverified = mergeUnverified(estimates.flatMap((e) => e.unverified));
  out.push('#### Prices not confirmed by a published page', '');
  out.push(
    unverified.length
      ? unverified
          .map(
            (u) =>
              `- \`${u.key}\` (${u.unit})${u.regions.length ? ` in ${u.regions.join(', ')}` : ''}${u.note ? `: ${u.note}` : ''}`,
          )
          .join('\n')
      : 'None.',
    '',
  );

  const estimated = mergeEstimated(estimates);
  if (estimated.length) {
    out.push('#### Prices estimated from another region', '');
    out.push(
      ...estimated.map(
        ({ region, from, keys }) => `- ${region}, from ${from}: ${keys.map((key) => `\`${key}\``).join(', ')}`,
      ),
      '',
    );
  }

  const unbilled = new Map<string, { count: number; reason?: string }>();
  for (const type of estimates.flatMap((e) => e.unbilled)) {
    const seen = unbilled.get(type.type);
    unbilled.set(type.type, { count: Math.max(seen?.count ?? 0, type.count), reason: type.reason });
  }
  const unknown = [...unbilled].filter(([, t]) => t.reason === undefined);
  out.push('#### Resource types not priced', '');
  if (unknown.length) {
    out.push(
      `Unknown to the model, so missing from the totals: ${unknown.map(([type]) => `\`${type}\``).join(', ')}.`,
      '',
    );
  }
  out.push(
    'Seen in the templates and billed nothing on purpose:',
    '',
    ...[...unbilled].filter(([, t]) => t.reason !== undefined).map(([type, t]) => `- \`${type}\`: ${t.reason}`),
    '',
    '#### Not modeled',
    '',
    ...NOT_MODELED.map((line) => `- ${line}`),
  );
  return out.join('\n');
}

/** One profile's table: line items by cost, the floor total, the max-scale total and the target. */
export function renderEstimate(estimate: Estimate): string {
  const target = TARGETS[estimate.profile];
  const verdict =
    target === undefined
      ? ''
      : estimate.total <= target
        ? ` Target ≤ US$${usd(target, 0)}: met with US$${usd(target - estimate.total)} to spare.`
        : ` Target ≤ US$${usd(target, 0)}: **over by US$${usd(estimate.total - target)}**.`;
  const rows = estimate.lines.map(
    (line) =>
      `| ${line.item} | ${quantity(line)} | ${unitPrice(line)} | ${usd(line.monthly)} | ${usd(line.maxMonthly)} |`,
  );
  const estimatedFrom = new Map<string, string[]>();
  for (const { region, from } of estimate.estimated)
    estimatedFrom.set(region, [...(estimatedFrom.get(region) ?? []), from]);
  const regions = Object.entries(estimate.byRegion)
    .map(([region, monthly]) => {
      const from = estimatedFrom.get(region);
      return `${region} US$${usd(monthly)}${from ? ` (estimated from ${from.join(' and ')})` : ''}`;
    })
    .join(' · ');
  const caveats = [
    ...estimate.estimated.map(
      ({ region, from, keys }) =>
        `**Estimated:** prices/aws-prices.json has no ${region} prices for ${keys.length} item${keys.length === 1 ? '' : 's'}; those of ${from}, the nearest priced region, stand in (listed below). Run \`npm run prices:update -- --region ${region}\` to price it.`,
    ),
    ...estimate.notes.map((note) => `**Note:** ${note}.`),
  ];
  return [
    `### ${estimate.profile}: ${estimate.regions.join(', ')}`,
    '',
    `**US$${usd(estimate.total)} per month** at the floor (minimum tasks, ACUs and readers); US$${usd(estimate.maxTotal)} at max scale with the same traffic.${verdict}`,
    '',
    '| line item | quantity | unit price (USD) | monthly USD | at max scale |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
    `| **total** | | | **${usd(estimate.total)}** | **${usd(estimate.maxTotal)}** |`,
    '',
    `By region: ${regions}.`,
    ...caveats.flatMap((caveat) => ['', caveat]),
  ].join('\n');
}

const ASSUMPTION_LABELS: Readonly<Record<keyof Assumptions, string>> = {
  requestsPerMonth: 'viewer requests per month (CloudFront, WAF)',
  originDnsResolvers: 'resolvers looking up the origin name (latency CNAME queries)',
  cloudFrontEgressGb: 'CloudFront egress GB per month',
  cacheHitRatio: 'CloudFront cache hit ratio',
  originGbPerMonth: 'GB through the ALBs per month, all regions',
  albNewConnectionsPerRequest: 'new ALB connections per origin request',
  natGbPerRegion:
    'NAT GB per region, billed per GB by NAT gateways only (plus the endpoint GB where a region has no endpoints)',
  endpointGbPerRegion: 'interface endpoint GB per region',
  crossAzGbPerRegion: 'cross-AZ GB per region',
  replicationGbPerSecondaryRegion: 'GB replicated to each secondary region',
  appLogsGbPerRegion: 'service and database log GB per region',
  flowLogsGbPerRegion: 'VPC flow log GB per region',
  wafLogBytesPerRequest: 'WAF log bytes per request',
  auroraStorageGbPerCluster: 'Aurora GB stored per cluster',
  auroraIoMillionsPerCluster: 'Aurora million I/Os per cluster',
  auroraWriteIoMillionsPerCluster: 'Aurora million write I/Os replicated per secondary cluster',
  sqsRequestsMillionsPerRegion: 'SQS million requests per region',
  snsPublishesMillionsPerRegion: 'SNS million publishes per region',
  kmsRequestsMillionsPerRegion: 'KMS million requests per region',
  emfSeriesPerOtherService: 'EMF custom metrics per ECS service other than the sample service',
  failureHoursPerMonth: 'hours per month with failures (failure-only EMF metrics are billed for these)',
  containerInsightsMetrics: 'Container Insights metrics per cluster / service / task',
  s3GbPerBucket: 'GB per S3 bucket',
  enhancedMonitoringKbPerSample: 'KB per Enhanced Monitoring sample',
  fisRunsPerTemplatePerMonth: 'runs of each FIS drill per month',
};

function renderAssumptions(estimates: readonly Estimate[]): string {
  const keys = Object.keys(ASSUMPTION_LABELS) as (keyof Assumptions)[];
  const value = (a: Assumptions, key: keyof Assumptions) => {
    const v = a[key];
    return typeof v === 'object' ? `${v.perCluster} / ${v.perService} / ${v.perTask}` : number(v);
  };
  return [
    '#### Assumptions (per month)',
    '',
    `| assumption | ${estimates.map((e) => e.profile).join(' | ')} |`,
    `| --- | ${estimates.map(() => '---:').join(' | ')} |`,
    ...keys.map(
      (key) => `| ${ASSUMPTION_LABELS[key]} | ${estimates.map((e) => value(e.assumptions, key)).join(' | ')} |`,
    ),
  ].join('\n');
}

/** The estimated regions of all `estimates`, each region and stand-in once with the keys of every profile. */
function mergeEstimated(estimates: readonly Estimate[]): EstimatedRegion[] {
  const merged = new Map<string, EstimatedRegion>();
  for (const e of estimates.flatMap((estimate) => estimate.estimated)) {
    const id = `${e.region}\u0000${e.from}`;
    const seen = merged.get(id);
    merged.set(id, { ...e, keys: [...new Set([...(seen?.keys ?? []), ...e.keys])].sort() });
  }
  return [...merged.values()].sort((a, b) => a.region.localeCompare(b.region) || a.from.localeCompare(b.from));
}

function mergeUnverified(list: readonly UnverifiedPrice[]): UnverifiedPrice[] {
  const byKey = new Map<string, UnverifiedPrice>();
  for (const u of list) {
    const seen = byKey.get(u.key);
    byKey.set(u.key, { ...u, regions: [...new Set([...(seen?.regions ?? []), ...u.regions])].sort() });
  }
  return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** Units as the meters name them (plural), and their singular for a quantity of one. */
const SINGULAR: Readonly<Record<string, string>> = {
  addresses: 'address',
  'alarm metrics': 'alarm metric',
  alarms: 'alarm',
  checks: 'check',
  clusters: 'cluster',
  dashboards: 'dashboard',
  instances: 'instance',
  keys: 'key',
  'load balancers': 'load balancer',
  metrics: 'metric',
  'NAT gateways': 'NAT gateway',
  nodes: 'node',
  options: 'option',
  rules: 'rule',
  secrets: 'secret',
  'web ACLs': 'web ACL',
  zones: 'zone',
};

function quantity(line: LineItem): string {
  const unit = line.quantity === 1 ? (SINGULAR[line.unit] ?? line.unit) : line.unit;
  const amount = `${number(line.quantity)} ${unit}`;
  return line.hours ? `${amount} × ${line.hours} h` : amount;
}

function unitPrice(line: LineItem): string {
  const [low, high] = [line.unitPrices[0], line.unitPrices[line.unitPrices.length - 1]];
  const range = low === high ? price(low) : `${price(low)}–${price(high)}`;
  return line.hours ? `${range}/h` : range;
}

const price = (value: number) => String(Number(value.toPrecision(6)));
const number = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 2 });
const usd = (value: number, digits = 2) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The README's summary: one row per profile with its total, its ceiling and its target. */
export function renderSummary(estimates: readonly Estimate[]): string {
  const rows = estimates.map((estimate) => {
    const target = TARGETS[estimate.profile];
    const verdict =
      target === undefined ? '—' : `≤ US$${usd(target, 0)}: ${estimate.total <= target ? 'met' : '**over**'}`;
    return `| ${estimate.profile} | ${estimate.regions.filter((r) => r !== 'global').join(', ')} | US$${usd(estimate.total, 0)} | US$${usd(estimate.maxTotal, 0)} | ${verdict} |`;
  });
  return [
    '| profile | regions | per month at minimum capacity | at max scale | target |',
    '| --- | --- | ---: | ---: | --- |',
    ...rows,
  ].join('\n');
}

/**
 * Markdown with the layout prettier chooses taken out (table padding, alignment-row dashes, blank
 * runs), so a freshly rendered section compares equal to the committed, formatted one.
 */
export function normalizeMarkdown(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const trimmed = line.trim();
      if (!trimmed.startsWith('|')) return trimmed;
      return trimmed
        .split('|')
        .map((cell) => cell.trim().replace(/^(:?)-+(:?)$/, '$1---$2'))
        .join('|');
    })
    .filter((line, i, lines) => line !== '' || (i > 0 && lines[i - 1] !== ''))
    .join('\n')
    .trim();
}
