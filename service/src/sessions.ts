import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { DependencyError } from "./errors.js";
import { ThrottledLog, type Logger } from "./log.js";
import type { Metrics } from "./metrics.js";

export interface Session {
  userId: string;
  createdAt: string;
}

/**
 * Sessions live in Redis only (the cookie carries a signed random id), so any task can
 * serve any request and a task can be replaced without logging anyone out.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  private key(sid: string): string {
    return `${this.prefix}sess:${sid}`;
  }

  async create(userId: string): Promise<string> {
    const sid = randomBytes(32).toString("base64url");
    const session: Session = { userId, createdAt: new Date().toISOString() };
    try {
      await this.redis.set(this.key(sid), JSON.stringify(session), "EX", this.ttlSeconds);
    } catch (err) {
      throw new DependencyError("cache", err);
    }
    return sid;
  }

  /** Returns the session and slides its expiry (GETEX), or null when unknown or expired. */
  async get(sid: string): Promise<Session | null> {
    let raw: string | null;
    try {
      raw = await this.redis.getex(this.key(sid), "EX", this.ttlSeconds);
    } catch (err) {
      throw new DependencyError("cache", err);
    }
    return raw === null ? null : (JSON.parse(raw) as Session);
  }

  async destroy(sid: string): Promise<void> {
    try {
      await this.redis.del(this.key(sid));
    } catch (err) {
      throw new DependencyError("cache", err);
    }
  }
}

const DAY_KEY_TTL_SECONDS = 2 * 86400;

/** Bound on the per-process "already counted today" set. */
const SEEN_MAX = 50_000;

/** Daily active users as a Redis HyperLogLog per UTC day: ~0.8% error, 12 KB per day, shared by all tasks. */
export class ActiveUsers {
  private throttled: ThrottledLog;
  // Only saves Redis round trips (a user is added once per day per task); losing it loses nothing.
  private seenDay = "";
  private seen = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly metrics: Metrics,
    log: Logger,
  ) {
    this.throttled = new ThrottledLog(log);
  }

  key(day = new Date()): string {
    return `${this.prefix}dau:${day.toISOString().slice(0, 10)}`;
  }

  /** Best effort: a cache outage must not fail the request that merely reports activity. */
  async record(userId: string): Promise<void> {
    const key = this.key();
    if (key !== this.seenDay || this.seen.size >= SEEN_MAX) {
      this.seenDay = key;
      this.seen.clear();
    }
    if (this.seen.has(userId)) return;
    try {
      // PFADD answers 1 only when the estimate changed: the expiry needs setting only then.
      if ((await this.redis.pfadd(key, userId)) === 1) await this.redis.expire(key, DAY_KEY_TTL_SECONDS);
      this.seen.add(userId);
    } catch (err) {
      this.metrics.count("DependencyErrors", 1, { Dependency: "cache" });
      this.throttled.warn("dau", err, "recording daily active user failed");
    }
  }

  async count(): Promise<number> {
    return this.redis.pfcount(this.key());
  }
}
