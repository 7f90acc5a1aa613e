/**
 * Every figure the recovery model takes from outside the app: AWS's published figures (quoted,
 * with where and when they were read), our own assumptions (labelled as such), and the targets.
 * Everything else the model uses is read from the synthesized templates.
 */

/** The day the published figures below were read at their URLs. */
export const CITED_ON = '2026-11-25';

export interface PublishedFigure {
  /** The document, by its title. */
  readonly source: string;
  readonly url: string;
  /** AWS's words, verbatim. */
  readonly quote: string;
  /**
   * The number the model computes with, in seconds: the published bound, or our reading of a
   * published phrase (then `reading` says so). Absent where the figure is a behaviour, not a time.
   */
  readonly seconds?: number;
  /** How a phrase without a number ("a few minutes") was turned into `seconds`. */
  readonly reading?: string;
  /** How the table shows the figure, when `seconds` alone would overstate it (`< 60 s`). */
  readonly display?: string;
}

export const PUBLISHED = {
  route53Checkers: {
    source: 'Amazon Route 53 Developer Guide, "How Amazon Route 53 determines whether a health check is healthy"',
    url: 'https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html',
    quote:
      "Route 53 health checkers in different data centers don't coordinate with one another [...] If 18% of health checkers or fewer report that an endpoint is healthy, Route 53 considers it unhealthy.",
    reading: 'checkers are not aligned, so detection takes up to one request interval more than interval × threshold',
  },
  aliasTtl: {
    source: 'Amazon Route 53 FAQs',
    url: 'https://aws.amazon.com/route53/faqs/',
    quote:
      'In order to configure DNS Failover for ELB and S3 Website endpoints, you need to use Alias records which have fixed TTL of 60 seconds',
    seconds: 60,
  },
  auroraFailover: {
    source:
      'Amazon Aurora User Guide, "High availability for Amazon Aurora" (Fault tolerance for an Aurora DB cluster)',
    url: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.AuroraHighAvailability.html',
    quote:
      'If the DB cluster has one or more Aurora Replicas, then an Aurora Replica is promoted to the primary instance during a failure event. [...] service is typically restored in less than 60 seconds, and often less than 30 seconds.',
    seconds: 60,
    display: '< 60 s',
  },
  auroraRecreate: {
    source:
      'Amazon Aurora User Guide, "High availability for Amazon Aurora" (Fault tolerance for an Aurora DB cluster)',
    url: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.AuroraHighAvailability.html',
    quote:
      "If the DB cluster doesn't contain any Aurora Replicas, then the primary instance is recreated in the same AZ during a failure event. [...] Service is restored when the new primary instance is created, which typically takes less than 10 minutes.",
    seconds: 600,
    display: '< 10 min',
  },
  auroraGlobalLag: {
    source: 'Amazon Aurora User Guide, "Using Amazon Aurora Global Database"',
    url: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html',
    quote: 'Aurora replicates data to the secondary AWS Regions with typical latency of under a second.',
    seconds: 1,
    display: '< 1 s',
    reading: 'typical, not a bound: the lag at the moment of an unplanned failover is what is lost',
  },
  auroraGlobalFailover: {
    source: 'Amazon Aurora User Guide, "Using switchover or failover in Amazon Aurora Global Database"',
    url: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html',
    quote:
      'For Aurora Global Database, RTO can be in the order of minutes. [...] Typically, the chosen secondary cluster assumes the primary role within a few minutes. [...] Because this feature [switchover] synchronizes secondary DB clusters with the primary before making any other changes, RPO is 0 (no data loss).',
    seconds: 180,
    reading: '3 minutes',
  },
  elastiCacheFailover: {
    source:
      'Amazon ElastiCache User Guide, "Minimizing downtime in ElastiCache by using Multi-AZ with Valkey and Redis OSS"',
    url: 'https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html',
    quote:
      'The read replica with the least replication lag is promoted to primary. Writes can resume as soon as the promotion process is complete, typically just a few seconds.',
    seconds: 10,
    reading: '10 seconds',
  },
} as const satisfies Record<string, PublishedFigure>;

export type PublishedKey = keyof typeof PUBLISHED;

export interface Assumption {
  /** How the assumptions list names it. */
  readonly label: string;
  readonly seconds: number;
  /** Why this number, and where to measure the real one. */
  readonly basis: string;
}

export const ASSUMED = {
  globalWriterDns: {
    label: 'Global writer endpoint DNS',
    seconds: 30,
    basis:
      'From the end of a managed failover until the global writer endpoint resolves to the promoted writer in the VPC resolver. Aurora updates the endpoint itself; AWS publishes no propagation figure (Amazon Aurora User Guide, "Connecting to Amazon Aurora Global Database"). Measure it in a switchover drill and replace this number.',
  },
  taskStart: {
    label: 'Task start',
    seconds: 60,
    basis:
      'A Fargate task from PROVISIONING to a listening container: ENI attach, image pull from ECR, app start. AWS publishes no figure, only what it depends on (Amazon ECS Developer Guide, "Optimize Amazon ECS task launch time", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-recommendations.html). Measure it with the task-loss drill and replace this number.',
  },
} as const satisfies Record<string, Assumption>;

/** What the table is judged against. RTO targets are met at or below; the RPO target strictly below. */
export const TARGETS = {
  statelessRegionFailover: { seconds: 60, inclusive: true, text: 'RTO ≤ 60 s' },
  dataRpo: { seconds: 1, inclusive: false, text: 'RPO < 1 s' },
  promotedWrites: { seconds: 300, inclusive: true, text: 'RTO ≤ 5 min' },
} as const;

export type Target = (typeof TARGETS)[keyof typeof TARGETS];
