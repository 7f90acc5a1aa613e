/**
 * Facts of AWS and GitHub that both constructs and the app's config check values against. Plain
 * constants without CDK imports, so `lib/config` can import them without depending on the CDK.
 */

/** A GitHub repository as `owner/name`, as GitHub allows them. */
export const GITHUB_REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;
/** A git branch name (the characters a ref name may use, no spaces). */
export const GIT_BRANCH = /^[A-Za-z0-9._/-]{1,200}$/;
/** A CodeConnections (or CodeStar Connections) connection ARN. */
export const CODECONNECTIONS_ARN =
  /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/;

/** How the app subnets reach the internet: managed NAT gateways, or NAT instances on EC2. */
export const NAT_KINDS = ['gateway', 'instance'] as const;
export type NatKind = (typeof NAT_KINDS)[number];

/** Interface endpoints the network can create, by the name `aws-ec2` gives the service. */
export const INTERFACE_ENDPOINTS = ['ecr', 'ecr-docker', 'logs', 'secretsmanager', 'sqs', 'sns', 'kms', 'sts'] as const;
export type InterfaceEndpointName = (typeof INTERFACE_ENDPOINTS)[number];

/** The region of CloudFront's global resources and metrics: its certificates, web ACLs and alarms live here. */
export const CLOUDFRONT_REGION = 'us-east-1';

/**
 * Prefix length of each AZ's subnets in a `Network`, in the order CDK carves them out of the VPC
 * range: every public subnet, then every app subnet, then every data subnet.
 */
export const SUBNET_PREFIXES = { public: 24, app: 20, data: 22 } as const;

/**
 * Addresses the `Network` subnets take for `azCount` AZs. CDK starts each subnet on a multiple of
 * its own size, so the /20s skip to the next 4,096 after the /24s: three AZs need 19,456, more
 * than a /18.
 */
export function addressesForAzs(azCount: number): number {
  let next = 0;
  for (const prefix of Object.values(SUBNET_PREFIXES)) {
    const size = 2 ** (32 - prefix);
    for (let az = 0; az < azCount; az++) next = Math.ceil(next / size) * size + size;
  }
  return next;
}

/** Parameter group family of each ElastiCache engine by major version ("parameter group families"). */
export const CACHE_PARAMETER_GROUP_FAMILIES = {
  valkey: { '7': 'valkey7', '8': 'valkey8' },
  redis: { '6': 'redis6.x', '7': 'redis7' },
} as const satisfies Record<string, Record<string, string>>;

/** Nodes a cache cluster holds at most: shards × (replicas + 1). */
export const CACHE_MAX_NODES = 500;

/** Burstable (T) cache nodes, which a global datastore does not accept (it needs M5/R5 or newer). */
export const BURSTABLE_CACHE_NODE = /^cache\.t\d/;

/**
 * CPU/memory combinations Fargate accepts (Linux), from the ECS task-definition reference
 * ("Task size"). Memory in MiB, per CPU unit count.
 */
const range = (from: number, to: number, step: number) =>
  Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);

const FARGATE_MEMORY_BY_CPU: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

/** The memory sizes Fargate offers for `cpu`, or undefined when `cpu` is not a Fargate size. */
export function fargateMemoryChoices(cpu: number): readonly number[] | undefined {
  return FARGATE_MEMORY_BY_CPU[cpu];
}
