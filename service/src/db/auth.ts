import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Signer, type SignerConfig } from '@aws-sdk/rds-signer';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { Config } from '../config.js';
import { DependencyError } from '../errors.js';

/**
 * How the service logs in to its shards (docs/decisions/0011): queries as a least-privilege role
 * with IAM database authentication, a token per connection signed with the task role; migrations
 * as the cluster's master user, whose secret is read once per run and by the migrating task only.
 */

/** A login. `password` is undefined for a local role without one (trust auth, .pgpass, PGPASSWORD). */
export interface DbCredentials {
  readonly username: string;
  readonly password: string | undefined;
}

/** A secret whose value is not the JSON an RDS secret holds. The message names the secret, never its value. */
export class CredentialsError extends Error {
  override name = 'CredentialsError';
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
  if (!parsed.success)
    throw new CredentialsError(`${secretId}: the SecretString needs non-empty string fields username and password`);
  return parsed.data;
}

/** The task's Secrets Manager client: the region's endpoint (or AWS_ENDPOINT_URL_SECRETS_MANAGER, which the SDK honours). */
export function createSecretsManagerClient(config: Pick<Config, 'AWS_REGION'>): SecretsManagerClient {
  return new SecretsManagerClient({
    region: config.AWS_REGION,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 5000 },
  });
}

/**
 * The current version of an RDS secret (the master secret migrations log in with). Read once per
 * migration run: a run takes seconds, and a rotation that lands in between fails the run with
 * SQLSTATE 28P01, which the next start or one-off run repeats with the new password.
 */
export async function readSecretCredentials(client: SecretsManagerClient, secretId: string): Promise<DbCredentials> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  return parseSecretString(out.SecretString, secretId);
}

/** IAM authentication tokens are valid for 15 minutes; RDS checks them only when a connection logs in. */
export const TOKEN_LIFETIME_MS = 15 * 60_000;

export interface IamTokensOptions {
  /** The region of the cluster (the task's own: every region's cluster has its own endpoints and resource id). */
  readonly region: string;
  /** The database role to log in as (DB_IAM_USER). */
  readonly username: string;
  /**
   * A token is reused for new connections until it is this old, then a new one is signed. Reuse
   * keeps a reconnect storm under IAM authentication's limit on new tokens (about 200
   * connections a second; connections that reuse a token are not throttled), and the margin to
   * the 15-minute lifetime covers a connection that waits for its login.
   * @default 10 minutes
   */
  readonly refreshAfterMs?: number;
  /** Signs with these; the SDK's default chain (the ECS task role) when absent. */
  readonly credentials?: SignerConfig['credentials'];
  /** Milliseconds, monotonic. */
  readonly now?: () => number;
}

/**
 * IAM authentication tokens for one role, one cached per endpoint (a token is signed for a
 * host and port). Concurrent callers share one signing; signing is local (SigV4 with the task's
 * credentials, which the SDK refreshes on its own before they expire), so a token costs no call
 * to AWS beyond the occasional credentials refresh.
 */
export class IamTokens {
  private readonly cache = new Map<string, { token: Promise<string>; signedAt: number }>();
  private readonly refreshAfterMs: number;
  private readonly now: () => number;

  constructor(private readonly options: IamTokensOptions) {
    this.refreshAfterMs = options.refreshAfterMs ?? 10 * 60_000;
    if (this.refreshAfterMs <= 0 || this.refreshAfterMs >= TOKEN_LIFETIME_MS) {
      throw new RangeError(
        `refreshAfterMs = ${this.refreshAfterMs} must be between 0 and ${TOKEN_LIFETIME_MS} (the token lifetime), exclusive`,
      );
    }
    this.now = options.now ?? (() => performance.now());
  }

  /** The token to log in to `host:port` with; a `secrets` DependencyError when no credentials can sign it. */
  token(host: string, port: number): Promise<string> {
    const key = `${host}:${port}`;
    const cached = this.cache.get(key);
    if (cached && this.now() - cached.signedAt < this.refreshAfterMs) return cached.token;
    const signedAt = this.now();
    const signer = new Signer({
      hostname: host,
      port,
      username: this.options.username,
      region: this.options.region,
      credentials: this.options.credentials,
    });
    const token = signer.getAuthToken().catch((err: unknown) => {
      // Not cached: the next connection tries again.
      if (this.cache.get(key)?.token === token) this.cache.delete(key);
      throw new DependencyError('secrets', err);
    });
    this.cache.set(key, { token, signedAt });
    return token;
  }

  /** The database refused a token for `host:port`: the next connection signs a new one. */
  refused(host: string, port: number): void {
    this.cache.delete(`${host}:${port}`);
  }
}
