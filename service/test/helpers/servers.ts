import { connect } from 'node:net';
import pg from 'pg';

export const PG_HOST = process.env.TEST_PG_HOST ?? '127.0.0.1';
export const PG_PORT = Number(process.env.TEST_PG_PORT ?? 5432);
export const PG_DATABASE = process.env.TEST_PG_DATABASE ?? 'test';
export const REDIS_HOST = process.env.TEST_REDIS_HOST ?? '127.0.0.1';
export const REDIS_PORT = Number(process.env.TEST_REDIS_PORT ?? 6379);

function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The first of PGUSER, postgres, root that the server accepts (trust auth). */
export async function findPgUser(): Promise<string | undefined> {
  const candidates = [process.env.PGUSER, 'postgres', 'root'].filter((u): u is string => Boolean(u));
  for (const user of candidates) {
    const client = new pg.Client({
      host: PG_HOST,
      port: PG_PORT,
      database: PG_DATABASE,
      user,
      connectionTimeoutMillis: 2000,
    });
    try {
      await client.connect();
      await client.end();
      return user;
    } catch {
      // Rejected: try the next candidate (a failed connect leaves no socket open); the caller
      // reports when none is accepted.
      continue;
    }
  }
  return undefined;
}

/** Why the integration tests cannot run here, or undefined when PostgreSQL and Redis are up. */
export async function missingServers(): Promise<string | undefined> {
  const [pgUp, redisUp] = await Promise.all([reachable(PG_HOST, PG_PORT), reachable(REDIS_HOST, REDIS_PORT)]);
  const missing: string[] = [];
  if (!pgUp) missing.push(`PostgreSQL at ${PG_HOST}:${PG_PORT}`);
  else if (!(await findPgUser()))
    missing.push(`a PostgreSQL user (tried PGUSER, postgres, root) for database ${PG_DATABASE}`);
  if (!redisUp) missing.push(`Redis at ${REDIS_HOST}:${REDIS_PORT}`);
  return missing.length > 0 ? `unreachable: ${missing.join(', ')}` : undefined;
}

/**
 * Skip reason for integration suites. test/run.ts checks once and passes the verdict down in
 * SERVICE_TESTS_SKIP (printing the one loud line); a file run on its own checks by itself.
 */
export async function integrationSkip(): Promise<string | false> {
  const inherited = process.env.SERVICE_TESTS_SKIP;
  if (inherited !== undefined) return inherited === '' ? false : inherited;
  const missing = await missingServers();
  if (!missing) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true and test servers are ${missing}`);
  process.stderr.write(`\n!!! SKIPPING service integration tests: ${missing} !!!\n\n`);
  return missing;
}
