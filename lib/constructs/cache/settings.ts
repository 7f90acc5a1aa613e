import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { BURSTABLE_CACHE_NODE, CACHE_PARAMETER_GROUP_FAMILIES } from '../choices';
import { PropError } from '../validation';

/** ElastiCache engines with replication groups: Valkey (the default) or Redis OSS. */
export type CacheEngine = 'valkey' | 'redis';

/** The version each engine gets when none is given: the newest major ElastiCache offers. */
export const DEFAULT_ENGINE_VERSION: Readonly<Record<CacheEngine, string>> = { valkey: '8.1', redis: '7.1' };

/** Parameter group family by engine and major version (ElastiCache "parameter group families"). */
const PARAMETER_GROUP_FAMILIES: Readonly<Record<CacheEngine, Readonly<Record<string, string>>>> =
  CACHE_PARAMETER_GROUP_FAMILIES;

/**
 * Punctuation an AUTH token may hold: ElastiCache accepts printable ASCII with only these
 * non-alphanumerics. Everything else is excluded when Secrets Manager generates the token.
 */
const AUTH_TOKEN_PUNCTUATION = '!&#$^<>-';
const ASCII_PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
export const AUTH_TOKEN_EXCLUDED_CHARACTERS = [...ASCII_PUNCTUATION]
  .filter((c) => !AUTH_TOKEN_PUNCTUATION.includes(c))
  .join('');

/** Longest token ElastiCache accepts is 128; 64 random characters is far beyond guessable. */
export const AUTH_TOKEN_LENGTH = 64;

/** Settings a global datastore secondary takes from the primary and must not be given. */
export const INHERITED_BY_SECONDARY = ['nodeType', 'engine', 'engineVersion', 'parameters'] as const;

const known = (value: unknown): boolean => !Token.isUnresolved(value);

/** `cache.<family>.<size>`, e.g. cache.r7g.large. */
export function checkNodeType(scope: IConstruct, nodeType: string): void {
  if (known(nodeType) && !/^cache\.[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(nodeType)) {
    throw new PropError(
      scope,
      'nodeType',
      nodeType,
      'an ElastiCache node type cache.<family>.<size> such as cache.r7g.large',
      'is malformed',
    );
  }
}

/** Global datastores run on M5/R5 or newer nodes only; burstable T nodes cannot join. */
export function checkGlobalNodeType(scope: IConstruct, nodeType: string): void {
  if (known(nodeType) && BURSTABLE_CACHE_NODE.test(nodeType)) {
    throw new PropError(
      scope,
      'nodeType',
      nodeType,
      'an M or R node type (M5/R5 or newer) such as cache.r7g.large',
      'cannot join a global datastore',
    );
  }
}

/** The parameter group family of an engine version, which must look like `major.minor`. */
export function parameterGroupFamily(scope: IConstruct, engine: CacheEngine, engineVersion: string): string {
  const families = PARAMETER_GROUP_FAMILIES[engine];
  if (!families) {
    throw new PropError(scope, 'engine', engine, Object.keys(PARAMETER_GROUP_FAMILIES).join(', '));
  }
  if (!/^\d+\.\d+$/.test(engineVersion)) {
    throw new PropError(
      scope,
      'engineVersion',
      engineVersion,
      `a major.minor version such as ${DEFAULT_ENGINE_VERSION[engine]}`,
      'is malformed',
    );
  }
  const family = families[engineVersion.split('.')[0]];
  if (!family) {
    const majors = Object.keys(families).map((major) => `${major}.x`);
    throw new PropError(scope, 'engineVersion', engineVersion, `${engine} ${majors.join(' or ')}`, 'is not supported');
  }
  return family;
}

/**
 * Replication group ids (ElastiCache naming): 1-40 letters, digits or hyphens, starting with a
 * letter, no trailing or doubled hyphen. Lower case, since ElastiCache stores it lower-cased and
 * metric dimensions must match what it stores.
 */
export function checkReplicationGroupId(scope: IConstruct, id: string): void {
  if (known(id) && !(/^[a-z][a-z0-9-]{0,39}$/.test(id) && !id.endsWith('-') && !id.includes('--'))) {
    throw new PropError(
      scope,
      'replicationGroupId',
      id,
      '1-40 lower-case letters, digits or single hyphens, starting with a letter and not ending with a hyphen',
      'is malformed',
    );
  }
}

/** `hh24:mi-hh24:mi` (UTC), the daily snapshot window. */
export function checkSnapshotWindow(scope: IConstruct, window: string): void {
  if (known(window) && !/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/.test(window)) {
    throw new PropError(
      scope,
      'snapshotWindow',
      window,
      'a daily UTC range hh:mm-hh:mm such as 03:00-04:00',
      'is malformed',
    );
  }
}

/** `ddd:hh24:mi-ddd:hh24:mi` (UTC), the weekly maintenance window. */
export function checkMaintenanceWindow(scope: IConstruct, window: string): void {
  const day = '(mon|tue|wed|thu|fri|sat|sun):([01]\\d|2[0-3]):[0-5]\\d';
  if (known(window) && !new RegExp(`^${day}-${day}$`).test(window)) {
    throw new PropError(
      scope,
      'maintenanceWindow',
      window,
      'a weekly UTC range ddd:hh:mm-ddd:hh:mm such as sun:04:30-sun:05:30',
      'is malformed',
    );
  }
}

/** A global datastore id: the primary region's five-letter prefix, a hyphen, then the suffix. */
export function checkGlobalReplicationGroupId(scope: IConstruct, id: string | undefined): string {
  if (id === undefined || id === '') {
    throw new PropError(
      scope,
      'global.globalReplicationGroupId',
      id,
      "the primary's global datastore id, e.g. ldgnf-blueprint-cache",
      'is required for a secondary',
    );
  }
  if (known(id) && !/^[a-z]{5}-[a-z][a-z0-9-]*$/.test(id)) {
    throw new PropError(
      scope,
      'global.globalReplicationGroupId',
      id,
      'the region prefix ElastiCache gives the datastore, a hyphen and its suffix, e.g. ldgnf-blueprint-cache',
      'is malformed',
    );
  }
  return id;
}
