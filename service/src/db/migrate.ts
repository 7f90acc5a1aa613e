import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import type { Config, ShardConfig } from '../config.js';
import type { Logger } from '../log.js';
import { createSecretsManagerClient, readSecretCredentials } from './auth.js';
import { connectionConfig, type Login } from './shards.js';
import { writerHostFor } from './writer-route.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

// Arbitrary constant shared by every task: concurrent start-ups apply migrations one at a time.
const MIGRATION_LOCK_ID = 727_001;

export interface MigrationResult {
  shard: string;
  applied: string[];
}

/**
 * Migrations log in as the owner of the schema: with the shard's migration secret (the master
 * user's, in AWS), else with the fixed login of a local run. An IAM login cannot migrate: its
 * role may not change the schema.
 */
async function migrationLogin(shard: ShardConfig, secrets: () => SecretsManagerClient): Promise<Login> {
  if (shard.migrationSecretArn) {
    const { username, password } = await readSecretCredentials(secrets(), shard.migrationSecretArn);
    return { user: username, password };
  }
  if (shard.login.method === 'iam') {
    throw new Error(
      `SHARD_${shard.index}_MIGRATION_SECRET_ARN: required to migrate shard ${shard.name}: the IAM role (DB_IAM_USER) cannot change the schema`,
    );
  }
  return { user: shard.login.username, password: shard.login.password };
}

async function connect(config: Config, shard: ShardConfig, login: Login): Promise<pg.Client> {
  const {
    max: _max,
    idleTimeoutMillis: _idle,
    ...clientConfig
  } = connectionConfig(config, shard, await writerHostFor(shard), 'writer', login);
  // DDL may legitimately run longer than request statements.
  const client = new pg.Client({
    ...clientConfig,
    options: shard.schema ? `-c search_path=${shard.schema}` : undefined,
    query_timeout: undefined,
  });
  await client.connect();
  return client;
}

/**
 * The role the service logs in as with IAM authentication: created if missing, allowed to log in
 * through IAM (`rds_iam`, a role only RDS has), and to read and write the rows of the schema's
 * tables (but schema_migrations) and use its sequences, nothing else: no DDL, no TRUNCATE, no
 * other schema. Run after
 * every migration run, so tables a migration added are covered. Roles are per cluster and
 * replicate to the secondary regions with the rest of the global database.
 */
export async function grantServiceRole(client: pg.Client, role: string): Promise<void> {
  const ident = client.escapeIdentifier(role);
  const literal = client.escapeLiteral(role);
  const schema = client.escapeIdentifier(
    (await client.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s,
  );
  await client.query(`DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal}) THEN CREATE ROLE ${ident} LOGIN; END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN GRANT rds_iam TO ${ident}; END IF;
  END $$`);
  await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${ident}`);
  await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${ident}`);
  await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${ident}`);
  // Which migrations ran is the migrating user's business alone.
  await client.query(`REVOKE ALL ON schema_migrations FROM ${ident}`);
}

async function migrateShard(
  config: Config,
  shard: ShardConfig,
  login: Login,
  files: Array<{ name: string; sql: string }>,
  log: Logger,
): Promise<MigrationResult> {
  const client = await connect(config, shard, login);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      // Under the lock: concurrent CREATE SCHEMA IF NOT EXISTS can still collide.
      if (shard.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${client.escapeIdentifier(shard.schema)}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = new Set(
        (await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name),
      );
      const applied: string[] = [];
      for (const file of files) {
        if (done.has(file.name)) continue;
        await client.query('BEGIN');
        try {
          await client.query(file.sql);
          await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${file.name} failed on shard ${shard.name}: ${(err as Error).message}`, {
            cause: err,
          });
        }
        applied.push(file.name);
        log.info({ shard: shard.name, migration: file.name }, 'migration applied');
      }
      if (config.DB_IAM_USER) await grantServiceRole(client, config.DB_IAM_USER);
      return { shard: shard.name, applied };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await client.end();
  }
}

/**
 * Applies every pending migrations/*.sql file, in name order, to every shard, then grants the
 * service's IAM role (DB_IAM_USER) its rights. Idempotent.
 */
export async function migrateAll(config: Config, log: Logger, dir = MIGRATIONS_DIR): Promise<MigrationResult[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const files = await Promise.all(names.map(async (name) => ({ name, sql: await readFile(`${dir}/${name}`, 'utf8') })));
  let client: SecretsManagerClient | undefined;
  const secrets = () => (client ??= createSecretsManagerClient(config));
  try {
    return await Promise.all(
      config.shards.map(async (shard) => {
        // DDL is not forwarded: while another region holds the writer (after a global switchover
        // or failover, decision 14), migrations wait for it to come back rather than fail the start.
        if (shard.clusterHost && (await writerHostFor(shard)) !== shard.clusterHost) {
          log.warn({ shard: shard.name }, 'the writer is in another region: migrations skipped');
          return { shard: shard.name, applied: [] };
        }
        return migrateShard(config, shard, await migrationLogin(shard, secrets), files, log);
      }),
    );
  } finally {
    client?.destroy();
  }
}
