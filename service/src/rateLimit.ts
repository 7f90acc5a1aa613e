import type { FastifyRateLimitOptions, RateLimitOptions as RouteRateLimit } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { ClientError } from './errors.js';

export interface RateLimitOptions {
  /** Redis key prefix (REDIS_KEY_PREFIX); the counters live under `<prefix>rl:`. */
  prefix: string;
  /** Logins per client address and minute (LOGIN_RATE_LIMIT_PER_MINUTE); 0: unlimited. */
  loginPerMinute: number;
  /** Jobs per user and minute (JOBS_RATE_LIMIT_PER_MINUTE); 0: unlimited. */
  jobsPerMinute: number;
}

/** Answered as 429 `{"error":"rate_limited"}` by the error handler; the plugin has set `Retry-After`. */
export class RateLimitedError extends ClientError {
  override name = 'RateLimitedError';
  constructor(message: string) {
    super(429, 'rate_limited', message);
  }
}

const WINDOW_MS = 60_000;

const errorResponseBuilder: RouteRateLimit['errorResponseBuilder'] = (_request, context) =>
  new RateLimitedError(`too many requests from this client; retry in ${context.after}`);

/**
 * Per-client limits on the routes that create state (a session, a job), counted by
 * @fastify/rate-limit in Redis so that they hold across every task of the region: fixed
 * one-minute windows (INCR + PEXPIRE in one script), `Retry-After` and `x-ratelimit-*` headers.
 * Logins are counted per client address (`request.ip`, which follows TRUST_PROXY_HOPS; IPv6 per
 * /64), jobs per session user.
 *
 * When Redis fails the limits fail open (`skipOnError`): every limited route needs Redis for its
 * session anyway and answers 503 without it, so failing closed would only relabel those 503s,
 * and a limiter error must never refuse a request that could otherwise succeed. The edge's WAF
 * rate rule (per address, 5 minutes) still bounds a flood meanwhile.
 */
export function rateLimits(redis: Redis, options: RateLimitOptions) {
  return {
    /** Options to register @fastify/rate-limit with: no global limit, only the routes below. */
    plugin: {
      global: false,
      redis,
      nameSpace: `${options.prefix}rl:`,
      skipOnError: true,
    } satisfies FastifyRateLimitOptions,
    /** Route config of POST /api/login: counted before the body is read. */
    login:
      options.loginPerMinute > 0
        ? { max: options.loginPerMinute, timeWindow: WINDOW_MS, errorResponseBuilder }
        : (false as const),
    /** Route config of POST /api/jobs, whose preHandler authenticates: counted per `userOf(request)`, after that hook. */
    jobs: (userOf: (request: FastifyRequest) => string | undefined) =>
      options.jobsPerMinute > 0
        ? {
            max: options.jobsPerMinute,
            timeWindow: WINDOW_MS,
            hook: 'preHandler' as const,
            keyGenerator: (request: FastifyRequest) => `user:${userOf(request) ?? ''}`,
            errorResponseBuilder,
          }
        : (false as const),
  };
}
