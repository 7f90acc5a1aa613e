import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { AsyncLocalStorage } from "node:async_hooks";
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
  /** The credentials in force (a secret's AWSCURRENT version). */
  fetch(): Promise<DbCredentials>;
  /**
   * The credentials a rotation in progress has stored but not yet made current (a secret's
   * AWSPENDING version), or undefined when no rotation is in progress. Rejects only when the
   * source cannot be read. A source without versions (the environment) has no such method.
   */
  fetchPending?(): Promise<DbCredentials | undefined>;
}

/** Same username and password. */
function sameCredentials(a: DbCredentials, b: DbCredentials): boolean {
  return a.username === b.username && a.password === b.password;
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

/**
 * The production source: `GetSecretValue` on the shard's secret, its AWSCURRENT version, and
 * during a rotation its AWSPENDING version.
 */
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

  /**
   * The AWSPENDING version: a rotation's new credentials from its createSecret step until its
   * finishSecret step makes them AWSCURRENT. Secrets Manager answers ResourceNotFoundException
   * when no version has that label, that is when no rotation is in progress: undefined.
   */
  async fetchPending(): Promise<DbCredentials | undefined> {
    let out;
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: "AWSPENDING" }));
    } catch (err) {
      // By name: the SDK's class would not match an error from another copy of the package.
      if ((err as { name?: unknown } | undefined)?.name === "ResourceNotFoundException") return undefined;
      throw err;
    }
    return parseSecretString(out.SecretString, `${this.secretId} (AWSPENDING)`);
  }
}

/** Credentials fixed in the environment (SHARD_<i>_USERNAME/_PASSWORD, DB_USERNAME/_PASSWORD); they have no pending version. */
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
   * rather than one per connection attempt or query. The first fetch is never delayed. The
   * pending version's lookups have the same floor, counted separately.
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
 * A login attempt that `withFreshCredentials` makes with a pending version: pg asks for the
 * password when it opens the connection, through the pool's password function, in the async
 * context of the attempt. `active` ends with the attempt: a pool callback that inherited the
 * context later (a connection opened for another request) reads the cached password again.
 */
interface PinnedLogin {
  readonly provider: CredentialsProvider;
  readonly credentials: DbCredentials;
  active: boolean;
}

const pinnedLogin = new AsyncLocalStorage<PinnedLogin>();

/**
 * One shard's credentials, cached. Refreshed when the database refuses them (`rejected`), and in
 * the background once older than `maxAgeMs`. Concurrent callers share one fetch (single flight).
 * A failed fetch keeps the last good value (logged, and counted as a `secrets` dependency
 * error): only a task that never got any credentials fails its queries for lack of them.
 *
 * When the database refuses the secret's current version itself, as a single-user rotation
 * does between setting the new password (setSecret) and making it current (finishSecret),
 * `pending` looks the pending version up (single flight too, same floor), `pinned` makes a
 * login attempt use it, and `loggedIn` caches it once a login with it succeeded.
 */
export class CredentialsProvider {
  private cached: { value: DbCredentials; fetchedAt: number } | undefined;
  private inflight: Promise<DbCredentials> | undefined;
  private lastFetchEndedAt = -Infinity;
  /** Why the last fetch failed, answered within the refresh floor while no value is cached. */
  private lastFailure: unknown;
  /** The last fetch of the current version failed: a lookup of the pending one would fail alike, and the value is not fresh. */
  private lastFetchFailed = false;
  private pendingInflight: Promise<DbCredentials | undefined> | undefined;
  /** The last lookup of the pending version: its answer (undefined: none, or the lookup failed) is reused within the refresh floor. */
  private pendingLookup: { value: DbCredentials | undefined; endedAt: number } | undefined;
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
   * The password for a new connection (a pool's password function; pg asks at each login): the
   * pending version's while `withFreshCredentials` retries a login with it, otherwise `get()`'s.
   */
  async password(): Promise<string | undefined> {
    const pinned = pinnedLogin.getStore();
    if (pinned?.active && pinned.provider === this) return pinned.credentials.password;
    return (await this.get()).password;
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

  /**
   * The database refused `refused` although it is the current version, just refreshed by
   * `rejected()`. Resolves with the credentials to retry with, or undefined when there is
   * nothing else to try: newer cached ones if something replaced `refused` meanwhile, otherwise
   * the pending version if a rotation is in progress and it differs. The lookup is shared by
   * concurrent callers and reused within the refresh floor; none is made when the refresh itself
   * failed or the source has no versions. A failed lookup is counted as a `secrets` dependency
   * error and answers undefined; "no pending version" is no error.
   */
  async pending(refused: DbCredentials): Promise<DbCredentials | undefined> {
    const cached = this.cached;
    if (cached && cached.value !== refused) return cached.value;
    if (!this.source.fetchPending || this.lastFetchFailed) return undefined;
    const pending = await this.lookupPending();
    // Another caller's pending login may have replaced `refused` during the lookup.
    const now = this.cached?.value;
    if (now && now !== refused) return now;
    return pending && !sameCredentials(pending, refused) ? pending : undefined;
  }

  /**
   * A login with `credentials` succeeded. When they are the pending version that `pending()`
   * answered, they become the cached value until the refresh past `maxAgeMs`, by which time the
   * rotation has made them AWSCURRENT; the secret still names the refused ones until then.
   */
  loggedIn(credentials: DbCredentials): void {
    if (credentials !== this.pendingLookup?.value) return;
    const previous = this.cached?.value;
    if (previous && sameCredentials(previous, credentials)) return;
    this.cached = { value: credentials, fetchedAt: performance.now() };
    this.refused = false;
    this.options.log.info(
      { shard: this.options.name, source: this.source.description, usernameChanged: previous?.username !== credentials.username },
      "logged in with the secret's pending version (a rotation is in progress); using it until the next refresh",
    );
  }

  /** Runs `attempt` so that connections it opens log in with `credentials` (see `password()`). */
  async pinned<T>(credentials: DbCredentials, attempt: () => Promise<T>): Promise<T> {
    const pin: PinnedLogin = { provider: this, credentials, active: true };
    try {
      return await pinnedLogin.run(pin, attempt);
    } finally {
      pin.active = false;
    }
  }

  private lookupPending(): Promise<DbCredentials | undefined> {
    if (this.pendingInflight) return this.pendingInflight;
    const last = this.pendingLookup;
    if (last && performance.now() - last.endedAt < this.minRefreshIntervalMs) return Promise.resolve(last.value);
    const looking = this.fetchPending().then((value) => {
      this.pendingInflight = undefined;
      this.pendingLookup = { value, endedAt: performance.now() };
      return value;
    });
    this.pendingInflight = looking;
    return looking;
  }

  /** Never rejects: a failure is logged, counted and answered as "no pending version". */
  private async fetchPending(): Promise<DbCredentials | undefined> {
    let pending: DbCredentials | undefined;
    try {
      pending = await this.source.fetchPending?.();
    } catch (err) {
      this.options.metrics?.count("DependencyErrors", 1, { Dependency: "secrets" });
      this.throttled.warn("pending", err, "reading the secret's pending version failed; the refused login is not retried with it");
      return undefined;
    }
    const cached = this.cached?.value;
    if (pending && cached && !sameCredentials(pending, cached)) {
      this.options.log.info(
        { shard: this.options.name, source: this.source.description, usernameChanged: cached.username !== pending.username },
        "the database refused the secret's current version and a rotation is in progress; retrying with its pending version",
      );
    }
    return pending;
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
      this.lastFetchFailed = true;
      this.options.metrics?.count("DependencyErrors", 1, { Dependency: "secrets" });
      if (!previous) {
        this.throttled.warn("first", err, "reading the database credentials failed; the shard is unavailable until a fetch succeeds");
        throw new DependencyError("secrets", err);
      }
      this.throttled.warn("refresh", err, "refreshing the database credentials failed; keeping the last good ones");
      return previous;
    }
    this.lastFetchFailed = false;
    const changed = previous === undefined || !sameCredentials(previous, fresh);
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
 * Runs `attempt` with the provider's credentials. When the database refuses them, refreshes them
 * and, if that gave other credentials, runs `attempt` once more with those. When the database
 * refuses the freshly read current credentials too (as between a single-user rotation's
 * setSecret and finishSecret), `attempt` runs once more with the secret's pending version, if
 * there is one and it differs, and those credentials are cached if it succeeds. Otherwise the
 * refusal stands. Safe for any attempt whose failure comes from opening the connection: the
 * database ran nothing.
 */
export async function withFreshCredentials<T>(
  provider: CredentialsProvider,
  attempt: (credentials: DbCredentials) => Promise<T>,
  onRefused?: (err: pg.DatabaseError) => void,
): Promise<T> {
  let refused = await provider.get();
  let refusal: pg.DatabaseError;
  try {
    return await attempt(refused);
  } catch (err) {
    if (!isAuthFailure(err)) throw err;
    onRefused?.(err);
    refusal = err;
  }
  const refreshed = await provider.rejected(refused);
  // The same object: the secret still holds the refused credentials (or could not be read).
  if (refreshed !== refused) {
    try {
      return await attempt(refreshed);
    } catch (err) {
      if (!isAuthFailure(err)) throw err;
      refusal = err;
      refused = refreshed;
    }
  }
  const pending = await provider.pending(refused);
  if (!pending) throw refusal;
  const result = await provider.pinned(pending, () => attempt(pending));
  provider.loggedIn(pending);
  return result;
}
