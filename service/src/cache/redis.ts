import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';
import { ThrottledLog, type Logger } from '../log.js';

/**
 * Commands fail fast while disconnected (no offline queue): callers fall back to the database
 * instead of piling requests up behind a dead connection. Auto-pipelining batches the
 * commands issued in one event-loop tick into one round trip.
 */
export function createRedis(config: Config, log: Logger, role: 'commands' | 'subscriber'): Redis {
  const options: RedisOptions = {
    password: config.REDIS_AUTH_TOKEN,
    connectionName: `${config.SERVICE_NAME}-${role}`,
    connectTimeout: config.REDIS_CONNECT_TIMEOUT_MS,
    // Subscriber commands must survive reconnects; ioredis re-subscribes on its own.
    enableOfflineQueue: role === 'subscriber',
    commandTimeout: role === 'commands' ? config.REDIS_COMMAND_TIMEOUT_MS : undefined,
    enableAutoPipelining: role === 'commands',
    maxRetriesPerRequest: role === 'commands' ? 1 : null,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  };
  // rediss:// turns TLS on (ElastiCache in-transit encryption); redis:// is for local servers.
  const redis = new Redis(config.REDIS_URL, options);
  const throttled = new ThrottledLog(log);
  redis.on('error', (err: Error) => throttled.warn('redis', err, `redis ${role} connection error`));
  return redis;
}

export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    await redis.quit();
  } else {
    redis.disconnect();
  }
}

/** Resolves when the client is ready, or after `timeoutMs`; the service starts degraded without Redis. */
export function waitReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.on('ready', onReady);
  });
}
