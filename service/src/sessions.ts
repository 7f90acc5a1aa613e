import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DependencyError } from './errors.js';
import { ThrottledLog, type Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { isProbeId } from './probe/keys.js';

export interface Session {
  userId: string;
  createdAt: string;
}

/**
 * Sessions live in Redis only (the cookie carries a signed random id), so any task can
 * serve any request and a task can be replaced without logging anyone out.
 *
 * Each user's sessions are also listed in a sorted set (`<prefix>user-sess:<userId>`, scored by
 * creation time, expiring with the user's last used session) so that a login can end the
 * oldest ones beyond `maxPerUser`.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    private readonly maxPerUser: number,
  ) {}

  private key(sid: string): string {
    return `${this.prefix}sess:${sid}`;
  }

  private userKey(userId: string): string {
    return `${this.prefix}user-sess:${userId}`;
  }

  /** Creates a session; the user's oldest live sessions beyond `maxPerUser` end. */
  async create(userId: string): Promise<string> {
    const sid = randomBytes(32).toString('base64url');
    const session: Session = { userId, createdAt: new Date().toISOString() };
    const index = this.userKey(userId);
    try {
      const results = await this.redis
        .multi()
        .set(this.key(sid), JSON.stringify(session), 'EX', this.ttlSeconds)
        .zadd(index, Date.now(), sid)
        .expire(index, this.ttlSeconds)
        .zcard(index)
        .exec();
      const count = Number(results?.[3]?.[1] ?? 0);
      if (count > this.maxPerUser) await this.enforceCap(index, sid);
    } catch (err) {
      throw new DependencyError('cache', err);
    }
    return sid;
  }

  /**
   * Drops index entries whose session has ended (expired, logged out), then ends the oldest
   * live sessions until `maxPerUser` remain, `keep` among them. Two logins of one user at the
   * same instant may both keep theirs: the next login trims again.
   */
  private async enforceCap(index: string, keep: string): Promise<void> {
    const members = await this.redis.zrange(index, 0, -1);
    const alive = await Promise.all(members.map((sid) => this.redis.exists(this.key(sid))));
    const ended = members.filter((_sid, i) => alive[i] === 0);
    const live = members.filter((sid, i) => alive[i] !== 0 && sid !== keep);
    const revoked = live.slice(0, Math.max(0, live.length + 1 - this.maxPerUser));
    const gone = [...ended, ...revoked];
    if (gone.length === 0) return;
    const multi = this.redis.multi().zrem(index, ...gone);
    if (revoked.length > 0) multi.del(...revoked.map((sid) => this.key(sid)));
    await multi.exec();
  }

  /** Returns the session and slides its expiry (GETEX) and its user's index's, or null when unknown or expired. */
  async get(sid: string): Promise<Session | null> {
    let session: Session;
    try {
      const raw = await this.redis.getex(this.key(sid), 'EX', this.ttlSeconds);
      if (raw === null) return null;
      session = JSON.parse(raw) as Session;
      await this.redis.expire(this.userKey(session.userId), this.ttlSeconds);
    } catch (err) {
      throw new DependencyError('cache', err);
    }
    return session;
  }

  /** Ends a session (a no-op for an unknown one). */
  async destroy(sid: string): Promise<void> {
    try {
      const raw = await this.redis.getdel(this.key(sid));
      if (raw !== null) await this.redis.zrem(this.userKey((JSON.parse(raw) as Session).userId), sid);
    } catch (err) {
      throw new DependencyError('cache', err);
    }
  }
}

/** Days before today a returning user was last seen in (ReturningUsers7d). */
export const RETURNING_WINDOW_DAYS = 7;
/** Each day's key outlives the window, so the returning count can read the 7 days before today. */
const DAY_KEY_TTL_SECONDS = (RETURNING_WINDOW_DAYS + 2) * 86400;

/** Bound on the per-process "already counted today" set. */
const SEEN_MAX = 50_000;

/** Daily active users as a Redis HyperLogLog per UTC day: ~0.8% error, 12 KB per day, shared by all tasks. */
export class ActiveUsers {
  private throttled: ThrottledLog;
  // Only saves Redis round trips (a user is added once per day per task); losing it loses nothing.
  private seenDay = '';
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
    // The consistency probe is not a user.
    if (isProbeId(userId)) return;
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
      this.metrics.count('DependencyErrors', 1, { Dependency: 'cache' });
      this.throttled.warn('dau', err, 'recording daily active user failed');
    }
  }

  async count(): Promise<number> {
    return this.redis.pfcount(this.key());
  }

  /**
   * Users active today who were also active on one of the 7 days before: |today ∩ week| from
   * HyperLogLog counts as |today| + |week| − |today ∪ week| (PFCOUNT of several keys counts their
   * union). Estimation error can make it slightly negative on tiny sets: clamped to 0.
   */
  async returning(now = new Date()): Promise<number> {
    const today = this.key(now);
    const week = Array.from({ length: RETURNING_WINDOW_DAYS }, (_, i) =>
      this.key(new Date(now.getTime() - (i + 1) * 86400_000)),
    );
    const [todayCount, weekCount, union] = await Promise.all([
      this.redis.pfcount(today),
      this.redis.pfcount(...week),
      this.redis.pfcount(today, ...week),
    ]);
    return Math.max(0, todayCount + weekCount - union);
  }
}
