import pg from 'pg';

/** What a dependency failure is attributed to: the `Dependency` dimension of `DependencyErrors` and the 503 body. */
export const DEPENDENCIES = ['db', 'cache', 'queue', 'secrets'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/** A dependency is unreachable or overloaded: answered with 503 + Retry-After, never a crash. */
export class DependencyError extends Error {
  override name = 'DependencyError';

  constructor(
    readonly dependency: Dependency,
    cause: unknown,
  ) {
    super(`${dependency} unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

// SQLSTATE classes that mean "try again later" rather than "this request is wrong":
// connection exception, invalid authorization (28000, 28P01: credentials rotated under a new
// connection; the shard has already refreshed them and retried once), transaction rollback,
// insufficient resources, operator intervention (statement timeout, admin shutdown), and 25006
// (the writer became a reader during failover).
const TRANSIENT_SQLSTATE = /^(08|28|40|53|57)|^25006$/;

/** Wraps transient database failures as DependencyError; other errors (bugs, constraint violations) pass through. */
export function classifyDbError(err: unknown): unknown {
  if (err instanceof DependencyError) return err;
  if (err instanceof pg.DatabaseError) {
    return TRANSIENT_SQLSTATE.test(err.code ?? '') ? new DependencyError('db', err) : err;
  }
  // Not a server error: network failure, connect timeout, terminated connection.
  return new DependencyError('db', err);
}

/**
 * A 4xx decided by this service: answered as `{"error": code, "message": message}`, never
 * logged as an error.
 */
export class ClientError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
