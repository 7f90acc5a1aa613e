import { readFileSync } from "node:fs";
import pg from "pg";
import type { Config, ShardConfig } from "../config.js";
import { classifyDbError, DependencyError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
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

export function connectionConfig(config: Config, shard: ShardConfig, host: string, role: "writer" | "reader"): pg.PoolConfig {
  // Startup parameters rather than SET statements: they survive pool reconnects and are
  // accepted by Aurora write forwarding, which rejects some session statements.
  const options = [`-c statement_timeout=${config.DB_STATEMENT_TIMEOUT_MS}`];
  if (shard.schema) options.push(`-c search_path=${shard.schema}`);
  return {
    host,
    port: shard.port,
    database: shard.database,
    user: shard.username,
    password: shard.password,
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

/** One shard: a writer pool and a reader pool, with every query counted. */
export class Shard {
  readonly writer: pg.Pool;
  readonly reader: pg.Pool;
  queries = 0;

  constructor(
    readonly config: ShardConfig,
    serviceConfig: Config,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.writer = new pg.Pool(connectionConfig(serviceConfig, config, config.writerHost, "writer"));
    this.reader = new pg.Pool(connectionConfig(serviceConfig, config, config.readerHost, "reader"));
    // An idle client losing its connection emits 'error' on the pool; unhandled, it would crash the process.
    for (const [role, pool] of [["writer", this.writer], ["reader", this.reader]] as const) {
      pool.on("error", (err) => this.log.warn({ err, shard: config.name, role }, "idle database connection failed"));
    }
  }

  get name(): string {
    return this.config.name;
  }

  private failed = (err: unknown): never => {
    const classified = classifyDbError(err);
    if (classified instanceof DependencyError) this.metrics.count("DependencyErrors", 1, { Dependency: "db" });
    throw classified;
  };

  private counted<T>(run: () => Promise<T>): Promise<T> {
    this.queries++;
    this.metrics.count("DbQueries", 1, { Shard: this.config.name });
    return run().catch(this.failed);
  }

  read<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.counted(() => this.reader.query<R>(text, values));
  }

  write<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.counted(() => this.writer.query<R>(text, values));
  }

  /** Runs `fn` in a transaction on the writer; queries issued through `tx` are counted. */
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.writer.connect().catch(this.failed);
    const tx: Queryable = {
      query: ((text: string, values?: unknown[]) =>
        this.counted(() => client.query(text, values))) as Queryable["query"],
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
    await Promise.all([this.writer.end(), this.reader.end()]);
  }
}

/** Routes partition keys to shards with a jump consistent hash over the SHARD_MAP order. */
export class ShardRouter {
  readonly shards: Shard[];

  constructor(config: Config, log: Logger, metrics: Metrics) {
    this.shards = config.shards.map((s) => new Shard(s, config, log, metrics));
  }

  shardFor(key: string): Shard {
    return this.shards[shardIndexFor(key, this.shards.length)] as Shard;
  }

  totalQueries(): number {
    return this.shards.reduce((n, s) => n + s.queries, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
  }
}
