import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import type { Config, ShardConfig } from "../config.js";
import { classifyDbError, DependencyError } from "../errors.js";
import { ThrottledLog, type Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { credentialsProviders, withFreshCredentials, type CredentialsProvider } from "./credentials.js";
import { shardIndexFor } from "./routing.js";

export type Queryable = Pick<pg.PoolClient, "query">;

function sslOptions(config: Config): pg.ConnectionConfig["ssl"] {
  switch (config.DB_SSL) {
    case "disable":
      return false;
    // Encrypts without verifying the certificate, like libpq sslmode=require.
    case "require":
      return { rejectUnauthorized: false };
    case "verify-full":
      return { rejectUnauthorized: true, ca: readFileSync(config.DB_SSL_CA_FILE as string, "utf8") };
  }
}

/** How a pool or client logs in: a fixed user, and a password that may be read per connection. */
export interface Login {
  user: string;
  /** pg calls a function each time the server asks for a password (never with trust auth). */
  password: string | undefined | (() => Promise<string>);
}

/**
 * A pool's login: for secrets, the provider's password at each connection (the cached one, or the
 * pending version's while a refused login is retried with it); the environment's value (or pg's
 * PGPASSWORD/.pgpass) otherwise.
 */
export function loginFor(shard: ShardConfig, credentials: CredentialsProvider, username: string): Login {
  if (shard.credentials.source === "environment") return { user: username, password: shard.credentials.password };
  return { user: username, password: async () => (await credentials.password()) ?? "" };
}

export function connectionConfig(config: Config, shard: ShardConfig, host: string, role: Role, login: Login): pg.PoolConfig {
  // Startup parameters rather than SET statements: they survive pool reconnects and are
  // accepted by Aurora write forwarding, which rejects some session statements.
  const options = [`-c statement_timeout=${config.DB_STATEMENT_TIMEOUT_MS}`];
  if (shard.schema) options.push(`-c search_path=${shard.schema}`);
  return {
    host,
    port: shard.port,
    database: shard.database,
    user: login.user,
    password: login.password,
    ssl: sslOptions(config),
    max: config.DB_POOL_MAX,
    connectionTimeoutMillis: config.DB_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: config.DB_IDLE_TIMEOUT_MS,
    // Client-side bound too, for a server that stops answering without closing the socket.
    query_timeout: config.DB_STATEMENT_TIMEOUT_MS + 1000,
    application_name: `${config.SERVICE_NAME}-${role}`,
    options: options.join(" "),
  };
}

export type Role = "writer" | "reader";

/** A writer and a reader pool, both logged in as `username`. */
interface Pools {
  readonly username: string;
  readonly writer: pg.Pool;
  readonly reader: pg.Pool;
}

/** How often a retired pool is checked for requests still waiting for a connection. */
const RETIRE_POLL_MS = 50;

/**
 * One shard: a writer pool and a reader pool, with every query counted. Credentials come from
 * the shard's provider: a connection the database refuses (SQLSTATE 28P01, 28000) refreshes them
 * and is retried with the new ones, or with the secret's pending version during a rotation
 * (`withFreshCredentials`). pg takes the password per connection but the user per pool, so when the
 * secret's username changes (alternating-users rotation) the pools are replaced: new queries use
 * the new pools, the old ones end once their queries are done.
 */
export class Shard {
  queries = 0;
  private pools: Pools | undefined;
  private readonly retiring = new Set<Promise<void>>();
  private readonly idleErrors: ThrottledLog;

  constructor(
    readonly config: ShardConfig,
    private readonly serviceConfig: Config,
    readonly credentials: CredentialsProvider,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.idleErrors = new ThrottledLog(log);
    // Fixed credentials are known now; a secret's are fetched by start() or the first query.
    const known = credentials.current;
    if (known) this.pools = this.open(known.username);
  }

  get name(): string {
    return this.config.name;
  }

  /** The current writer pool. Throws before the first credentials arrived. */
  get writer(): pg.Pool {
    return this.opened().writer;
  }

  /** The current reader pool. Throws before the first credentials arrived. */
  get reader(): pg.Pool {
    return this.opened().reader;
  }

  /** Fetches the credentials and opens the pools; a failure is logged, and the shard keeps trying on each query. */
  async start(): Promise<void> {
    try {
      this.poolsFor((await this.credentials.get()).username);
    } catch (err) {
      this.log.warn({ err, shard: this.name }, "no database credentials at start-up; the shard answers 503 until they arrive");
    }
  }

  private opened(): Pools {
    if (!this.pools) throw new DependencyError("secrets", new Error(`no credentials for ${this.name} yet`));
    return this.pools;
  }

  private open(username: string): Pools {
    const login = loginFor(this.config, this.credentials, username);
    const pools = {
      username,
      writer: new pg.Pool(connectionConfig(this.serviceConfig, this.config, this.config.writerHost, "writer", login)),
      reader: new pg.Pool(connectionConfig(this.serviceConfig, this.config, this.config.readerHost, "reader", login)),
    };
    // An idle client losing its connection emits 'error' on the pool; unhandled, it would crash the process.
    // A database outage fails every idle connection at once: one line per shard and interval.
    for (const role of ["writer", "reader"] as const) {
      pools[role].on("error", (err) => this.idleErrors.warn("idle", err, "idle database connection failed", { shard: this.name, role }));
    }
    return pools;
  }

  /** The pools logged in as `username`, replacing the current ones if they use another. Synchronous, so a caller uses the pool it got before any replacement can retire it. */
  private poolsFor(username: string): Pools {
    const current = this.pools;
    if (current?.username === username) return current;
    this.pools = this.open(username);
    if (current) {
      this.log.info({ shard: this.name, from: current.username, to: username }, "database username changed; replacing the shard's pools");
      this.retire(current);
    }
    return this.pools;
  }

  /** Ends replaced pools once no request waits for one of their connections; queries in flight finish first (end() waits for them). */
  private retire(pools: Pools): void {
    const done = (async () => {
      // end() would leave a request already queued for a connection waiting until its timeout.
      while (pools.writer.waitingCount + pools.reader.waitingCount > 0) await sleep(RETIRE_POLL_MS);
      await Promise.all([pools.writer.end(), pools.reader.end()]);
    })()
      .catch((err: unknown) => this.log.warn({ err, shard: this.name }, "closing replaced pools failed"))
      .finally(() => this.retiring.delete(done));
    this.retiring.add(done);
  }

  /** Runs `use` on the role's current pool; a refused login refreshes the credentials and runs it again with newer ones (`withFreshCredentials`). */
  private withPool<T>(role: Role, use: (pool: pg.Pool) => Promise<T>): Promise<T> {
    return withFreshCredentials(
      this.credentials,
      (credentials) => use(this.poolsFor(credentials.username)[role]),
      (err) => this.log.warn({ shard: this.name, role, code: err.code }, "database refused the credentials; refreshing them to retry"),
    );
  }

  private failed = (err: unknown): never => {
    const classified = classifyDbError(err);
    // A `secrets` failure was counted by the provider when its fetch failed.
    if (classified instanceof DependencyError && classified.dependency === "db") this.metrics.count("DependencyErrors", 1, { Dependency: "db" });
    throw classified;
  };

  private count(): void {
    this.queries++;
    this.metrics.count("DbQueries", 1, { Shard: this.config.name });
  }

  read<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    this.count();
    return this.withPool("reader", (pool) => pool.query<R>(text, values)).catch(this.failed);
  }

  write<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    this.count();
    return this.withPool("writer", (pool) => pool.query<R>(text, values)).catch(this.failed);
  }

  /** `SELECT 1` on the role's pool for readiness: not counted, same credential refresh as queries. */
  async ping(role: Role): Promise<void> {
    await this.withPool(role, (pool) => pool.query("SELECT 1"));
  }

  /** Runs `fn` in a transaction on the writer; queries issued through `tx` are counted. */
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.withPool("writer", (pool) => pool.connect()).catch(this.failed);
    const tx: Queryable = {
      query: ((text: string, values?: unknown[]) => {
        this.count();
        return client.query(text, values).catch(this.failed);
      }) as Queryable["query"],
    };
    let broken: Error | undefined;
    try {
      await tx.query("BEGIN");
      const result = await fn(tx);
      await tx.query("COMMIT");
      return result;
    } catch (err) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackErr) {
        // The connection is unusable: destroy it instead of returning it to the pool.
        broken = rollbackErr as Error;
        this.log.warn({ err: rollbackErr, shard: this.config.name }, "rollback failed");
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    const current = this.pools;
    await Promise.all([...this.retiring, current?.writer.end(), current?.reader.end()]);
  }
}

/** Routes partition keys to shards with a jump consistent hash over the SHARD_MAP order. */
export class ShardRouter {
  readonly shards: Shard[];
  private readonly credentials: ReturnType<typeof credentialsProviders>;

  constructor(config: Config, log: Logger, metrics: Metrics) {
    this.credentials = credentialsProviders(config, log, metrics);
    this.shards = config.shards.map((s, i) => new Shard(s, config, this.credentials.providers[i] as CredentialsProvider, log, metrics));
  }

  /** Fetches every shard's credentials and opens its pools; never rejects. */
  async start(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.start()));
  }

  shardFor(key: string): Shard {
    return this.shards[shardIndexFor(key, this.shards.length)] as Shard;
  }

  totalQueries(): number {
    return this.shards.reduce((n, s) => n + s.queries, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
    this.credentials.close();
  }
}
