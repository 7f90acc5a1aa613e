import type { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import type { ShardRouter } from './db/shards.js';
import { ThrottledLog, type Logger } from './log.js';
import { withTimeout } from './util.js';

export type ReadinessStatus = 'ok' | 'unavailable' | 'draining';

export interface ReadinessReport {
  status: ReadinessStatus;
  db: Record<string, 'up' | 'down'>;
  cache: 'up' | 'down';
  /**
   * Why a dependency is reported down, keyed like "shard-0.reader" or "cache". For the logs
   * only: raw errors name hosts and ports, and /readyz is public.
   */
  errors: Record<string, string>;
}

export interface ReadinessOptions {
  /** Per-probe timeout (READY_TIMEOUT_MS). */
  timeoutMs: number;
  /** How long a round of probes answers later checks (READINESS_CACHE_MS); 0: every check probes. */
  cacheMs: number;
  /** Where a failed probe's error goes (throttled): the public answer does not carry it. */
  log?: Logger;
}

type DependencyReport = Omit<ReadinessReport, 'status'> & { status: Exclude<ReadinessStatus, 'draining'> };

/**
 * Readiness: the task can serve its whole API. That needs every shard's writer and reader, and
 * Redis: reads fall back to the database without it, but sessions live there, so every login,
 * write and job would answer 503. So either one unreachable is 503 "unavailable", which the
 * Route 53 health check of the region follows (DNS sends users to a region that can serve
 * them; if every region fails, Route 53 answers with all of them). 503 as soon as shutdown starts.
 *
 * /readyz is reachable without the origin header (health checkers cannot send one), so a
 * round of probes (SELECT 1 on every pool, PING) answers every check for `cacheMs` after it
 * completes, and concurrent checks share the round in flight: a flood costs at most one round
 * per window. Draining is not cached: it shows at once.
 */
export class Readiness {
  draining = false;
  private last: { report: DependencyReport; at: number } | undefined;
  private inflight: Promise<DependencyReport> | undefined;
  private readonly throttled: ThrottledLog | undefined;

  constructor(
    private readonly router: ShardRouter,
    private readonly redis: Redis,
    private readonly options: ReadinessOptions,
  ) {
    this.throttled = options.log ? new ThrottledLog(options.log) : undefined;
  }

  async check(): Promise<ReadinessReport> {
    const report = await this.dependencies();
    return { ...report, status: this.draining ? 'draining' : report.status };
  }

  private dependencies(): Promise<DependencyReport> {
    const last = this.last;
    if (last && performance.now() - last.at < this.options.cacheMs) return Promise.resolve(last.report);
    this.inflight ??= this.probe()
      .then((report) => {
        this.last = { report, at: performance.now() };
        return report;
      })
      .finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** One round: PING and SELECT 1 on each shard's writer and reader, each bounded by timeoutMs. Never rejects. */
  private async probe(): Promise<DependencyReport> {
    const errors: Record<string, string> = {};
    const probe = async (name: string, run: () => Promise<unknown>): Promise<boolean> => {
      try {
        await withTimeout(run(), this.options.timeoutMs, name);
        return true;
      } catch (err) {
        errors[name] = (err as Error).message;
        return false;
      }
    };
    const [cacheUp, ...shardsUp] = await Promise.all([
      probe('cache', () => this.redis.ping()),
      ...this.router.shards.map(async (s) => {
        const [w, r] = await Promise.all([
          probe(`${s.name}.writer`, () => s.ping('writer')),
          probe(`${s.name}.reader`, () => s.ping('reader')),
        ]);
        return w && r;
      }),
    ]);
    const db: Record<string, 'up' | 'down'> = {};
    this.router.shards.forEach((s, i) => (db[s.name] = shardsUp[i] ? 'up' : 'down'));
    const status = shardsUp.every(Boolean) && cacheUp ? 'ok' : 'unavailable';
    if (status !== 'ok')
      this.throttled?.warn('not-ready', undefined, 'not ready: a dependency does not answer', { errors });
    return { status, db, cache: cacheUp ? 'up' : 'down', errors };
  }
}
