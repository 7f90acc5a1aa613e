import { z } from 'zod';
import {
  addressesForAzs,
  BURSTABLE_CACHE_NODE,
  CACHE_MAX_NODES,
  CACHE_PARAMETER_GROUP_FAMILIES,
  CODECONNECTIONS_ARN,
  GIT_BRANCH,
  GITHUB_REPOSITORY,
  INTERFACE_ENDPOINTS,
  NAT_KINDS,
} from '../constructs/choices';
import { findThresholdIssue } from '../constructs/monitoring/thresholds';
import { fargateMemoryChoices } from './fargate';
import { REGION_NAMES } from './regions';
import { Rule, rules, violation } from './rules';
import { availabilityZonesOf, regionalRules, vpcCidrOf } from './regional-rules';

// Shared with the constructs that check the same facts; plain modules without CDK imports.
export { CODECONNECTIONS_ARN, GIT_BRANCH, GITHUB_REPOSITORY, INTERFACE_ENDPOINTS, NAT_KINDS };
export type { InterfaceEndpointName, NatKind } from '../constructs/choices';

/**
 * The app's configuration: every key, its default (the production values), what it allows, and
 * the rules that span keys. `cdk.json` sets only what a project chooses; `load.ts` merges the
 * chosen profile (after its `extends` chain) over these defaults, then the top-level context keys
 * and `-c key=value` overrides over that. A failed check becomes one line:
 * `config error: <key> = <value> <problem> (allowed: <what>)`.
 *
 * Adding a key: give it `.default(<production value>)`, or make an optional feature that is off
 * unless a profile turns it on `switchable(...)`, and a `.describe()` that says why one would change
 * it; `npm run regen` then rewrites docs/config.md and cdk.schema.json.
 */

/** A leaf whose failures all report `allowed` as what would have been accepted. */
const allowed = (text: string) => ({ error: text });

/**
 * An object section that rejects unknown keys (a typo must never be silently ignored). Its own
 * default is `{}`, so every key inside it takes its default.
 */
const section = <T extends z.core.$ZodLooseShape>(shape: T, what = `an object of ${Object.keys(shape).join(', ')}`) =>
  z.strictObject(shape, allowed(what));

const int = (min: number, max: number) => {
  const what = allowed(`an integer from ${min} to ${max}`);
  return z.number(what).int(what).min(min, what).max(max, what);
};

/**
 * An optional feature: off unless a profile gives it, and `null` turns it off again in a profile
 * that extends one that turned it on (dev's `"readerAutoScaling": null`). The app sees `undefined`.
 */
const switchable = <T extends z.ZodType>(schema: T) =>
  schema
    .nullable()
    .transform((value): z.output<T> | undefined => value ?? undefined)
    .optional();

/** Aurora Serverless v2 capacity: 0 to 256 ACUs in half steps. */
const acu = z
  .number(allowed('0 to 256 in steps of 0.5'))
  .min(0, allowed('0 to 256 in steps of 0.5'))
  .max(256, allowed('0 to 256 in steps of 0.5'))
  .multipleOf(0.5, allowed('0 to 256 in steps of 0.5'));

export const regionSchema = z.enum(REGION_NAMES, allowed(REGION_NAMES.join(', ')));

/** Retention periods CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
const retentionDays = z
  .number(allowed(LOG_RETENTION_DAYS.join(', ')))
  .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), allowed(LOG_RETENTION_DAYS.join(', ')));

const hostname = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.[a-z]{2,63}$/;
const octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const ipv4Cidr = new RegExp(`^${octet}(\\.${octet}){3}/(3[0-2]|[12]?\\d)$`);
/** A VPC range big enough for three AZs of public, private and isolated subnets: /16 to /18. */
const vpcCidr = z
  .string(allowed('an IPv4 CIDR from /16 to /18'))
  .regex(ipv4Cidr, allowed('an IPv4 CIDR from /16 to /18'))
  .superRefine(
    rules((cidr: string) => {
      const bits = Number(cidr.split('/')[1]);
      if (bits < 16 || bits > 18) return violation([], cidr, 'is out of range', 'an IPv4 CIDR from /16 to /18');
      const network = networkAddress(cidr);
      return network === cidr ? undefined : violation([], cidr, 'has host bits set', `its network address ${network}`);
    }),
  );

/** `10.20.1.0/16` → `10.20.0.0/16`. */
export function networkAddress(cidr: string): string {
  const [address, bits] = cidr.split('/');
  const base = address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  const size = 2 ** (32 - Number(bits));
  const first = base - (base % size);
  return `${[24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256).join('.')}/${bits}`;
}

const FARGATE_CPUS = '256, 512, 1024, 2048, 4096, 8192 or 16384';

/**
 * The size keys of a Fargate service, with its defaults. `fewestTasks` is the least `minTasks`
 * allowed: 1 for a service behind a load balancer, 0 for one that can scale to zero.
 */
const fargateSize = (defaults: FargateSize, fewestTasks: 0 | 1 = 1, minTasksNote = '') => ({
  cpu: z.number(allowed(FARGATE_CPUS)).default(defaults.cpu).describe('Task CPU units (1024 = 1 vCPU).'),
  memoryMiB: z
    .number(allowed('a Fargate memory size in MiB for the chosen cpu'))
    .default(defaults.memoryMiB)
    .describe('Task memory in MiB; must be a combination Fargate offers for `cpu`.'),
  minTasks: int(fewestTasks, 1000)
    .default(defaults.minTasks)
    .describe(`Fewest running tasks per region; autoscaling never goes below.${minTasksNote}`),
  maxTasks: int(1, 1000)
    .default(defaults.maxTasks)
    .describe('Most running tasks per region; autoscaling never goes above.'),
});

/** What Fargate offers and scaling needs, for the service at `key` (e.g. `compute.api`). */
const fargateRules = (key: string) =>
  rules<FargateSize>(
    ({ cpu }) =>
      fargateMemoryChoices(cpu) ? undefined : violation(['cpu'], cpu, 'is not a Fargate CPU size', FARGATE_CPUS),
    ({ cpu, memoryMiB }) => {
      const choices = fargateMemoryChoices(cpu) ?? [];
      return choices.includes(memoryMiB)
        ? undefined
        : violation(
            ['memoryMiB'],
            memoryMiB,
            'is not a Fargate memory size for this cpu',
            `with cpu ${cpu}: ${describeChoices(choices)}`,
          );
    },
    ({ minTasks, maxTasks }) =>
      minTasks <= maxTasks
        ? undefined
        : violation(['minTasks'], minTasks, 'is greater than maxTasks', `at most ${key}.maxTasks = ${maxTasks}`),
  );

function describeChoices(values: readonly number[]): string {
  return values.length > 6
    ? `${values[0]} to ${values[values.length - 1]} in steps of ${values[1] - values[0]}`
    : values.join(', ');
}

/** Slack and Teams ids as Amazon Q Developer in chat applications (AWS Chatbot) shows them. */
const SLACK_WORKSPACE_ID = /^T[A-Z0-9]{6,14}$/;
const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{6,14}$/;
/** URL-encoded, as the Teams channel link carries it and CloudFormation requires. */
const TEAMS_CHANNEL_ID = /^[\w=+/.,-]*%3[aA][\w=+/.,-]*%40[\w=+/.,-]*$/;

/** Who hears about the alarms of one severity; every list is empty by default. */
const alarmTargets = (severity: 'page' | 'ticket') =>
  section({
    emails: z
      .array(z.email(allowed('an e-mail address')), allowed('a list of e-mail addresses'))
      .default([])
      .describe(`Addresses subscribed to the ${severity} topics; each must confirm the subscription.`),
    httpsEndpoints: z
      .array(z.url({ protocol: /^https$/, error: 'an https:// URL' }), allowed('a list of https:// URLs'))
      .default([])
      .describe(
        `HTTPS endpoints (a pager's SNS integration URL) subscribed to the ${severity} topics; each must confirm the subscription.`,
      ),
    slackChannels: z
      .array(
        section({
          workspaceId: z
            .string(allowed('a Slack workspace id such as T0123ABCD'))
            .regex(SLACK_WORKSPACE_ID, allowed('a Slack workspace id such as T0123ABCD')),
          channelId: z
            .string(allowed('a Slack channel id such as C0123ABCD'))
            .regex(SLACK_CHANNEL_ID, allowed('a Slack channel id such as C0123ABCD')),
        }),
        allowed('a list of {"workspaceId", "channelId"}'),
      )
      .default([])
      .describe(
        `Slack channels that get the ${severity} alarms through Amazon Q Developer in chat applications (AWS Chatbot); the workspace must be authorized in its console first.`,
      ),
    teamsChannels: z
      .array(
        section({
          tenantId: z.uuid(allowed('the Microsoft Entra tenant id (a UUID)')),
          teamId: z.uuid(allowed('the Microsoft Teams team id (a UUID)')),
          channelId: z
            .string(allowed('a URL-encoded Teams channel id such as 19%3Aabc%40thread.tacv2'))
            .regex(TEAMS_CHANNEL_ID, allowed('a URL-encoded Teams channel id such as 19%3Aabc%40thread.tacv2')),
        }),
        allowed('a list of {"tenantId", "teamId", "channelId"}'),
      )
      .default([])
      .describe(
        `Microsoft Teams channels that get the ${severity} alarms through Amazon Q Developer in chat applications (AWS Chatbot); the team must be authorized in its console first.`,
      ),
  }).default({ emails: [], httpsEndpoints: [], slackChannels: [], teamsChannels: [] });

/** Every key; `configSchema` adds the rules that span sections. */
const configShape = section({
  appName: z
    .string(allowed('3-24 lower-case letters, digits or hyphens, starting with a letter'))
    .regex(
      /^[a-z][a-z0-9-]{1,22}[a-z0-9]$/,
      allowed('3-24 lower-case letters, digits or hyphens, starting with a letter'),
    )
    .describe('Prefix of every stack name and of named resources. Changing it creates a new app.'),
  profile: z
    .string(allowed('a key of `profiles` in cdk.json'))
    .describe(
      'Profile to synthesize: a key of `profiles` in cdk.json, whose keys (after its `extends` chain) override the defaults listed here.',
    ),
  account: z
    .string(allowed('a 12-digit AWS account id'))
    .regex(/^\d{12}$/, allowed('a 12-digit AWS account id'))
    .optional()
    .describe('AWS account to deploy to. Unset: the account of the credentials `cdk deploy` runs with.'),
  regions: z
    .array(regionSchema, allowed('a list of 1 to 10 AWS regions'))
    .min(1, allowed('a list of 1 to 10 AWS regions'))
    .max(10, allowed('a list of 1 to 10 AWS regions'))
    .default(['us-east-1', 'eu-west-1', 'ap-northeast-2'])
    .describe('Regions that serve traffic, in deploy (canary) order. Each gets a Data and a Service stack.'),
  primaryRegion: regionSchema
    .optional()
    .describe('Region holding the database writers. Unset: the first of `regions`.'),
  availabilityZones: z
    .partialRecord(
      regionSchema,
      z.array(z.string(allowed('an AZ name')), allowed('a list of 2 to 6 AZ names')),
      allowed('an object of region → list of AZ names'),
    )
    .default({})
    .describe(
      'AZ names per region, e.g. `{"eu-west-1": ["eu-west-1a", "eu-west-1b", "eu-west-1c"]}`. A region left out uses its first `network.maxAzs` zones.',
    ),
  domainName: z
    .string(allowed('a lower-case DNS name such as example.com'))
    .regex(hostname, allowed('a lower-case DNS name such as example.com'))
    .describe('Apex domain the app is served on; the origins live under `origin.<domainName>`.'),
  hostedZoneId: z
    .string(allowed('a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ'))
    .regex(/^Z[A-Z0-9]{1,32}$/, allowed('a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ'))
    .optional()
    .describe('Existing public hosted zone of `domainName`. Unset: the Edge stack creates the zone.'),
  zoneOnly: z
    .boolean(allowed('true or false'))
    .optional()
    .describe(
      "First step of a first deploy without `hostedZoneId`: synthesize only the Edge stack's hosted zone, whose `NameServers` output you delegate to before the full deploy (README, Deploying).",
    ),
  alarmEmail: z
    .email(allowed('an e-mail address'))
    .optional()
    .describe(
      'Address subscribed to the alarm topics of both severities. Unset: only `notifications` decides who hears them.',
    ),
  notifications: section({
    page: alarmTargets('page').describe('Who is woken by the alarms that page.'),
    ticket: alarmTargets('ticket').describe('Who reads the alarms that open a ticket, in working hours.'),
  })
    .default(() => ({
      page: { emails: [], httpsEndpoints: [], slackChannels: [], teamsChannels: [] },
      ticket: { emails: [], httpsEndpoints: [], slackChannels: [], teamsChannels: [] },
    }))
    .describe(
      'Where the alarm topics of every region and the edge deliver, per severity. A `prod` deploy with `account` set must reach someone in each.',
    ),
  tags: z
    .record(
      z
        .string(allowed('a tag key of 1-128 characters not starting with aws:'))
        .regex(/^(?!aws:)[\w .:/=+\-@]{1,128}$/, allowed('a tag key of 1-128 characters not starting with aws:')),
      z.string(allowed('a string of up to 256 characters')).max(256, allowed('a string of up to 256 characters')),
      allowed('an object of tag keys to string values'),
    )
    .default({})
    .describe('Tags applied to every stack (and by CloudFormation to every resource). `app` and `profile` are added.'),
  retainData: z
    .boolean(allowed('true or false'))
    .default(true)
    .describe(
      'Keep data (databases, caches, queues, keys, buckets, log groups) when a stack is deleted or a resource replaced, and turn on termination protection for Data stacks. On in prod.',
    ),
  logRetentionDays: retentionDays.default(90).describe('Days CloudWatch keeps application and service logs.'),
  network: section({
    maxAzs: int(2, 6)
      .default(3)
      .describe(
        'AZs each region spans when `availabilityZones` does not name them: the first ones of lib/config/regions.ts. Three survive an AZ loss with capacity to spare (prod); two are the fewest an ALB and an Aurora subnet group accept (dev).',
      ),
    nat: z
      .enum(NAT_KINDS, allowed(NAT_KINDS.join(', ')))
      .default('gateway')
      .describe(
        'How the app subnets reach the internet: `gateway` (managed NAT gateways, prod) or `instance` (a t4g.nano EC2 NAT instance each: a fraction of the hourly price and no per-GB charge, but egress stops while one is replaced; dev).',
      ),
    natGateways: int(1, 6)
      .default(3)
      .describe(
        'NAT gateways (or instances, with `nat` = `instance`) per region: one per AZ survives an AZ loss (prod); one is cheapest (dev).',
      ),
    interfaceEndpoints: z
      .array(
        z.enum(INTERFACE_ENDPOINTS, allowed(INTERFACE_ENDPOINTS.join(', '))),
        allowed(`a list of ${INTERFACE_ENDPOINTS.join(', ')}`),
      )
      .default(['ecr', 'ecr-docker', 'logs', 'sqs', 'sns'])
      .describe(
        'Interface VPC endpoints, so task traffic to AWS APIs stays off the NAT gateways. Each costs per AZ-hour.',
      ),
    flowLogRetentionDays: retentionDays.default(365).describe('Days CloudWatch keeps VPC flow logs.'),
    vpcCidrs: z
      .partialRecord(regionSchema, vpcCidr, allowed('an object of region → IPv4 CIDR from /16 to /18'))
      .default({})
      .describe(
        'VPC CIDR per region. A region left out uses its fixed default /16 from lib/config/regions.ts (no two regions overlap). A /17 holds up to five AZs, a /18 two.',
      ),
  }).prefault({}),
  compute: section({
    architecture: z
      .enum(['arm64', 'x86_64'], allowed('arm64, x86_64'))
      .default('arm64')
      .describe('CPU architecture of the Fargate tasks; arm64 (Graviton) costs about 20% less.'),
    stopTimeoutSeconds: int(2, 120)
      .default(30)
      .describe(
        'Seconds ECS waits after SIGTERM before killing a task; above the service drain time (SHUTDOWN_TIMEOUT_MS).',
      ),
    api: section({
      ...fargateSize({ cpu: 512, memoryMiB: 1024, minTasks: 2, maxTasks: 20 }),
      targetCpuPercent: int(10, 90).default(60).describe('Average CPU the `api` scaling keeps to.'),
      targetMemoryPercent: int(10, 90).default(70).describe('Average memory the `api` scaling keeps to.'),
      requestsPerTarget: int(1, 100000)
        .default(1000)
        .describe('ALB requests per task per minute the `api` scaling keeps to.'),
      healthCheckIntervalSeconds: int(5, 300)
        .default(10)
        .describe('Seconds between ALB health checks of each task (`/healthz`).'),
      healthyThreshold: int(2, 10).default(2).describe('Consecutive passed checks before a task receives traffic.'),
      unhealthyThreshold: int(2, 10).default(2).describe('Consecutive failed checks before a task is taken out.'),
      deregistrationDelaySeconds: int(0, 3600)
        .default(20)
        .describe(
          'Seconds the ALB lets in-flight requests finish on a deregistering task; below `stopTimeoutSeconds`.',
        ),
    })
      .superRefine(fargateRules('compute.api'))
      .prefault({})
      .describe('The `api` service behind the load balancer.'),
    worker: section({
      ...fargateSize(
        { cpu: 256, memoryMiB: 512, minTasks: 2, maxTasks: 10 },
        0,
        ' 0 lets the service scale to zero when the queue is empty (dev).',
      ),
      backlogPerTask: int(1, 100000)
        .default(100)
        .describe('Visible work messages per task the `worker` scaling keeps to.'),
      targetCpuPercent: int(10, 90).default(70).describe('Average CPU the `worker` scaling keeps to, as a backstop.'),
    })
      .superRefine(fargateRules('compute.worker'))
      .prefault({})
      .describe('The `worker` service consuming the work queue.'),
  })
    .superRefine(
      rules(({ api, stopTimeoutSeconds }) =>
        api.deregistrationDelaySeconds < stopTimeoutSeconds
          ? undefined
          : violation(
              ['api', 'deregistrationDelaySeconds'],
              api.deregistrationDelaySeconds,
              'outlasts the task stop timeout',
              `less than compute.stopTimeoutSeconds = ${stopTimeoutSeconds}`,
            ),
      ),
    )
    .prefault({}),
  monitoring: section({
    latencyPeriods: int(1, 60)
      .default(5)
      .describe('Consecutive minutes of p99 latency breach before the region counts as unhealthy.'),
    thresholds: section({
      page: z
        .record(z.string(), z.number(allowed('a number')), allowed('an object of threshold names to numbers'))
        .optional()
        .describe('Thresholds of the alarms that page, e.g. `{"api5xxRatePercent": 2}`. Unset: the defaults.'),
      ticket: z
        .record(z.string(), z.number(allowed('a number')), allowed('an object of threshold names to numbers'))
        .optional()
        .describe(
          'Thresholds of the alarms that open a ticket, e.g. `{"databaseConnections": 100}`. Unset: the defaults.',
        ),
    })
      .prefault({})
      .describe(
        'Alarm thresholds by severity (`page` wakes someone, `ticket` waits for working hours), overriding the defaults in lib/constructs/monitoring/thresholds.ts key by key.',
      ),
  }).prefault({}),
  dns: section({
    healthCheckPath: z
      .string(allowed('a path such as /readyz'))
      .regex(/^\/[\w./-]{0,254}$/, allowed('a path such as /readyz'))
      .default('/readyz')
      .describe(
        "Path Route53 health checkers GET on each region's ALB; the ALB lets it through without the origin header.",
      ),
    healthCheckIntervalSeconds: z
      .union([z.literal(10), z.literal(30)], allowed('10 or 30'))
      .default(10)
      .describe('Seconds between Route53 health checks; 10 (fast) costs more than 30.'),
    recordTtlSeconds: switchable(int(1, 300)).describe(
      "TTL of each region's origin record, made a CNAME to the region's load balancer. Unset or null: an alias record (free queries, 60 s fixed TTL). Region failover takes about interval x threshold + this TTL.",
    ),
    healthCheckFailureThreshold: int(1, 10)
      .default(2)
      .describe(
        'Consecutive failed checks before a region leaves DNS; failover takes about interval x threshold + the record TTL.',
      ),
  }).prefault({}),
  edge: section({
    rateLimitPer5Minutes: int(10, 2000000000)
      .default(2000)
      .describe('Requests one client IP may make in 5 minutes before WAF answers 429 (edge load shedding).'),
    priceClass: z
      .enum(
        ['PriceClass_100', 'PriceClass_200', 'PriceClass_All'],
        allowed('PriceClass_100, PriceClass_200, PriceClass_All'),
      )
      .default('PriceClass_All')
      .describe('CloudFront edge locations used: all (lowest latency everywhere) or the cheaper subsets.'),
    apiCacheMinTtlSeconds: int(0, 31536000).default(0).describe('Least time CloudFront keeps a cacheable API answer.'),
    apiCacheDefaultTtlSeconds: int(0, 31536000)
      .default(5)
      .describe('Time CloudFront keeps a cacheable API answer that sets no Cache-Control; between min and max.'),
    apiCacheMaxTtlSeconds: int(0, 31536000)
      .default(60)
      .describe('Most time CloudFront keeps a cacheable API answer, whatever Cache-Control says.'),
    publishAdditionalMetrics: z
      .boolean(allowed('true or false'))
      .default(true)
      .describe('CloudFront additional metrics (cache hit rate, error rates by code); billed per distribution.'),
  })
    .superRefine(
      rules(({ apiCacheMinTtlSeconds: min, apiCacheDefaultTtlSeconds: ttl, apiCacheMaxTtlSeconds: max }) =>
        min <= ttl && ttl <= max
          ? undefined
          : violation(
              ['apiCacheDefaultTtlSeconds'],
              ttl,
              'is outside the TTL bounds',
              `between edge.apiCacheMinTtlSeconds = ${min} and edge.apiCacheMaxTtlSeconds = ${max}`,
            ),
      ),
    )
    .prefault({}),
  database: section({
    instanceClass: z
      .string(allowed('"serverless" or an Aurora class such as db.r7g.large'))
      .regex(/^(serverless|db\.[a-z0-9]+\.[a-z0-9]+)$/, allowed('"serverless" or an Aurora class such as db.r7g.large'))
      .default('serverless')
      .describe('Aurora PostgreSQL instance class, or `serverless` for Serverless v2 capacity.'),
    minCapacityAcu: acu
      .default(0.5)
      .describe('Serverless v2 floor in Aurora capacity units (0.5 steps); ignored for provisioned classes.'),
    maxCapacityAcu: acu
      .default(16)
      .describe('Serverless v2 ceiling in Aurora capacity units (0.5 steps); at least `minCapacityAcu`.'),
    readers: int(0, 15).default(1).describe('Reader replicas per cluster in every region (Aurora allows 15).'),
    readerAutoScaling: switchable(
      section(
        {
          minReaders: int(0, 15).default(1).describe('Fewest readers the primary region scales in to.'),
          maxReaders: int(1, 15).default(5).describe('Most readers the primary region scales out to.'),
          targetCpuPercent: int(10, 90).default(70).describe('Average reader CPU the scaling keeps to.'),
        },
        'an object of minReaders, maxReaders, targetCpuPercent, or null for a fixed `readers`',
      ).superRefine(
        rules(({ minReaders, maxReaders }) =>
          minReaders <= maxReaders
            ? undefined
            : violation(
                ['minReaders'],
                minReaders,
                'is greater than maxReaders',
                `at most database.readerAutoScaling.maxReaders = ${maxReaders}`,
              ),
        ),
      ),
    ).describe(
      'Reader autoscaling in the primary region (Application Auto Scaling on ReadReplicaCount); `{}` takes the defaults below. Unset or null: a fixed `readers`.',
    ),
    readConsistency: z
      .enum(['session', 'eventual', 'global'], allowed('session, eventual, global'))
      .default('session')
      .describe(
        'Read-after-write consistency of forwarded writes in secondary regions: `session` lets a user read their own writes.',
      ),
    shards: int(1, 16)
      .default(2)
      .describe(
        'Independent database clusters; keys are routed by a stable hash. Adding one needs the resharding runbook.',
      ),
    backupRetentionDays: int(1, 35).default(14).describe('Days of automated backups (point-in-time recovery window).'),
    enhancedMonitoringSeconds: z
      .union(
        [0, 1, 5, 10, 15, 30, 60].map((n) => z.literal(n)),
        allowed('0 (off), 1, 5, 10, 15, 30 or 60'),
      )
      .default(60)
      .describe(
        'Seconds between Enhanced Monitoring samples (OS metrics of every database instance, billed as CloudWatch Logs ingestion); 0 turns it off.',
      ),
  })
    .superRefine(
      rules(({ minCapacityAcu: min, maxCapacityAcu: max }) =>
        min <= max
          ? undefined
          : violation(
              ['minCapacityAcu'],
              min,
              'is greater than maxCapacityAcu',
              `at most database.maxCapacityAcu = ${max}`,
            ),
      ),
    )
    .prefault({}),
  backup: section({
    enabled: z
      .boolean(allowed('true or false'))
      .default(true)
      .describe(
        'AWS Backup of every shard cluster in the primary region: continuous backup (point-in-time restore) and a daily snapshot copied to a vault in the second serving region (decision 14). Off for throwaway stacks (dev): a vault that refuses deletes outlives `cdk destroy`.',
      ),
    continuousRetentionDays: int(1, 35)
      .default(14)
      .describe('Days of point-in-time restore that AWS Backup keeps (continuous backup; at most 35).'),
    dailyRetentionDays: int(1, 3650)
      .default(35)
      .describe('Days a daily snapshot, and its copy in the second region, is kept.'),
    vaultLock: z
      .enum(['off', 'governance', 'compliance'], allowed('off, governance, compliance'))
      .default('off')
      .describe(
        'AWS Backup Vault Lock on both vaults. `governance` can be removed by a principal allowed to; `compliance` is IRREVERSIBLE 3 days after the deploy that sets it: nobody, not even the account root or AWS, can then delete the vaults or shorten a retention until every recovery point expires.',
      ),
    vaultLockMinRetentionDays: int(1, 3650)
      .default(7)
      .describe(
        'Shortest retention a locked vault accepts; at most `continuousRetentionDays` and `dailyRetentionDays`.',
      ),
  })
    .superRefine(
      rules((backup) => {
        const shortest = Math.min(backup.continuousRetentionDays, backup.dailyRetentionDays);
        return !backup.enabled || backup.vaultLock === 'off' || backup.vaultLockMinRetentionDays <= shortest
          ? undefined
          : violation(
              ['vaultLockMinRetentionDays'],
              backup.vaultLockMinRetentionDays,
              'would make the locked vault refuse every backup',
              `at most ${shortest} (the shorter of backup.continuousRetentionDays and backup.dailyRetentionDays)`,
            );
      }),
    )
    .prefault({})
    .describe('AWS Backup of the database shards (decision 14).'),
  cache: section({
    nodeType: z
      .string(allowed('an ElastiCache node type such as cache.r7g.large'))
      .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, allowed('an ElastiCache node type such as cache.r7g.large'))
      .default('cache.m7g.large')
      .describe('ElastiCache node type per region.'),
    replicas: int(0, 5)
      .default(1)
      .describe(
        'Replicas per cache shard, in other AZs: at least one for automatic failover and Multi-AZ (prod, and any global datastore); 0 is a single node per shard that is replaced after a failure (dev).',
      ),
    engine: z
      .enum(['valkey', 'redis'], allowed('valkey, redis'))
      .default('valkey')
      .describe('Cache engine; Valkey costs less than Redis OSS.'),
    engineVersion: z
      .string(allowed('a major.minor version such as 8.1'))
      .regex(/^\d+\.\d+$/, allowed('a major.minor version such as 8.1'))
      .default('8.1')
      .describe('Engine version; pin it so upgrades are deliberate.'),
    clusterMode: z
      .boolean(allowed('true or false'))
      .default(false)
      .describe('Shard the key space over `shards` primaries; clients must speak the cluster protocol.'),
    shards: int(1, 500).default(1).describe('Cache shards (node groups); more than 1 needs `clusterMode`.'),
    snapshotRetentionDays: int(0, 35).default(7).describe('Days of daily cache snapshots; 0 turns them off.'),
    globalDatastoreId: z
      .string(allowed('the global datastore id: the primary region prefix, a hyphen, and <appName>-cache'))
      .regex(
        /^[a-z]{5}-[a-z][a-z0-9-]*$/,
        allowed('the global datastore id: the primary region prefix, a hyphen, and <appName>-cache'),
      )
      .optional()
      .describe(
        'Set to join the regional caches into one ElastiCache global datastore (see docs/decisions/0004). Unset: regional caches kept coherent by invalidation events.',
      ),
  })
    .superRefine(
      rules(
        ({ replicas, globalDatastoreId }) =>
          replicas > 0 || globalDatastoreId === undefined
            ? undefined
            : violation(
                ['replicas'],
                replicas,
                'is too few for a global datastore',
                'at least 1 with cache.globalDatastoreId (a global datastore fails over automatically, which needs a replica in every member)',
              ),
        ({ shards, clusterMode }) =>
          shards === 1 || clusterMode
            ? undefined
            : violation(['shards'], shards, 'needs cluster mode', '1 unless cache.clusterMode is true'),
      ),
    )
    .prefault({}),
  queue: section({
    maxReceiveCount: int(1, 1000).default(5).describe('Receives before a work message moves to the dead-letter queue.'),
    visibilityTimeoutSeconds: int(0, 43200)
      .default(60)
      .describe("Seconds a worker has to finish a message; above the worker's longest job."),
    retentionDays: int(1, 14).default(4).describe('Days an unprocessed work message is kept.'),
    deadLetterRetentionDays: int(1, 14)
      .default(14)
      .describe('Days a dead-lettered message is kept for inspection and redrive; at least `retentionDays`.'),
  })
    .superRefine(
      rules(({ retentionDays, deadLetterRetentionDays: dlq }) =>
        dlq >= retentionDays
          ? undefined
          : violation(
              ['deadLetterRetentionDays'],
              dlq,
              'is shorter than the queue retention',
              `at least queue.retentionDays = ${retentionDays}`,
            ),
      ),
    )
    .prefault({}),
  resilience: section({
    drills: z
      .boolean(allowed('true or false'))
      .default(true)
      .describe(
        'Fault-injection (AWS FIS) experiment templates per region: task loss, AZ loss, database and cache failover, region evacuation, split brain. Free until run.',
      ),
    taskStopPercent: int(1, 100).default(50).describe('Share of the `api` tasks the task-loss drill stops.'),
    drillMinutes: int(1, 60)
      .default(10)
      .describe('How long the AZ-loss, region-evacuation and split-brain drills hold their fault before undoing it.'),
    arc: z
      .boolean(allowed('true or false'))
      .default(false)
      .describe(
        'Region evacuation through Route53 Application Recovery Controller routing controls (a cluster is billed by the hour: see decision 0008 and docs/cost.md). Off: a Route53 health check per region that an operator inverts.',
      ),
    zonalShift: z
      .boolean(allowed('true or false'))
      .default(true)
      .describe("Register each region's ALB with ARC zonal shift, so an AZ can be drained without a deploy."),
  }).prefault({}),
  delivery: section({
    repository: z
      .string(allowed('a GitHub repository as owner/name'))
      .regex(GITHUB_REPOSITORY, allowed('a GitHub repository as owner/name'))
      .default('example-org/multi-region-blueprint')
      .describe('GitHub repository that deploys this app: the OIDC trust of GitHub Actions and the pipeline source.'),
    branch: z
      .string(allowed('a git branch name'))
      .regex(GIT_BRANCH, allowed('a git branch name'))
      .default('main')
      .describe('The only branch allowed to deploy.'),
    githubOidc: z
      .boolean(allowed('true or false'))
      .default(true)
      .describe(
        'Add the `<appName>-GitHubOidc` stack: the GitHub OIDC provider and a role that can only assume the CDK bootstrap roles.',
      ),
    pipeline: z
      .boolean(allowed('true or false'))
      .default(false)
      .describe(
        'Synthesize a CDK Pipelines stack that deploys the app wave by wave (canary region first) instead of the stacks themselves. Needs `account` and `delivery.connectionArn`.',
      ),
    connectionArn: z
      .string(allowed('a CodeConnections ARN such as arn:aws:codeconnections:us-east-1:123456789012:connection/…'))
      .regex(
        CODECONNECTIONS_ARN,
        allowed('a CodeConnections ARN such as arn:aws:codeconnections:us-east-1:123456789012:connection/…'),
      )
      .optional()
      .describe('CodeConnections (CodeStar) connection to GitHub that the pipeline reads its source through.'),
    bakeMinutes: int(0, 240)
      .default(15)
      .describe(
        "Minutes a wave bakes after deploying before the next one starts; the wave fails if a region's health alarm fires meanwhile.",
      ),
  })
    .superRefine(
      rules(({ pipeline, connectionArn }) =>
        !pipeline || connectionArn !== undefined
          ? undefined
          : violation(
              ['connectionArn'],
              undefined,
              'is required when delivery.pipeline is true',
              'a CodeConnections ARN',
            ),
      ),
    )
    .prefault({}),
  invalidation: section({
    retentionSeconds: int(60, 1209600)
      .default(3600)
      .describe(
        'Seconds an undelivered cache-invalidation event is kept; at least the longest cache TTL (an older event is moot).',
      ),
    maxReceiveCount: int(1, 1000)
      .default(5)
      .describe('Receives before an invalidation event moves to its dead-letter queue.'),
  }).prefault({}),
  probe: section({
    enabled: z
      .boolean(allowed('true or false'))
      .default(true)
      .describe(
        'A consistency probe in every serving region: each run (every `intervalMinutes`) writes its marker and measures when every region reads it (docs/decisions/0013).',
      ),
    intervalMinutes: int(1, 60)
      .default(1)
      .describe(
        'Minutes between runs; each run is a Fargate task billed for at least a minute, so a longer interval is what makes the probe cheap (dev).',
      ),
    staleAfterSeconds: int(1, 60)
      .default(5)
      .describe(
        'The staleness bound: a read sent this long after the write that still answers the old version is stale. Decision 4 promises the invalidation delay (typically 1–2 s); the cache TTL (60 s) is only the worst case.',
      ),
    maxWaitSeconds: int(1, 50)
      .default(30)
      .describe(
        'How long a run keeps reading a late region, to measure how late it was; at least `staleAfterSeconds`, under the one-minute schedule.',
      ),
    staleAlarmMinutes: int(1, 60)
      .default(3)
      .describe('Minutes with a stale read for one (writer → reader) pair before it pages.'),
    errorAlarmMinutes: int(1, 60)
      .default(5)
      .describe('Minutes in which a pair could not be measured (or the probe did not run) before a ticket.'),
  })
    .superRefine(
      rules(({ maxWaitSeconds, staleAfterSeconds }) =>
        maxWaitSeconds >= staleAfterSeconds
          ? undefined
          : violation(
              ['maxWaitSeconds'],
              maxWaitSeconds,
              'ends before the staleness bound',
              `at least probe.staleAfterSeconds = ${staleAfterSeconds}`,
            ),
      ),
    )
    .prefault({})
    .describe('The cross-region consistency probe (docs/decisions/0013); every key has a default.'),
});

/**
 * Limits of the resources themselves, which their constructs check too (naming their props): the
 * config stops synth first, naming the key.
 */
const resourceLimitRules: Rule<z.output<typeof configShape>>[] = [
  (input) => {
    for (const region of input.regions) {
      const azs = availabilityZonesOf(input, region).length;
      const cidr = vpcCidrOf(input, region);
      const needed = addressesForAzs(azs);
      if (2 ** (32 - Number(cidr.split('/')[1])) >= needed) continue;
      return violation(
        ['network', 'vpcCidrs', region],
        cidr,
        `is too small for ${azs} AZs`,
        `/${32 - Math.ceil(Math.log2(needed))} or larger for ${azs} AZs, whose /24 public, /20 app and /22 data subnets take ${needed.toLocaleString('en-US')} addresses`,
      );
    }
    return undefined;
  },
  ({ appName }) =>
    !appName.includes('--')
      ? undefined
      : violation(
          ['appName'],
          appName,
          'is malformed',
          'no doubled hyphen: it begins Aurora and ElastiCache identifiers, which refuse one',
        ),
  ({ database }) =>
    database.maxCapacityAcu >= 1
      ? undefined
      : violation(
          ['database', 'maxCapacityAcu'],
          database.maxCapacityAcu,
          'is out of range',
          '1 to 256 in steps of 0.5',
        ),
  ({ cache }) => {
    const families: Readonly<Record<string, string>> = CACHE_PARAMETER_GROUP_FAMILIES[cache.engine];
    if (families[cache.engineVersion.split('.')[0]]) return undefined;
    const majors = Object.keys(families).map((major) => `${major}.x`);
    return violation(
      ['cache', 'engineVersion'],
      cache.engineVersion,
      'is not supported',
      `${cache.engine} ${majors.join(' or ')}`,
    );
  },
  ({ cache }) =>
    cache.globalDatastoreId === undefined || !BURSTABLE_CACHE_NODE.test(cache.nodeType)
      ? undefined
      : violation(
          ['cache', 'nodeType'],
          cache.nodeType,
          'cannot join a global datastore',
          'an M or R node type (M5/R5 or newer) such as cache.r7g.large, with cache.globalDatastoreId',
        ),
  ({ cache }) =>
    cache.shards * (cache.replicas + 1) <= CACHE_MAX_NODES
      ? undefined
      : violation(
          ['cache', 'shards'],
          cache.shards,
          'is too many nodes',
          `at most ${Math.floor(CACHE_MAX_NODES / (cache.replicas + 1))} with ${cache.replicas} replicas (${CACHE_MAX_NODES} nodes per cluster)`,
        ),
  ({ monitoring }) => {
    const issue = findThresholdIssue(monitoring.thresholds);
    return (
      issue &&
      violation(['monitoring', 'thresholds', ...issue.path.split('.')], issue.value, issue.problem, issue.allowed)
    );
  },
];

export const configSchema = configShape.superRefine(
  rules<z.output<typeof configShape>>(
    ...regionalRules,
    ({ profile, compute }) =>
      profile !== 'prod' || compute.api.minTasks >= 2
        ? undefined
        : violation(
            ['compute', 'api', 'minTasks'],
            compute.api.minTasks,
            'is too few for prod',
            'at least 2 in prod, so losing a task or an AZ leaves one serving',
          ),
    ({ delivery, account }) =>
      !delivery.pipeline || account !== undefined
        ? undefined
        : violation(['account'], undefined, 'is required when delivery.pipeline is true', 'a 12-digit AWS account id'),
    // Alarms nobody hears are no alarms: a prod deploy to a named account must notify someone per
    // severity. Offline synth (no account) and dev need no target.
    ({ profile, account, alarmEmail, notifications }) => {
      if (profile !== 'prod' || account === undefined || alarmEmail !== undefined) return undefined;
      const silent = (['page', 'ticket'] as const).find((severity) =>
        Object.values(notifications[severity]).every((list) => list.length === 0),
      );
      return silent === undefined
        ? undefined
        : violation(
            ['notifications', silent],
            undefined,
            'reaches nobody in a prod deploy to an account',
            'at least one of emails, httpsEndpoints, slackChannels, teamsChannels, or alarmEmail',
          );
    },
    ({ zoneOnly, hostedZoneId }) =>
      !zoneOnly || hostedZoneId === undefined
        ? undefined
        : violation(
            ['zoneOnly'],
            true,
            'has no zone to create: hostedZoneId names an existing one',
            'false when hostedZoneId is set',
          ),
    ...resourceLimitRules,
  ),
);

/** The configuration the schema gives: defaults filled in, every rule kept. */
export type ConfigInput = z.infer<typeof configSchema>;
/** The size keys every Fargate service has. */
export interface FargateSize {
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly minTasks: number;
  readonly maxTasks: number;
}
