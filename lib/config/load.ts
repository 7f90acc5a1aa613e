import { z } from 'zod';
import {
  addressesForAzs,
  BURSTABLE_CACHE_NODE,
  CACHE_MAX_NODES,
  CACHE_PARAMETER_GROUP_FAMILIES,
} from '../constructs/choices';
import { findThresholdIssue } from '../constructs/monitoring/thresholds';
import { ConfigError } from './errors';
import { AWS_REGIONS, AwsRegion, REGION_NAMES, defaultAvailabilityZones, knownAvailabilityZones } from './regions';
import { ConfigInput, configSchema } from './schema';
import { fargateMemoryChoices } from './fargate';

/** Everything a region's stacks need to know about that region, defaults resolved. */
export interface RegionalConfig {
  readonly region: AwsRegion;
  /** Holds the database writers; the other regions forward writes to it. */
  readonly isPrimary: boolean;
  readonly availabilityZones: readonly string[];
  readonly vpcCidr: string;
}

/** The validated configuration, with per-region defaults resolved. */
export type AppConfig = Readonly<Omit<ConfigInput, 'primaryRegion' | 'availabilityZones'>> & {
  readonly primaryRegion: AwsRegion;
  /** One entry per serving region, in `regions` order. */
  readonly regional: readonly RegionalConfig[];
  /**
   * The order Data stacks deploy in, one after another: the primary, then the others as listed.
   * Secondaries join what the primary creates, and cross-region subscriptions need both ends.
   */
  readonly dataDeployOrder: readonly AwsRegion[];
};

/**
 * Context keys that belong to the CDK, not to this app: feature flags (`@aws-cdk/...`), CLI
 * settings (`aws:cdk:...`) and lookup caches (`availability-zones:account=...`).
 */
const isCdkOwnedKey = (key: string) => key.startsWith('@') || key.includes(':') || key === 'acknowledged-issue-numbers';

/** Context key holding the presets; not itself a config key. */
const PROFILES_KEY = 'profiles';

/**
 * Builds the config from CDK context (`app.node.getAllContext()`): the chosen profile's preset,
 * overlaid with every top-level config key and `-c` override. Throws `ConfigError` on the first
 * bad value, naming the key, the value and what is allowed.
 */
export function loadConfig(context: Record<string, unknown>): AppConfig {
  const profiles = context[PROFILES_KEY];
  if (!isPlainObject(profiles) || Object.keys(profiles).length === 0) {
    throw new ConfigError(
      PROFILES_KEY,
      profiles,
      'an object of presets in cdk.json, e.g. {"prod": {...}, "dev": {...}}',
      profiles === undefined ? 'is required' : 'is not an object of presets',
    );
  }
  const profile = context.profile;
  if (typeof profile !== 'string' || !isPlainObject(profiles[profile])) {
    throw new ConfigError('profile', profile, Object.keys(profiles).join(', '), 'is not a profile');
  }

  const merged = structuredClone(profiles[profile]) as Record<string, unknown>;
  for (const [key, value] of Object.entries(context)) {
    if (key === PROFILES_KEY) continue;
    const isConfigKey = childSchema(configSchema, key.split('.')[0]) !== undefined;
    if (!isConfigKey && isCdkOwnedKey(key)) continue;
    setOverride(merged, key, value);
  }

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw toConfigError(parsed.error.issues[0], merged);
  return resolve(parsed.data);
}

/** Applies one context entry (`a.b.c` = value) to the merged config, coercing CLI strings. */
function setOverride(target: Record<string, unknown>, dottedKey: string, value: unknown): void {
  const path = dottedKey.split('.');
  let schema: z.core.$ZodType = configSchema;
  let node = target;
  path.forEach((segment, index) => {
    const child = childSchema(schema, segment);
    if (!child) {
      const parentKey = path.slice(0, index).join('.');
      const choices = allowedKeys(schema);
      throw new ConfigError(
        dottedKey,
        value,
        choices.map((k) => (parentKey ? `${parentKey}.${k}` : k)).join(', '),
        'is not a config key',
      );
    }
    schema = child;
    if (index === path.length - 1) {
      // Cloned: later dotted keys write into it, and the context must stay as given.
      node[segment] = structuredClone(coerce(dottedKey, value, schema));
      return;
    }
    if (!isPlainObject(node[segment])) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  });
}

/**
 * `-c` values arrive as strings; turn them into what the schema expects at that key so that
 * `-c database.shards=4` is a number and `-c regions=us-east-1,eu-west-1` a list. A string that
 * does not convert is left as it is, for the schema to reject with its own message.
 */
function coerce(key: string, value: unknown, schema: z.core.$ZodType): unknown {
  if (typeof value !== 'string') return value;
  const def = unwrap(schema)._zod.def;
  const text = value.trim();
  switch (def.type) {
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : value;
    case 'union':
      // A choice of numbers (e.g. 10 or 30) takes the number; anything else stays as written.
      return /^-?\d+(\.\d+)?$/.test(text) && (def as z.core.$ZodUnionDef).options.some(isNumeric)
        ? Number(text)
        : value;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : value;
    case 'array':
      if (text.startsWith('[')) return parseJson(key, text);
      return text === ''
        ? []
        : text.split(',').map((item) => coerce(key, item.trim(), (def as z.core.$ZodArrayDef).element));
    case 'object':
    case 'record':
      return parseJson(key, text);
    default:
      return value;
  }
}

function isNumeric(schema: z.core.$ZodType): boolean {
  const def = unwrap(schema)._zod.def as { type: string; values?: unknown[] };
  return def.type === 'number' || (def.type === 'literal' && (def.values ?? []).every((v) => typeof v === 'number'));
}

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(key, text, 'JSON, e.g. -c \'key={"a":1}\'', 'is not valid JSON');
  }
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  const def = schema._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe' && def.in) return unwrap(def.in);
  return schema;
}

function childSchema(schema: z.core.$ZodType, key: string): z.core.$ZodType | undefined {
  const def = unwrap(schema)._zod.def;
  if (def.type === 'object') return (def as z.core.$ZodObjectDef).shape[key];
  if (def.type === 'record') return (def as z.core.$ZodRecordDef).valueType;
  return undefined;
}

/** The keys an object section or an enum-keyed record (e.g. per-region maps) accepts. */
function allowedKeys(schema: z.core.$ZodType): string[] {
  const def = unwrap(schema)._zod.def;
  if (def.type === 'object') return Object.keys((def as z.core.$ZodObjectDef).shape);
  if (def.type === 'record') return [...((def as z.core.$ZodRecordDef).keyType._zod.values ?? [])].map(String);
  return [];
}

/** One zod issue → the one-line error. The schema's leaves put "what is allowed" in `message`. */
function toConfigError(issue: z.core.$ZodIssue, input: unknown): ConfigError {
  const value = valueAt(input, issue.path);
  if (issue.code === 'unrecognized_keys') {
    const parentKey = formatPath(issue.path);
    const key = parentKey ? `${parentKey}.${issue.keys[0]}` : issue.keys[0];
    const schema = issue.path.reduce<z.core.$ZodType | undefined>(
      (s, seg) => s && childSchema(s, String(seg)),
      configSchema,
    );
    return new ConfigError(
      key,
      valueAt(value, [issue.keys[0]]),
      schema ? allowedKeys(schema).join(', ') : 'known keys only',
      'is not a config key',
    );
  }
  return new ConfigError(formatPath(issue.path), value, issue.message, problemOf(issue, value));
}

function problemOf(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined ? 'is required' : `is not ${article(issue.expected)}`;
    case 'too_small':
    case 'too_big':
      return issue.origin === 'array' ? 'has the wrong number of entries' : 'is out of range';
    case 'invalid_format':
      return 'is malformed';
    case 'invalid_value':
      return issue.values.length === REGION_NAMES.length ? 'is not an AWS region' : 'is not one of the choices';
    case 'invalid_key':
      return 'has a key that is not allowed';
    default:
      return 'is not allowed';
  }
}

const TYPE_NAMES: Record<string, string> = { int: 'an integer', object: 'an object', array: 'a list' };
const article = (type: string) => TYPE_NAMES[type] ?? (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

/** `['regions', 1]` → `regions[1]`; `['compute', 'api', 'cpu']` → `compute.api.cpu`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${String(seg)}` : String(seg)),
    '',
  );
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (node, seg) =>
      node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[seg] : undefined,
    input,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every region once, and the primary among them; constructs that take region lists check the same. */
export function checkRegionList(regions: readonly string[], primaryRegion: string): void {
  regions.forEach((region, index) => {
    if (regions.indexOf(region) !== index) {
      throw new ConfigError(`regions[${index}]`, region, 'each region once', 'is listed twice');
    }
  });
  if (!regions.includes(primaryRegion)) {
    throw new ConfigError(
      'primaryRegion',
      primaryRegion,
      `one of regions: ${regions.join(', ')}`,
      'is not a serving region',
    );
  }
}

/** Checks that span keys, then fills in per-region defaults. */
function resolve(input: ConfigInput): AppConfig {
  const { regions } = input;
  const primaryRegion = input.primaryRegion ?? regions[0];
  checkRegionList(regions, primaryRegion);
  for (const [mapKey, map] of [
    ['availabilityZones', input.availabilityZones],
    ['network.vpcCidrs', input.network.vpcCidrs],
  ] as const) {
    for (const region of Object.keys(map) as AwsRegion[]) {
      if (!regions.includes(region)) {
        throw new ConfigError(
          `${mapKey}.${region}`,
          map[region],
          `one of regions: ${regions.join(', ')}`,
          'names a region that is not served',
        );
      }
    }
  }

  const regional = regions.map((region): RegionalConfig => {
    const availabilityZones = resolveAvailabilityZones(region, input.availabilityZones[region], input.network.maxAzs);
    if (input.network.natGateways > availabilityZones.length) {
      throw new ConfigError(
        'network.natGateways',
        input.network.natGateways,
        `at most one per AZ: ${availabilityZones.length} in ${region}`,
        'is more than the AZs',
      );
    }
    return {
      region,
      isPrimary: region === primaryRegion,
      availabilityZones,
      vpcCidr: input.network.vpcCidrs[region] ?? AWS_REGIONS[region].cidr,
    };
  });
  checkCidrsDisjoint(regional, new Set(Object.keys(input.network.vpcCidrs)));

  for (const service of ['api', 'worker'] as const) {
    const size = input.compute[service];
    const key = `compute.${service}`;
    const memoryChoices = fargateMemoryChoices(size.cpu);
    if (!memoryChoices) {
      throw new ConfigError(
        `${key}.cpu`,
        size.cpu,
        '256, 512, 1024, 2048, 4096, 8192 or 16384',
        'is not a Fargate CPU size',
      );
    }
    if (!memoryChoices.includes(size.memoryMiB)) {
      throw new ConfigError(
        `${key}.memoryMiB`,
        size.memoryMiB,
        `with cpu ${size.cpu}: ${describeChoices(memoryChoices)}`,
        'is not a Fargate memory size for this cpu',
      );
    }
    if (size.minTasks > size.maxTasks) {
      throw new ConfigError(
        `${key}.minTasks`,
        size.minTasks,
        `at most ${key}.maxTasks = ${size.maxTasks}`,
        'is greater than maxTasks',
      );
    }
  }

  if (input.queue.deadLetterRetentionDays < input.queue.retentionDays) {
    throw new ConfigError(
      'queue.deadLetterRetentionDays',
      input.queue.deadLetterRetentionDays,
      `at least queue.retentionDays = ${input.queue.retentionDays}`,
      'is shorter than the queue retention',
    );
  }
  const { api } = input.compute;
  if (input.profile === 'prod' && api.minTasks < 2) {
    throw new ConfigError(
      'compute.api.minTasks',
      api.minTasks,
      'at least 2 in prod, so losing a task or an AZ leaves one serving',
      'is too few for prod',
    );
  }
  if (api.deregistrationDelaySeconds >= input.compute.stopTimeoutSeconds) {
    throw new ConfigError(
      'compute.api.deregistrationDelaySeconds',
      api.deregistrationDelaySeconds,
      `less than compute.stopTimeoutSeconds = ${input.compute.stopTimeoutSeconds}`,
      'outlasts the task stop timeout',
    );
  }

  const { edge } = input;
  if (
    edge.apiCacheMinTtlSeconds > edge.apiCacheDefaultTtlSeconds ||
    edge.apiCacheDefaultTtlSeconds > edge.apiCacheMaxTtlSeconds
  ) {
    const { apiCacheMinTtlSeconds: min, apiCacheMaxTtlSeconds: max } = edge;
    throw new ConfigError(
      'edge.apiCacheDefaultTtlSeconds',
      edge.apiCacheDefaultTtlSeconds,
      `between edge.apiCacheMinTtlSeconds = ${min} and edge.apiCacheMaxTtlSeconds = ${max}`,
      'is outside the TTL bounds',
    );
  }

  const { database } = input;
  if (database.minCapacityAcu > database.maxCapacityAcu) {
    throw new ConfigError(
      'database.minCapacityAcu',
      database.minCapacityAcu,
      `at most database.maxCapacityAcu = ${database.maxCapacityAcu}`,
      'is greater than maxCapacityAcu',
    );
  }
  if (database.readerAutoScaling && database.readerAutoScaling.minReaders > database.readerAutoScaling.maxReaders) {
    const { minReaders, maxReaders } = database.readerAutoScaling;
    throw new ConfigError(
      'database.readerAutoScaling.minReaders',
      minReaders,
      `at most database.readerAutoScaling.maxReaders = ${maxReaders}`,
      'is greater than maxReaders',
    );
  }
  if (input.cache.replicas === 0 && input.cache.globalDatastoreId !== undefined) {
    throw new ConfigError(
      'cache.replicas',
      0,
      'at least 1 with cache.globalDatastoreId (a global datastore fails over automatically, which needs a replica in every member)',
      'is too few for a global datastore',
    );
  }
  if (input.cache.shards > 1 && !input.cache.clusterMode) {
    throw new ConfigError(
      'cache.shards',
      input.cache.shards,
      '1 unless cache.clusterMode is true',
      'needs cluster mode',
    );
  }

  const { delivery } = input;
  if (delivery.pipeline && input.account === undefined) {
    throw new ConfigError(
      'account',
      undefined,
      'a 12-digit AWS account id',
      'is required when delivery.pipeline is true',
    );
  }
  if (delivery.pipeline && delivery.connectionArn === undefined) {
    throw new ConfigError(
      'delivery.connectionArn',
      undefined,
      'a CodeConnections ARN',
      'is required when delivery.pipeline is true',
    );
  }

  if (input.zoneOnly && input.hostedZoneId !== undefined) {
    throw new ConfigError(
      'zoneOnly',
      true,
      'false when hostedZoneId is set',
      'has no zone to create: hostedZoneId names an existing one',
    );
  }

  // Limits of the resources themselves, which their constructs check too (naming their props).
  checkResourceLimits(input, regional);

  const { primaryRegion: _primary, availabilityZones: _azs, ...rest } = input;
  const dataDeployOrder = [primaryRegion, ...regions.filter((region) => region !== primaryRegion)];
  return { ...rest, primaryRegion, regional, dataDeployOrder };
}

/** What AWS accepts of the sizes and versions the constructs are given (`lib/constructs/choices.ts`). */
function checkResourceLimits(input: ConfigInput, regional: readonly RegionalConfig[]): void {
  for (const { region, availabilityZones, vpcCidr } of regional) {
    const needed = addressesForAzs(availabilityZones.length);
    if (2 ** (32 - Number(vpcCidr.split('/')[1])) < needed) {
      const azs = availabilityZones.length;
      throw new ConfigError(
        `network.vpcCidrs.${region}`,
        vpcCidr,
        `/${32 - Math.ceil(Math.log2(needed))} or larger for ${azs} AZs, whose /24 public, /20 app and /22 data subnets take ${needed.toLocaleString('en-US')} addresses`,
        `is too small for ${azs} AZs`,
      );
    }
  }
  if (input.appName.includes('--')) {
    throw new ConfigError(
      'appName',
      input.appName,
      'no doubled hyphen: it begins Aurora and ElastiCache identifiers, which refuse one',
      'is malformed',
    );
  }
  const { database, cache } = input;
  if (database.maxCapacityAcu < 1) {
    throw new ConfigError(
      'database.maxCapacityAcu',
      database.maxCapacityAcu,
      '1 to 256 in steps of 0.5',
      'is out of range',
    );
  }
  const families: Readonly<Record<string, string>> = CACHE_PARAMETER_GROUP_FAMILIES[cache.engine];
  if (!families[cache.engineVersion.split('.')[0]]) {
    const majors = Object.keys(families).map((major) => `${major}.x`);
    throw new ConfigError(
      'cache.engineVersion',
      cache.engineVersion,
      `${cache.engine} ${majors.join(' or ')}`,
      'is not supported',
    );
  }
  if (cache.globalDatastoreId !== undefined && BURSTABLE_CACHE_NODE.test(cache.nodeType)) {
    throw new ConfigError(
      'cache.nodeType',
      cache.nodeType,
      'an M or R node type (M5/R5 or newer) such as cache.r7g.large, with cache.globalDatastoreId',
      'cannot join a global datastore',
    );
  }
  if (cache.shards * (cache.replicas + 1) > CACHE_MAX_NODES) {
    throw new ConfigError(
      'cache.shards',
      cache.shards,
      `at most ${Math.floor(CACHE_MAX_NODES / (cache.replicas + 1))} with ${cache.replicas} replicas (${CACHE_MAX_NODES} nodes per cluster)`,
      'is too many nodes',
    );
  }
  const issue = findThresholdIssue(input.monitoring.thresholds);
  if (issue) {
    throw new ConfigError(`monitoring.thresholds.${issue.path}`, issue.value, issue.allowed, issue.problem);
  }
}

function resolveAvailabilityZones(region: AwsRegion, given: string[] | undefined, maxAzs: number): string[] {
  const key = `availabilityZones.${region}`;
  const known = knownAvailabilityZones(region);
  if (!given) {
    if (known.length < maxAzs) {
      throw new ConfigError(
        'network.maxAzs',
        maxAzs,
        `at most ${known.length} in ${region} (${known.join(', ')}), or name its zones in ${key}`,
        `is more than the AZs of ${region}`,
      );
    }
    return defaultAvailabilityZones(region, maxAzs);
  }
  if (given.length < 2 || given.length > 6) {
    throw new ConfigError(key, given, `2 to 6 of ${known.join(', ')}`, 'has the wrong number of entries');
  }
  given.forEach((az, index) => {
    if (!known.includes(az))
      throw new ConfigError(`${key}[${index}]`, az, known.join(', '), `is not an AZ of ${region}`);
    if (given.indexOf(az) !== index) throw new ConfigError(`${key}[${index}]`, az, 'each AZ once', 'is listed twice');
  });
  return given;
}

function checkCidrsDisjoint(regional: readonly RegionalConfig[], explicit: ReadonlySet<string>): void {
  const ranges = regional.map(({ region, vpcCidr }) => {
    const range = cidrRange(vpcCidr);
    if (!range.aligned) {
      throw new ConfigError(
        `network.vpcCidrs.${region}`,
        vpcCidr,
        `its network address ${range.network}`,
        'has host bits set',
      );
    }
    return { region, vpcCidr, ...range };
  });
  ranges.forEach((a, i) =>
    ranges.slice(i + 1).forEach((b) => {
      if (a.first > b.last || b.first > a.last) return;
      // Blame the range the user wrote over a fixed default, so the key named is one they set.
      const [kept, blamed] = explicit.has(a.region) && !explicit.has(b.region) ? [b, a] : [a, b];
      throw new ConfigError(
        `network.vpcCidrs.${blamed.region}`,
        blamed.vpcCidr,
        `a range that does not overlap ${kept.region}'s ${kept.vpcCidr}`,
        'overlaps another region',
      );
    }),
  );
}

function cidrRange(cidr: string): { first: number; last: number; aligned: boolean; network: string } {
  const [address, bits] = cidr.split('/');
  const base = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  const first = base - (base % size);
  const network = [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256).join('.');
  return { first, last: first + size - 1, aligned: first === base, network: `${network}/${bits}` };
}

function describeChoices(values: readonly number[]): string {
  return values.length > 6
    ? `${values[0]} to ${values[values.length - 1]} in steps of ${values[1] - values[0]}`
    : values.join(', ');
}
