import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { z } from "zod";
import type { Config, ShardConfig } from "../config.js";
import { DependencyError } from "../errors.js";
import { ThrottledLog, type Logger } from "../log.js";
import type { Metrics } from "../metrics.js";

/**
 * Database credentials read at run time, so that a rotation of a shard's master secret reaches
 * running tasks: Secrets Manager rotates the password (and, with alternating users, the user)
 * every 30 days, while an ECS `secrets:` variable is fixed when the task starts.
 */

/** A login. `password` is undefined for a local role without one (trust auth, .pgpass, PGPASSWORD). */
export interface DbCredentials {
  readonly username: string;
  readonly password: string | undefined;
}

/** Where a shard's credentials come from: Secrets Manager in AWS, the environment locally, a function in tests. */
export interface CredentialsSource {
  /** Names the source in logs and errors (a secret ARN, "environment"); never a credential. */
  readonly description: string;
  fetch(): Promise<DbCredentials>;
}

/** A secret whose value is not the JSON an RDS secret holds. The message names the secret, never its value. */
export class CredentialsError extends Error {
  override name = "CredentialsError";
}

// The fields every RDS secret has; the others (engine, host, port, …) are not needed here.
const rdsSecret = z.object({ username: z.string().min(1), password: z.string().min(1) });

/** Reads `username` and `password` from a secret's SecretString. */
export function parseSecretString(secretString: string | undefined, secretId: string): DbCredentials {
  if (secretString === undefined) throw new CredentialsError(`${secretId}: the secret has no SecretString`);
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    // JSON.parse quotes part of its input in its message: it is not passed on.
    throw new CredentialsError(`${secretId}: the SecretString is not JSON`);
  }
  const parsed = rdsSecret.safeParse(json);
  if (!parsed.success) throw new CredentialsError(`${secretId}: the SecretString needs non-empty string fields username and password`);
  return parsed.data;
}

/** The production source: `GetSecretValue` on the shard's secret (its AWSCURRENT version). */
export class SecretsManagerSource implements CredentialsSource {
  constructor(
    private readonly client: SecretsManagerClient,
    readonly secretId: string,
  ) {}

  get description(): string {
    return this.secretId;
  }

  async fetch(): Promise<DbCredentials> {
    const out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    return parseSecretString(out.SecretString, this.secretId);
  }
}

/** Credentials fixed in the environment (SHARD_<i>_USERNAME/_PASSWORD, DB_USERNAME/_PASSWORD). */
export class StaticSource implements CredentialsSource {
  readonly description = "environment";

  constructor(readonly credentials: DbCredentials) {}

  async fetch(): Promise<DbCredentials> {
    return this.credentials;
  }
}

/** The task's Secrets Manager client: the region's endpoint (or AWS_ENDPOINT_URL_SECRETS_MANAGER, which the SDK honours). */
export function createSecretsManagerClient(config: Config): SecretsManagerClient {
  // A fetch runs while a connection waits for its password: keep it well inside DB_CONNECT_TIMEOUT_MS.
  return new SecretsManagerClient({ region: config.AWS_REGION, maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 } });
}

export interface CredentialsProviderOptions {
  /** Shard name: the `shard` field of log lines. */
  readonly name: string;
  /**
   * Refetch once the cached value is older than this (DB_SECRET_MAX_AGE_MS), in the background:
   * callers get the cached value meanwhile. Bounds how long a new username goes unnoticed.
   */
  readonly maxAgeMs: number;
  /**
   * No fetch starts sooner than this after the previous one ended, so a database that keeps
   * refusing the credentials, or an outage of Secrets Manager, costs one call per interval
   * rather than one per connection attempt or query. The first fetch is never delayed.
   * @default 1000
   */
  readonly minRefreshIntervalMs?: number;
  /** Credentials to start with (the environment's); without them the first get() fetches. */
  readonly initial?: DbCredentials;
  readonly log: Logger;
  /** Counts `DependencyErrors{Dependency=secrets}` per failed fetch; a one-off command has none. */
  readonly metrics?: Metrics;
}

/**
 * One shard's credentials, cached. Refreshed when the database refuses them (`rejected`), and in
 * the background once older than `maxAgeMs`. Concurrent callers share one fetch (single flight).
 * A failed fetch keeps the last good value (logged, and counted as a `secrets` dependency
 * error): only a task that never got any credentials fails its queries for lack of them.
 */
export class CredentialsProvider {
  private cached: { value: DbCredentials; fetchedAt: number } | undefined;
  private inflight: Promise<DbCredentials> | undefined;
  private lastFetchEndedAt = -Infinity;
  /** Why the last fetch failed, answered within the refresh floor while no value is cached. */
  private lastFailure: unknown;
  /** The database refused the cached value: the next get() waits for a fetch. */
  private refused = false;
  private readonly minRefreshIntervalMs: number;
  private readonly throttled: ThrottledLog;

  constructor(
    readonly source: CredentialsSource,
    private readonly options: CredentialsProviderOptions,
  ) {
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? 1000;
    this.throttled = new ThrottledLog(options.log.child({ shard: options.name, source: source.description }));
    if (options.initial) this.cached = { value: options.initial, fetchedAt: performance.now() };
  }

  /** The cached credentials, without fetching; undefined before the first successful fetch. */
  get current(): DbCredentials | undefined {
    return this.cached?.value;
  }

  /**
   * The credentials to log in with. Waits for a fetch when there are none yet or the database
   * refused the cached ones; otherwise answers the cached ones at once, starting a background
   * refresh when they are older than `maxAgeMs`. Rejects (DependencyError "secrets") only while
   * no fetch has ever succeeded.
   */
  async get(): Promise<DbCredentials> {
    const cached = this.cached;
    if (!cached || this.refused) return this.refresh();
    // refresh() never rejects once a value is cached: it keeps the last good one.
    if (performance.now() - cached.fetchedAt >= this.options.maxAgeMs) void this.refresh();
    return cached.value;
  }

  /**
   * The database refused `failed` (SQLSTATE 28P01 or 28000). Resolves with the credentials to
   * retry with: newer ones if a fetch already replaced `failed`, otherwise those of a new fetch
   * (shared with concurrent callers; the last good value if it fails or is rate-limited).
   */
  async rejected(failed: DbCredentials): Promise<DbCredentials> {
    // Values are compared by identity: an unchanged fetch keeps the cached object.
    if (this.cached && this.cached.value !== failed) return this.cached.value;
    this.refused = true;
    return this.get();
  }

  private refresh(): Promise<DbCredentials> {
    if (this.inflight) return this.inflight;
    if (performance.now() - this.lastFetchEndedAt < this.minRefreshIntervalMs) {
      return this.cached ? Promise.resolve(this.cached.value) : Promise.reject(new DependencyError("secrets", this.lastFailure));
    }
    const fetching = this.fetch().finally(() => {
      this.inflight = undefined;
      this.lastFetchEndedAt = performance.now();
    });
    this.inflight = fetching;
    return fetching;
  }

  private async fetch(): Promise<DbCredentials> {
    const previous = this.cached?.value;
    let fresh: DbCredentials;
    try {
      fresh = await this.source.fetch();
    } catch (err) {
      this.lastFailure = err;
      this.options.metrics?.count("DependencyErrors", 1, { Dependency: "secrets" });
      if (!previous) {
        this.throttled.warn("first", err, "reading the database credentials failed; the shard is unavailable until a fetch succeeds");
        throw new DependencyError("secrets", err);
      }
      this.throttled.warn("refresh", err, "refreshing the database credentials failed; keeping the last good ones");
      return previous;
    }
    const changed = previous === undefined || previous.username !== fresh.username || previous.password !== fresh.password;
    const value = changed ? fresh : previous;
    this.cached = { value, fetchedAt: performance.now() };
    this.refused = false;
    if (previous && changed) {
      this.options.log.info(
        { shard: this.options.name, source: this.source.description, usernameChanged: previous.username !== fresh.username },
        "database credentials changed",
      );
    }
    return value;
  }
}

/** A shard's provider from its config: its secret, or the environment's fixed credentials. */
export function credentialsProviderFor(
  config: Config,
  shard: ShardConfig,
  deps: { secretsManager: () => SecretsManagerClient; log: Logger; metrics?: Metrics },
): CredentialsProvider {
  const options = { name: shard.name, maxAgeMs: config.DB_SECRET_MAX_AGE_MS, log: deps.log, metrics: deps.metrics };
  const c = shard.credentials;
  if (c.source === "secretsManager") return new CredentialsProvider(new SecretsManagerSource(deps.secretsManager(), c.secretArn), options);
  const fixed = { username: c.username, password: c.password };
  return new CredentialsProvider(new StaticSource(fixed), { ...options, initial: fixed });
}

/**
 * The providers of every shard of `config`, sharing one Secrets Manager client (created only
 * when a shard reads a secret). `close()` releases the client.
 */
export function credentialsProviders(config: Config, log: Logger, metrics?: Metrics): { providers: CredentialsProvider[]; close(): void } {
  let client: SecretsManagerClient | undefined;
  const secretsManager = () => (client ??= createSecretsManagerClient(config));
  return {
    providers: config.shards.map((shard) => credentialsProviderFor(config, shard, { secretsManager, log, metrics })),
    close: () => client?.destroy(),
  };
}

/** The database refused the login: a wrong password (28P01), or a role that does not exist or may not log in (28000). */
export function isAuthFailure(err: unknown): err is pg.DatabaseError {
  return err instanceof pg.DatabaseError && (err.code === "28P01" || err.code === "28000");
}

/**
 * Runs `attempt` with the provider's credentials; when the database refuses them, refreshes
 * them and runs `attempt` once more with the result. Safe for any attempt whose failure comes
 * from opening the connection: the database ran nothing.
 */
export async function withFreshCredentials<T>(
  provider: CredentialsProvider,
  attempt: (credentials: DbCredentials) => Promise<T>,
  onRefused?: (err: pg.DatabaseError) => void,
): Promise<T> {
  const credentials = await provider.get();
  try {
    return await attempt(credentials);
  } catch (err) {
    if (!isAuthFailure(err)) throw err;
    onRefused?.(err);
    return attempt(await provider.rejected(credentials));
  }
}
