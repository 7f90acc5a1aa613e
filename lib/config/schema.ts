import { z } from 'zod';
import {
  CODECONNECTIONS_ARN,
  GIT_BRANCH,
  GITHUB_REPOSITORY,
  INTERFACE_ENDPOINTS,
  NAT_KINDS,
} from '../constructs/choices';
import { REGION_NAMES } from './regions';

// Shared with the constructs that check the same facts; a plain module without CDK imports.
export { CODECONNECTIONS_ARN, GIT_BRANCH, GITHUB_REPOSITORY, INTERFACE_ENDPOINTS, NAT_KINDS };
export type { InterfaceEndpointName, NatKind } from '../constructs/choices';

/**
 * The app's configuration: the single source of truth and its reference documentation.
 *
 * Values come from `cdk.json` context: the preset in `profiles.<profile>`, then any top-level
 * context key or `-c key=value` (dotted paths reach nested keys: `-c compute.api.maxTasks=40`).
 * Every leaf carries the text of what it allows; `load.ts` turns a failed check into one line:
 * `config error: <key> = <value> <problem> (allowed: <what>)`.
 */

/** A leaf whose failures all report `allowed` as what would have been accepted. */
const allowed = (text: string) => ({ error: text });

/** An object section that rejects unknown keys (a typo must never be silently ignored). */
const section = <T extends z.core.$ZodLooseShape>(shape: T) => z.strictObject(shape);

const int = (min: number, max: number) => {
  const what = allowed(`an integer from ${min} to ${max}`);
  return z.number(what).int(what).min(min, what).max(max, what);
};

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
/** A VPC range big enough for three AZs of public, private and isolated subnets. */
const vpcCidr = new RegExp(`^${octet}(\\.${octet}){3}/1[6-8]$`);

const fargateSize = {
  cpu: z.number(allowed('256, 512, 1024, 2048, 4096, 8192 or 16384')).describe('Task CPU units (1024 = 1 vCPU).'),
  memoryMiB: z
    .number(allowed('a Fargate memory size in MiB for the chosen cpu'))
    .describe('Task memory in MiB; must be a combination Fargate offers for `cpu`.'),
  minTasks: int(1, 1000).describe('Fewest running tasks per region; autoscaling never goes below.'),
  maxTasks: int(1, 1000).describe('Most running tasks per region; autoscaling never goes above.'),
};

export const configSchema = section({
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
      'Preset from `profiles` in cdk.json: `prod` (full multi-region topology) or `dev` (one region, smallest sizes, nothing retained).',
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
    .describe('Regions that serve traffic, in deploy (canary) order. Each gets a Data and a Service stack.'),
  primaryRegion: regionSchema
    .optional()
    .describe('Region holding the database writers. Unset: the first of `regions`.'),
  availabilityZones: z
    .partialRecord(regionSchema, z.array(z.string(allowed('an AZ name')), allowed('a list of 2 to 6 AZ names')))
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
    .describe('Address subscribed to the alarm topics. Unset: alarms notify the topic only.'),
  tags: z
    .record(
      z
        .string()
        .regex(/^(?!aws:)[\w .:/=+\-@]{1,128}$/, allowed('a tag key of 1-128 characters not starting with aws:')),
      z.string(allowed('a string of up to 256 characters')).max(256, allowed('a string of up to 256 characters')),
      allowed('an object of tag keys to string values'),
    )
    .describe('Tags applied to every stack (and by CloudFormation to every resource). `app` and `profile` are added.'),
  retainData: z
    .boolean(allowed('true or false'))
    .describe(
      'Keep data (databases, caches, queues, keys, buckets, log groups) when a stack is deleted or a resource replaced, and turn on termination protection for Data stacks. On in prod.',
    ),
  logRetentionDays: retentionDays.describe('Days CloudWatch keeps application and service logs.'),
  network: section({
    maxAzs: int(2, 6).describe(
      'AZs each region spans when `availabilityZones` does not name them: the first ones of lib/config/regions.ts. Three survive an AZ loss with capacity to spare (prod); two are the fewest an ALB and an Aurora subnet group accept (dev).',
    ),
    nat: z
      .enum(NAT_KINDS, allowed(NAT_KINDS.join(', ')))
      .describe(
        'How the app subnets reach the internet: `gateway` (managed NAT gateways, prod) or `instance` (a t4g.nano EC2 NAT instance each: a fraction of the hourly price and no per-GB charge, but egress stops while one is replaced; dev).',
      ),
    natGateways: int(1, 6).describe(
      'NAT gateways (or instances, with `nat` = `instance`) per region: one per AZ survives an AZ loss (prod); one is cheapest (dev).',
    ),
    interfaceEndpoints: z
      .array(
        z.enum(INTERFACE_ENDPOINTS, allowed(INTERFACE_ENDPOINTS.join(', '))),
        allowed(`a list of ${INTERFACE_ENDPOINTS.join(', ')}`),
      )
      .describe(
        'Interface VPC endpoints, so task traffic to AWS APIs stays off the NAT gateways. Each costs per AZ-hour.',
      ),
    flowLogRetentionDays: retentionDays.describe('Days CloudWatch keeps VPC flow logs.'),
    vpcCidrs: z
      .partialRecord(
        regionSchema,
        z.string(allowed('an IPv4 CIDR from /16 to /18')).regex(vpcCidr, allowed('an IPv4 CIDR from /16 to /18')),
      )
      .describe(
        'VPC CIDR per region. A region left out uses its fixed default /16 from lib/config/regions.ts (no two regions overlap). A /17 holds up to five AZs, a /18 two.',
      ),
  }),
  compute: section({
    architecture: z
      .enum(['arm64', 'x86_64'], allowed('arm64, x86_64'))
      .describe('CPU architecture of the Fargate tasks; arm64 (Graviton) costs about 20% less.'),
    stopTimeoutSeconds: int(2, 120).describe(
      'Seconds ECS waits after SIGTERM before killing a task; above the service drain time (SHUTDOWN_TIMEOUT_MS).',
    ),
    api: section({
      ...fargateSize,
      targetCpuPercent: int(10, 90).describe('Average CPU the `api` scaling keeps to.'),
      targetMemoryPercent: int(10, 90).describe('Average memory the `api` scaling keeps to.'),
      requestsPerTarget: int(1, 100000).describe('ALB requests per task per minute the `api` scaling keeps to.'),
      healthCheckIntervalSeconds: int(5, 300).describe('Seconds between ALB health checks of each task (`/healthz`).'),
      healthyThreshold: int(2, 10).describe('Consecutive passed checks before a task receives traffic.'),
      unhealthyThreshold: int(2, 10).describe('Consecutive failed checks before a task is taken out.'),
      deregistrationDelaySeconds: int(0, 3600).describe(
        'Seconds the ALB lets in-flight requests finish on a deregistering task; below `stopTimeoutSeconds`.',
      ),
    }).describe('The `api` service behind the load balancer.'),
    worker: section({
      ...fargateSize,
      backlogPerTask: int(1, 100000).describe('Visible work messages per task the `worker` scaling keeps to.'),
      targetCpuPercent: int(10, 90).describe('Average CPU the `worker` scaling keeps to, as a backstop.'),
    }).describe('The `worker` service consuming the work queue.'),
  }),
  monitoring: section({
    latencyPeriods: int(1, 60).describe(
      'Consecutive minutes of p99 latency breach before the region counts as unhealthy.',
    ),
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
    }).describe(
      'Alarm thresholds by severity (`page` wakes someone, `ticket` waits for working hours), overriding the defaults in lib/constructs/monitoring/thresholds.ts key by key.',
    ),
  }),
  dns: section({
    healthCheckPath: z
      .string(allowed('a path such as /readyz'))
      .regex(/^\/[\w./-]{0,254}$/, allowed('a path such as /readyz'))
      .describe(
        "Path Route53 health checkers GET on each region's ALB; the ALB lets it through without the origin header.",
      ),
    healthCheckIntervalSeconds: z
      .union([z.literal(10), z.literal(30)], allowed('10 or 30'))
      .describe('Seconds between Route53 health checks; 10 (fast) costs more than 30.'),
    recordTtlSeconds: int(1, 300)
      .optional()
      .describe(
        "TTL of each region's origin record, made a CNAME to the region's load balancer. Unset: an alias record (free queries, 60 s fixed TTL). Region failover takes about interval x threshold + this TTL.",
      ),
    healthCheckFailureThreshold: int(1, 10).describe(
      'Consecutive failed checks before a region leaves DNS; failover takes about interval x threshold + the record TTL.',
    ),
  }),
  edge: section({
    rateLimitPer5Minutes: int(10, 2000000000).describe(
      'Requests one client IP may make in 5 minutes before WAF answers 429 (edge load shedding).',
    ),
    priceClass: z
      .enum(
        ['PriceClass_100', 'PriceClass_200', 'PriceClass_All'],
        allowed('PriceClass_100, PriceClass_200, PriceClass_All'),
      )
      .describe('CloudFront edge locations used: all (lowest latency everywhere) or the cheaper subsets.'),
    apiCacheMinTtlSeconds: int(0, 31536000).describe('Least time CloudFront keeps a cacheable API answer.'),
    apiCacheDefaultTtlSeconds: int(0, 31536000).describe(
      'Time CloudFront keeps a cacheable API answer that sets no Cache-Control; between min and max.',
    ),
    apiCacheMaxTtlSeconds: int(0, 31536000).describe(
      'Most time CloudFront keeps a cacheable API answer, whatever Cache-Control says.',
    ),
    publishAdditionalMetrics: z
      .boolean(allowed('true or false'))
      .describe('CloudFront additional metrics (cache hit rate, error rates by code); billed per distribution.'),
  }),
  database: section({
    instanceClass: z
      .string(allowed('"serverless" or an Aurora class such as db.r7g.large'))
      .regex(/^(serverless|db\.[a-z0-9]+\.[a-z0-9]+)$/, allowed('"serverless" or an Aurora class such as db.r7g.large'))
      .describe('Aurora PostgreSQL instance class, or `serverless` for Serverless v2 capacity.'),
    minCapacityAcu: acu.describe(
      'Serverless v2 floor in Aurora capacity units (0.5 steps); ignored for provisioned classes.',
    ),
    maxCapacityAcu: acu.describe(
      'Serverless v2 ceiling in Aurora capacity units (0.5 steps); at least `minCapacityAcu`.',
    ),
    readers: int(0, 15).describe('Reader replicas per cluster in every region (Aurora allows 15).'),
    readerAutoScaling: section({
      minReaders: int(0, 15).describe('Fewest readers the primary region scales in to.'),
      maxReaders: int(1, 15).describe('Most readers the primary region scales out to.'),
      targetCpuPercent: int(10, 90).describe('Average reader CPU the scaling keeps to.'),
    })
      .optional()
      .describe(
        'Reader autoscaling in the primary region (Application Auto Scaling on ReadReplicaCount). Unset: a fixed `readers`.',
      ),
    readConsistency: z
      .enum(['session', 'eventual', 'global'], allowed('session, eventual, global'))
      .describe(
        'Read-after-write consistency of forwarded writes in secondary regions: `session` lets a user read their own writes.',
      ),
    shards: int(1, 16).describe(
      'Independent database clusters; keys are routed by a stable hash. Adding one needs the resharding runbook.',
    ),
    backupRetentionDays: int(1, 35).describe('Days of automated backups (point-in-time recovery window).'),
  }),
  cache: section({
    nodeType: z
      .string(allowed('an ElastiCache node type such as cache.r7g.large'))
      .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, allowed('an ElastiCache node type such as cache.r7g.large'))
      .describe('ElastiCache node type per region.'),
    replicas: int(0, 5).describe(
      'Replicas per cache shard, in other AZs: at least one for automatic failover and Multi-AZ (prod, and any global datastore); 0 is a single node per shard that is replaced after a failure (dev).',
    ),
    engine: z
      .enum(['valkey', 'redis'], allowed('valkey, redis'))
      .describe('Cache engine; Valkey costs less than Redis OSS.'),
    engineVersion: z
      .string(allowed('a major.minor version such as 8.1'))
      .regex(/^\d+\.\d+$/, allowed('a major.minor version such as 8.1'))
      .describe('Engine version; pin it so upgrades are deliberate.'),
    clusterMode: z
      .boolean(allowed('true or false'))
      .describe('Shard the key space over `shards` primaries; clients must speak the cluster protocol.'),
    shards: int(1, 500).describe('Cache shards (node groups); more than 1 needs `clusterMode`.'),
    snapshotRetentionDays: int(0, 35).describe('Days of daily cache snapshots; 0 turns them off.'),
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
  }),
  queue: section({
    maxReceiveCount: int(1, 1000).describe('Receives before a work message moves to the dead-letter queue.'),
    visibilityTimeoutSeconds: int(0, 43200).describe(
      "Seconds a worker has to finish a message; above the worker's longest job.",
    ),
    retentionDays: int(1, 14).describe('Days an unprocessed work message is kept.'),
    deadLetterRetentionDays: int(1, 14).describe(
      'Days a dead-lettered message is kept for inspection and redrive; at least `retentionDays`.',
    ),
  }),
  resilience: section({
    drills: z
      .boolean(allowed('true or false'))
      .describe(
        'Fault-injection (AWS FIS) experiment templates per region: task loss, AZ loss, database and cache failover, region evacuation, split brain. Free until run.',
      ),
    taskStopPercent: int(1, 100).describe('Share of the `api` tasks the task-loss drill stops.'),
    drillMinutes: int(1, 60).describe(
      'How long the AZ-loss, region-evacuation and split-brain drills hold their fault before undoing it.',
    ),
    arc: z
      .boolean(allowed('true or false'))
      .describe(
        'Region evacuation through Route53 Application Recovery Controller routing controls (a cluster costs about US$1,800/month). Off: a Route53 health check per region that an operator inverts.',
      ),
    zonalShift: z
      .boolean(allowed('true or false'))
      .describe("Register each region's ALB with ARC zonal shift, so an AZ can be drained without a deploy."),
  }),
  delivery: section({
    repository: z
      .string(allowed('a GitHub repository as owner/name'))
      .regex(GITHUB_REPOSITORY, allowed('a GitHub repository as owner/name'))
      .describe('GitHub repository that deploys this app: the OIDC trust of GitHub Actions and the pipeline source.'),
    branch: z
      .string(allowed('a git branch name'))
      .regex(GIT_BRANCH, allowed('a git branch name'))
      .describe('The only branch allowed to deploy.'),
    githubOidc: z
      .boolean(allowed('true or false'))
      .describe(
        'Add the `<appName>-GitHubOidc` stack: the GitHub OIDC provider and a role that can only assume the CDK bootstrap roles.',
      ),
    pipeline: z
      .boolean(allowed('true or false'))
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
    bakeMinutes: int(0, 240).describe(
      "Minutes a wave bakes after deploying before the next one starts; the wave fails if a region's health alarm fires meanwhile.",
    ),
  }),
  invalidation: section({
    retentionSeconds: int(60, 1209600).describe(
      'Seconds an undelivered cache-invalidation event is kept; at least the longest cache TTL (an older event is moot).',
    ),
    maxReceiveCount: int(1, 1000).describe('Receives before an invalidation event moves to its dead-letter queue.'),
  }),
});

/** The configuration as written: what the schema accepts. */
export type ConfigInput = z.infer<typeof configSchema>;
export type FargateSize = Pick<ConfigInput['compute']['api'], 'cpu' | 'memoryMiB' | 'minTasks' | 'maxTasks'>;
