import { z } from 'zod';
import { ConfigError } from './errors';
import { availabilityZonesOf, regionListViolation, vpcCidrOf } from './regional-rules';
import { AwsRegion, REGION_NAMES } from './regions';
import { ConfigInput, configSchema } from './schema';

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

/** Context key holding the profiles; not itself a config key. */
const PROFILES_KEY = 'profiles';
/** Key of a profile naming the profile whose keys it starts from. */
const EXTENDS_KEY = 'extends';

/**
 * Builds the config from CDK context (`app.node.getAllContext()`): the schema's defaults, under
 * the chosen profile (after its `extends` chain), under every top-level config key and `-c`
 * override. Throws `ConfigError` on the first bad value, naming the key, the value and what is
 * allowed.
 */
export function loadConfig(context: Record<string, unknown>): AppConfig {
  return resolve(parseConfig(configInput(context)));
}

/**
 * The config as written for `profile` (the context's `profile` unless given), before defaults:
 * the profile's `extends` chain merged root first, then the top-level context keys. Objects merge
 * key by key; any other value (a list, a number, `null`) replaces what was there. Every profile's
 * keys are checked, not only the chosen one's, so a typo in any profile stops synth.
 */
export function configInput(context: Record<string, unknown>, profile = context.profile): Record<string, unknown> {
  const profiles = context[PROFILES_KEY];
  if (!isPlainObject(profiles) || Object.keys(profiles).length === 0) {
    throw new ConfigError(
      PROFILES_KEY,
      profiles,
      'an object of profiles in cdk.json, e.g. {"prod": {}, "dev": {"regions": ["us-east-1"]}}',
      profiles === undefined ? 'is required' : 'is not an object of profiles',
    );
  }
  for (const [name, preset] of Object.entries(profiles)) {
    const key = `${PROFILES_KEY}.${name}`;
    if (!isPlainObject(preset)) {
      throw new ConfigError(
        key,
        preset,
        'an object of config keys, e.g. {"extends": "prod", "regions": ["us-east-1"]}',
        'is not a profile',
      );
    }
    profileChain(profiles, name);
    mergeInto({}, withoutExtends(preset), configSchema, key);
  }
  if (typeof profile !== 'string' || !isPlainObject(profiles[profile])) {
    throw new ConfigError('profile', profile, Object.keys(profiles).join(', '), 'is not a profile');
  }

  const merged: Record<string, unknown> = {};
  for (const name of profileChain(profiles, profile)) {
    mergeInto(
      merged,
      withoutExtends(profiles[name] as Record<string, unknown>),
      configSchema,
      `${PROFILES_KEY}.${name}`,
    );
  }
  merged.profile = profile;
  for (const [key, value] of Object.entries(context)) {
    if (key === PROFILES_KEY || key === 'profile') continue;
    const isConfigKey = childSchema(configSchema, key.split('.')[0]) !== undefined;
    if (!isConfigKey && isCdkOwnedKey(key)) continue;
    setOverride(merged, key, value);
  }
  return merged;
}

/** Validates config as written against the schema: defaults filled in, every rule kept. */
export function parseConfig(input: Record<string, unknown>): ConfigInput {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw toConfigError(parsed.error.issues[0], input);
  return parsed.data;
}

/** `name` and the profiles it extends, root first; an unknown or circular `extends` is an error. */
export function profileChain(profiles: Record<string, unknown>, name: string): string[] {
  const chain = [name];
  for (;;) {
    const parent = (profiles[chain[0]] as Record<string, unknown>)[EXTENDS_KEY];
    if (parent === undefined) return chain;
    const key = `${PROFILES_KEY}.${chain[0]}.${EXTENDS_KEY}`;
    if (typeof parent !== 'string' || !isPlainObject(profiles[parent])) {
      throw new ConfigError(key, parent, `another profile: ${Object.keys(profiles).join(', ')}`, 'is not a profile');
    }
    if (chain.includes(parent)) {
      throw new ConfigError(
        key,
        parent,
        'a profile that does not extend this one',
        `makes a cycle: ${[chain[0], ...[...chain].reverse()].join(' → ')}`,
      );
    }
    chain.unshift(parent);
  }
}

function withoutExtends(preset: Record<string, unknown>): Record<string, unknown> {
  const { [EXTENDS_KEY]: _extends, ...keys } = preset;
  return keys;
}

/**
 * Merges `source` into `target` key by key, descending into sections and maps; any other value
 * replaces what was there. A key the schema does not have is an error named `<keyPrefix>.<key>`.
 */
function mergeInto(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  schema: z.core.$ZodType,
  keyPrefix: string,
): void {
  for (const [key, value] of Object.entries(source)) {
    const dotted = keyPrefix ? `${keyPrefix}.${key}` : key;
    const child = schema === configSchema && key === 'profile' ? undefined : childSchema(schema, key);
    if (!child) {
      const choices = allowedKeys(schema).filter((k) => schema !== configSchema || k !== 'profile');
      throw new ConfigError(
        dotted,
        value,
        (schema === configSchema ? [EXTENDS_KEY, ...choices] : choices).join(', '),
        'is not a config key',
      );
    }
    const kind = unwrap(child)._zod.def.type;
    if (isPlainObject(value) && (kind === 'object' || kind === 'record')) {
      if (!isPlainObject(target[key])) target[key] = {};
      mergeInto(target[key] as Record<string, unknown>, value, child, dotted);
    } else {
      // Cloned: later keys merge into it, and the context must stay as given.
      target[key] = structuredClone(value);
    }
  }
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
    const parent = schema;
    schema = child;
    if (index === path.length - 1) {
      mergeInto(node, { [segment]: coerce(dottedKey, value, schema) }, parent, path.slice(0, -1).join('.'));
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
  if (text === 'null' && acceptsNull(schema)) return null;
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

function acceptsNull(schema: z.core.$ZodType): boolean {
  const def = schema._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
  if (def.type === 'nullable') return true;
  const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
  return inner ? acceptsNull(inner) : false;
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
  if (issue.code === 'custom' && issue.params?.problem) {
    // A rule that spans keys (`rules.ts`): it names the value, which may be a default.
    return new ConfigError(formatPath(issue.path), issue.params.value, issue.message, issue.params.problem);
  }
  if (issue.code === 'invalid_value' && isRegionList(issue.values)) {
    return new ConfigError(
      formatPath(issue.path),
      value,
      `${issue.values.join(', ')}; to use another AWS region, add it to AWS_REGIONS in lib/config/regions.ts with its AZ letters and a VPC CIDR`,
      'is not in lib/config/regions.ts',
    );
  }
  if (issue.code === 'invalid_key') {
    // The key's own schema says what a key may be.
    const keyIssue = issue.issues[0];
    return new ConfigError(formatPath(issue.path), value, keyIssue?.message ?? issue.message, problemOf(issue, value));
  }
  return new ConfigError(formatPath(issue.path), value, issue.message, problemOf(issue, value));
}

const isRegionList = (values: readonly unknown[]) =>
  values.length === REGION_NAMES.length && values.every((value, index) => value === REGION_NAMES[index]);

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
      return 'is not one of the choices';
    case 'invalid_key':
      return 'has a key that is not allowed';
    default:
      return 'is not allowed';
  }
}

const TYPE_NAMES: Record<string, string> = {
  int: 'an integer',
  object: 'an object',
  record: 'an object',
  array: 'a list',
};
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
  const found = regionListViolation(regions, primaryRegion);
  if (found) throw new ConfigError(formatPath(found.path), found.value, found.allowed, found.problem);
}

/** Fills in per-region defaults; the schema has checked every rule. */
function resolve(input: ConfigInput): AppConfig {
  const { regions } = input;
  const primaryRegion = input.primaryRegion ?? regions[0];
  const regional = regions.map((region): RegionalConfig => ({
    region,
    isPrimary: region === primaryRegion,
    availabilityZones: availabilityZonesOf(input, region),
    vpcCidr: vpcCidrOf(input, region),
  }));
  const { primaryRegion: _primary, availabilityZones: _azs, ...rest } = input;
  const dataDeployOrder = [primaryRegion, ...regions.filter((region) => region !== primaryRegion)];
  return { ...rest, primaryRegion, regional, dataDeployOrder };
}
