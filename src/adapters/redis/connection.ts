// Redis connections. Whoever opens one closes it; a blocking reader gets its own connection
// because a BLOCK holds the connection and every command queued behind it waits.
import { Redis } from 'ioredis';

export interface RedisOptions {
  url: string;
  /** Every key this process writes starts with it, so tenants of one server (and tests) never collide. */
  keyPrefix: string;
  commandTimeoutMs: number;
  /** Fail fast instead of queueing commands while disconnected (cache and health paths). */
  failFast?: boolean;
}

export function openRedis(options: RedisOptions): Redis {
  return new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: Math.max(options.commandTimeoutMs, 1000),
    maxRetriesPerRequest: options.failFast === true ? 0 : 3,
    enableOfflineQueue: options.failFast !== true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    lazyConnect: false,
  });
}

/** A connection for blocking reads (XREADGROUP BLOCK): no command timeout, never shared. */
export function openBlockingRedis(options: RedisOptions): Redis {
  return new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  });
}

export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
