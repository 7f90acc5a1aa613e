import { z } from 'zod';

/** Thrown for an invalid environment; the message is a single line meant for stderr. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);

const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const shardEntry = z.object({
  name: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
  writerHost: z.string().min(1),
  // Reads go to the writer when a shard has no separate reader endpoint.
  readerHost: z.string().min(1).optional(),
  // Writer discovery (src/db/writer-route.ts): the global database's writer endpoint and this
  // region's cluster endpoint; both or neither.
  globalWriterHost: z.string().min(1).optional(),
  clusterHost: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).default(5432),
  database: z.string().min(1),
  // Optional schema (search_path); tests isolate runs with it, production normally leaves it unset.
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case identifier')
    .optional(),
});

const envSchema = z.object({
  SERVICE_NAME: z.string().min(1).default('sample-service'),
  PORT: int(8080, 0, 65535),
  HOST: z.string().min(1).default('0.0.0.0'),
  // Above the ALB's idle timeout (60 s), so the ALB, not the task, closes idle connections.
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(65000, 1),
  HTTP_HEADERS_TIMEOUT_MS: int(10000, 1),
  HTTP_REQUEST_TIMEOUT_MS: int(30000, 1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AWS_REGION: z.string().min(1, 'required (ECS sets it)'),
  REGION: optionalString,
  AWS_ENDPOINT_URL: optionalString.pipe(z.url().optional()),

  SHARD_MAP: z.string().min(1, 'required: JSON array of shards'),
  DB_USERNAME: optionalString,
  DB_PASSWORD: optionalString,
  DB_SSL: z.enum(['verify-full', 'disable']).default('verify-full'),
  DB_SSL_CA_FILE: optionalString,
  DB_IAM_USER: optionalString.pipe(
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case identifier')
      .optional(),
  ),
  DB_POOL_MAX: int(10, 1, 1000),
  DB_CONNECT_TIMEOUT_MS: int(2000, 1),
  DB_STATEMENT_TIMEOUT_MS: int(5000, 1),
  DB_IDLE_TIMEOUT_MS: int(30000, 1),
  // How often each shard re-checks where its writer is (a DNS lookup of two names), see writer-route.ts.
  DB_WRITER_CHECK_MS: int(10000, 1000),
  MIGRATE_ON_START: bool(false),

  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://'),
  REDIS_AUTH_TOKEN: optionalString,
  REDIS_KEY_PREFIX: z.string().default('svc:'),
  REDIS_CONNECT_TIMEOUT_MS: int(2000, 1),
  REDIS_COMMAND_TIMEOUT_MS: int(500, 1),

  CACHE_TTL_SECONDS: int(60, 1),
  NEGATIVE_CACHE_TTL_SECONDS: int(5, 1),
  NEAR_CACHE_TTL_MS: int(1000, 0),
  NEAR_CACHE_MAX_ENTRIES: int(10000, 1),
  CACHE_LOCK_TTL_MS: int(3000, 1),
  CACHE_LOCK_WAIT_MS: int(1000, 0),

  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters'),
  SESSION_SECRET_PREVIOUS: optionalString,
  SESSION_TTL_SECONDS: int(86400, 60),
  SESSION_COOKIE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('sid'),
  COOKIE_SECURE: bool(true),
  SESSION_MAX_PER_USER: int(5, 1, 1000),
  TRUST_PROXY_HOPS: int(0, 0, 10),
  LOGIN_RATE_LIMIT_PER_MINUTE: int(20, 0),
  JOBS_RATE_LIMIT_PER_MINUTE: int(60, 0),

  WORK_QUEUE_URL: z.url(),
  WORK_DLQ_URL: optionalString.pipe(z.url().optional()),
  INVALIDATION_TOPIC_ARN: optionalString,
  INVALIDATION_QUEUE_URL: optionalString.pipe(z.url().optional()),
  INVALIDATION_WAIT_SECONDS: int(20, 0, 20),
  OUTBOX_POLL_INTERVAL_MS: int(1000, 10),
  OUTBOX_BATCH_SIZE: int(50, 1, 500),
  OUTBOX_RETRY_BASE_MS: int(500, 1),
  OUTBOX_RETRY_MAX_MS: int(30000, 1),

  WORKER_WAIT_SECONDS: int(20, 0, 20),
  WORKER_BATCH_SIZE: int(10, 1, 10),
  JOB_DEDUPE_RETENTION_DAYS: int(15, 1),

  MAX_IN_FLIGHT: int(100, 1),
  MAX_EVENT_LOOP_DELAY_MS: int(100, 0),
  SHED_SAMPLE_INTERVAL_MS: int(200, 10),
  SHED_RETRY_AFTER_SECONDS: int(1, 0),

  READY_TIMEOUT_MS: int(1000, 1),
  READINESS_CACHE_MS: int(1000, 0),
  SHUTDOWN_TIMEOUT_MS: int(25000, 100),

  METRICS_NAMESPACE: z.string().min(1).default('Blueprint/Service'),
  METRICS_FLUSH_INTERVAL_MS: int(10000, 100),
});

/**
 * How a shard's tasks log in for queries, by precedence:
 * 1. `DB_IAM_USER`: IAM database authentication as that role, a token signed with the task role
 *    per connection (src/db/auth.ts). What the infrastructure sets.
 * 2. `SHARD_<i>_USERNAME` (+ `SHARD_<i>_PASSWORD`), else `DB_USERNAME` (+ `DB_PASSWORD`): fixed,
 *    for local runs without AWS.
 */
export type ShardLogin =
  { method: 'iam'; username: string } | { method: 'password'; username: string; password: string | undefined };

export interface ShardConfig {
  index: number;
  name: string;
  writerHost: string;
  readerHost: string;
  /** The global database's writer endpoint; with `clusterHost`, writes follow it (writer-route.ts). */
  globalWriterHost: string | undefined;
  /** This region's cluster (writer) endpoint, written to while this region holds the writer. */
  clusterHost: string | undefined;
  port: number;
  database: string;
  schema: string | undefined;
  login: ShardLogin;
  /**
   * SHARD_<i>_MIGRATION_SECRET_ARN: the secret (JSON `username`, `password`; the cluster's master
   * secret in AWS) that migrations log in with, read once per run. Unset: migrations use `login`.
   */
  migrationSecretArn: string | undefined;
}

// A complete or partial secret ARN (a secondary region's replica is addressed by name).
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

type Env = z.infer<typeof envSchema>;

export interface Config extends Omit<Env, 'SHARD_MAP' | 'REGION' | 'DB_USERNAME' | 'DB_PASSWORD'> {
  /** Logical region stamped on invalidation events (REGION, else AWS_REGION). */
  REGION: string;
  shards: ShardConfig[];
}

function describeIssues(issues: z.ZodError['issues'], prefix = ''): string {
  return issues
    .map(
      (i) =>
        `${prefix}${i.path.join('.') || '(root)'}: ${i.message.endsWith('received undefined') ? 'required' : i.message}`,
    )
    .join('; ');
}

function parseShards(env: Env, raw: Record<string, string | undefined>): ShardConfig[] {
  let json: unknown;
  try {
    json = JSON.parse(env.SHARD_MAP);
  } catch (err) {
    throw new ConfigError(`SHARD_MAP: invalid JSON (${(err as Error).message})`);
  }
  const parsed = z.array(shardEntry).min(1, 'needs at least one shard').safeParse(json);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues, 'SHARD_MAP.'));
  const names = new Set<string>();
  return parsed.data.map((s, index) => {
    if (names.has(s.name)) throw new ConfigError(`SHARD_MAP.${index}.name: duplicate shard name ${s.name}`);
    names.add(s.name);
    if ((s.globalWriterHost === undefined) !== (s.clusterHost === undefined)) {
      throw new ConfigError(`SHARD_MAP.${index}: give both globalWriterHost and clusterHost, or neither`);
    }
    return {
      index,
      name: s.name,
      writerHost: s.writerHost,
      readerHost: s.readerHost ?? s.writerHost,
      globalWriterHost: s.globalWriterHost,
      clusterHost: s.clusterHost,
      port: s.port,
      database: s.database,
      schema: s.schema,
      login: shardLogin(index, env, raw),
      migrationSecretArn: migrationSecretArn(index, raw),
    };
  });
}

/** The precedence documented on ShardLogin. */
function shardLogin(index: number, env: Env, raw: Record<string, string | undefined>): ShardLogin {
  if (env.DB_IAM_USER) return { method: 'iam', username: env.DB_IAM_USER };
  const username = raw[`SHARD_${index}_USERNAME`]?.trim() || env.DB_USERNAME;
  if (!username) throw new ConfigError(`SHARD_${index}_USERNAME: required (or set DB_IAM_USER, or DB_USERNAME)`);
  return { method: 'password', username, password: raw[`SHARD_${index}_PASSWORD`] || env.DB_PASSWORD };
}

function migrationSecretArn(index: number, raw: Record<string, string | undefined>): string | undefined {
  const key = `SHARD_${index}_MIGRATION_SECRET_ARN`;
  const arn = raw[key]?.trim();
  if (!arn) return undefined;
  if (!SECRET_ARN.test(arn))
    throw new ConfigError(
      `${key}: not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)`,
    );
  return arn;
}

export function loadConfig(raw: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues));
  const env = parsed.data;
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    // node:http refuses a headers timeout above the request timeout (the headers are part of the request).
    throw new ConfigError(
      `HTTP_HEADERS_TIMEOUT_MS: ${env.HTTP_HEADERS_TIMEOUT_MS} must not exceed HTTP_REQUEST_TIMEOUT_MS (${env.HTTP_REQUEST_TIMEOUT_MS})`,
    );
  }
  if (env.INVALIDATION_QUEUE_URL && !env.INVALIDATION_TOPIC_ARN) {
    // A region that consumes remote invalidations must also publish its own, or regions diverge.
    throw new ConfigError('INVALIDATION_TOPIC_ARN: required when INVALIDATION_QUEUE_URL is set');
  }
  const { SHARD_MAP: _map, DB_USERNAME: _u, DB_PASSWORD: _p, REGION, ...rest } = env;
  const shards = parseShards(env, raw);
  const noMigrationLogin = shards.find((s) => s.login.method === 'iam' && !s.migrationSecretArn);
  if (env.MIGRATE_ON_START && noMigrationLogin) {
    // The IAM role may read and write rows, not change the schema: migrations need the master secret.
    throw new ConfigError(
      `SHARD_${noMigrationLogin.index}_MIGRATION_SECRET_ARN: required when MIGRATE_ON_START=true and DB_IAM_USER is set`,
    );
  }
  return { ...rest, REGION: REGION ?? env.AWS_REGION, shards };
}

/** Loads config for an entrypoint: a bad environment prints one line and exits 1. */
export function loadConfigOrExit(raw: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`invalid configuration: ${err.message.replace(/\s+/g, ' ')}\n`);
      process.exit(1);
    }
    throw err;
  }
}
