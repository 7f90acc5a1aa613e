import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { Config, ShardConfig } from "../config.js";
import type { Logger } from "../log.js";
import { credentialsProviders, withFreshCredentials, type CredentialsProvider } from "./credentials.js";
import { connectionConfig, loginFor } from "./shards.js";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/", import.meta.url));

// Arbitrary constant shared by every task: concurrent start-ups apply migrations one at a time.
const MIGRATION_LOCK_ID = 727_001;

export interface MigrationResult {
  shard: string;
  applied: string[];
}

async function connect(config: Config, shard: ShardConfig, credentials: CredentialsProvider): Promise<pg.Client> {
  return withFreshCredentials(credentials, async ({ username }) => {
    const login = loginFor(shard, credentials, username);
    const { max: _max, idleTimeoutMillis: _idle, ...clientConfig } = connectionConfig(config, shard, shard.writerHost, "writer", login);
    // DDL may legitimately run longer than request statements.
    const client = new pg.Client({ ...clientConfig, options: shard.schema ? `-c search_path=${shard.schema}` : undefined, query_timeout: undefined });
    await client.connect();
    return client;
  });
}

async function migrateShard(
  config: Config,
  shard: ShardConfig,
  credentials: CredentialsProvider,
  files: Array<{ name: string; sql: string }>,
  log: Logger,
): Promise<MigrationResult> {
  const client = await connect(config, shard, credentials);
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
    try {
      // Under the lock: concurrent CREATE SCHEMA IF NOT EXISTS can still collide.
      if (shard.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${client.escapeIdentifier(shard.schema)}`);
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      const done = new Set((await client.query<{ name: string }>("SELECT name FROM schema_migrations")).rows.map((r) => r.name));
      const applied: string[] = [];
      for (const file of files) {
        if (done.has(file.name)) continue;
        await client.query("BEGIN");
        try {
          await client.query(file.sql);
          await client.query("INSERT INTO schema_migrations (name) VALUES ($1)", [file.name]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK");
          throw new Error(`migration ${file.name} failed on shard ${shard.name}: ${(err as Error).message}`, { cause: err });
        }
        applied.push(file.name);
        log.info({ shard: shard.name, migration: file.name }, "migration applied");
      }
      return { shard: shard.name, applied };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]);
    }
  } finally {
    await client.end();
  }
}

/**
 * Applies every pending migrations/*.sql file, in name order, to every shard. Idempotent.
 * `credentials` are the running service's providers (one per shard, in order); without them the
 * shards' credentials are read here, as the one-off command does.
 */
export async function migrateAll(config: Config, log: Logger, dir = MIGRATIONS_DIR, credentials?: CredentialsProvider[]): Promise<MigrationResult[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  const files = await Promise.all(names.map(async (name) => ({ name, sql: await readFile(`${dir}/${name}`, "utf8") })));
  const owned = credentials ? undefined : credentialsProviders(config, log);
  const providers = credentials ?? owned?.providers ?? [];
  try {
    return await Promise.all(config.shards.map((shard, i) => migrateShard(config, shard, providers[i] as CredentialsProvider, files, log)));
  } finally {
    owned?.close();
  }
}
