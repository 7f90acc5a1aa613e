import type { Redis } from "ioredis";
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

/**
 * Readiness: the database is required (503 when a shard's reader or writer is unreachable,
 * which also lets a Route 53 health check fail the region over); the cache is not (200
 * "degraded": reads fall back to the database). 503 as soon as shutdown starts.
 */
export class Readiness {
  draining = false;

  constructor(
    private readonly router: ShardRouter,
    private readonly redis: Redis,
    private readonly timeoutMs: number,
  ) {}

  async check(): Promise<ReadinessReport> {
    const errors: Record<string, string> = {};
    const probe = async (name: string, run: () => Promise<unknown>): Promise<boolean> => {
      try {
        await withTimeout(run(), this.timeoutMs, name);
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
          probe(`${s.name}.writer`, () => s.writer.query("SELECT 1")),
          probe(`${s.name}.reader`, () => s.reader.query("SELECT 1")),
        ]);
        return w && r;
      }),
    ]);
    const db: Record<string, "up" | "down"> = {};
    this.router.shards.forEach((s, i) => (db[s.name] = shardsUp[i] ? "up" : "down"));
    const status: ReadinessStatus = this.draining
      ? "draining"
      : !shardsUp.every(Boolean)
        ? "unavailable"
        : cacheUp
          ? "ok"
          : "degraded";
    return { status, db, cache: cacheUp ? "up" : "down", errors };
  }
}
