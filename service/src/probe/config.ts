import { z } from 'zod';
import { ConfigError } from '../config.js';

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const target = z.strictObject({
  /** Region name, as the services stamp it on their invalidation events (REGION). */
  region: z.string().regex(/^[a-z0-9-]{1,40}$/, 'lower-case letters, digits, -'),
  /** The name users reach the origin by: Host header, TLS server name and certificate check. */
  url: z.url({ protocol: /^https?$/ }),
  /**
   * Host to connect to instead of the url's: the region's own record, so a latency-routed name
   * is pinned to one region while TLS still verifies the origin's certificate.
   */
  connectHost: z.string().min(1).optional(),
});

const probeEnvSchema = z.object({
  AWS_REGION: z.string().min(1).optional(),
  REGION: z.string().min(1).optional(),
  PROBE_TARGETS: z
    .string()
    .transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(z.array(target).min(1)),
  PROBE_ORIGIN_VERIFY_HEADER: z.string().min(1).default('x-origin-verify'),
  /** The value itself (local runs, tests); in AWS the probe reads PROBE_ORIGIN_VERIFY_SECRET_ID. */
  PROBE_ORIGIN_VERIFY_VALUE: z.string().min(1).optional(),
  PROBE_ORIGIN_VERIFY_SECRET_ID: z.string().min(1).optional(),
  PROBE_STALE_AFTER_MS: int(5000, 1, 600_000),
  PROBE_MAX_WAIT_MS: int(30_000, 1, 600_000),
  PROBE_POLL_INTERVAL_MS: int(250, 10, 60_000),
  PROBE_REQUEST_TIMEOUT_MS: int(3000, 100, 60_000),
  PROBE_METRICS_NAMESPACE: z.string().min(1).default('Blueprint/ConsistencyProbe'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface ProbeTarget {
  readonly region: string;
  readonly url: string;
  readonly connectHost?: string;
}

export interface ProbeConfig {
  /** The writer: this probe's region, one of `targets`. */
  readonly region: string;
  readonly targets: readonly ProbeTarget[];
  readonly originVerify: { readonly header: string; readonly value?: string; readonly secretId?: string };
  /** The staleness bound: a read sent this long after the write that still answers the old version is stale. */
  readonly staleAfterMs: number;
  /** How long to keep polling a reader after the bound, to measure how late it became fresh. */
  readonly maxWaitMs: number;
  readonly pollIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly namespace: string;
  readonly logLevel: string;
}

export function loadProbeConfig(raw: Record<string, string | undefined>): ProbeConfig {
  const parsed = probeEnvSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
  const env = parsed.data;
  const region = env.REGION ?? env.AWS_REGION;
  if (!region) throw new ConfigError('REGION: required (or AWS_REGION)');
  const regions = env.PROBE_TARGETS.map((t) => t.region);
  if (!regions.includes(region)) throw new ConfigError(`PROBE_TARGETS: no entry for this region ${region}`);
  if (new Set(regions).size !== regions.length) throw new ConfigError('PROBE_TARGETS: a region is listed twice');
  if (env.PROBE_MAX_WAIT_MS < env.PROBE_STALE_AFTER_MS) {
    throw new ConfigError(
      `PROBE_MAX_WAIT_MS: ${env.PROBE_MAX_WAIT_MS} must be at least PROBE_STALE_AFTER_MS (${env.PROBE_STALE_AFTER_MS})`,
    );
  }
  return {
    region,
    targets: env.PROBE_TARGETS,
    originVerify: {
      header: env.PROBE_ORIGIN_VERIFY_HEADER,
      value: env.PROBE_ORIGIN_VERIFY_VALUE,
      secretId: env.PROBE_ORIGIN_VERIFY_SECRET_ID,
    },
    staleAfterMs: env.PROBE_STALE_AFTER_MS,
    maxWaitMs: env.PROBE_MAX_WAIT_MS,
    pollIntervalMs: env.PROBE_POLL_INTERVAL_MS,
    requestTimeoutMs: env.PROBE_REQUEST_TIMEOUT_MS,
    namespace: env.PROBE_METRICS_NAMESPACE,
    logLevel: env.LOG_LEVEL,
  };
}
