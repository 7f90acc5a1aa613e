import type { Redis } from "ioredis";
import { performance } from "node:perf_hooks";
import type { ShardRouter } from "./db/shards.js";
import { withTimeout } from "./util.js";

export type ReadinessStatus = "ok" | "degraded" | "unavailable" | "draining";

export interface ReadinessReport {
  status: ReadinessStatus;
  db: Record<string, "up" | "down">;
  cache: "up" | "down";
  /** Why a dependency is reported down, keyed like "shard-0.reader" or "cache". */
  errors: Record<string, string>;
}

export interface ReadinessOptions {
  /** Per-probe timeout (READY_TIMEOUT_MS). */
  timeoutMs: number;
  /** How long a round of probes answers later checks (READINESS_CACHE_MS); 0: every check probes. */
  cacheMs: number;
}

type DependencyReport = Omit<ReadinessReport, "status"> & { status: Exclude<ReadinessStatus, "draining"> };

/**
 * Readiness: the database is required (503 when a shard's reader or writer is unreachable,
 * which also lets a Route 53 health check fail the region over); the cache is not (200
 * "degraded": reads fall back to the database). 503 as soon as shutdown starts.
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

  constructor(
    private readonly router: ShardRouter,
    private readonly redis: Redis,
    private readonly options: ReadinessOptions,
  ) {}

  async check(): Promise<ReadinessReport> {
    const report = await this.dependencies();
    return { ...report, status: this.draining ? "draining" : report.status };
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
      probe("cache", () => this.redis.ping()),
      ...this.router.shards.map(async (s) => {
        const [w, r] = await Promise.all([
          probe(`${s.name}.writer`, () => s.ping("writer")),
          probe(`${s.name}.reader`, () => s.ping("reader")),
        ]);
        return w && r;
      }),
    ]);
    const db: Record<string, "up" | "down"> = {};
    this.router.shards.forEach((s, i) => (db[s.name] = shardsUp[i] ? "up" : "down"));
    const status = !shardsUp.every(Boolean) ? "unavailable" : cacheUp ? "ok" : "degraded";
    return { status, db, cache: cacheUp ? "up" : "down", errors };
  }
}
