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
  /**
   * Connection errors (refused, reset) are reported here, at most once per 10 s; commands fail
   * with their own errors meanwhile. Without a listener ioredis would print every retry.
   */
  onConnectionError?: (error: Error) => void;
}

function reportErrors(redis: Redis, onError: ((error: Error) => void) | undefined): Redis {
  let lastReportMs = 0;
  redis.on('error', (error: Error) => {
    const now = Date.now();
    if (onError === undefined || now - lastReportMs < 10_000) return;
    lastReportMs = now;
    onError(error);
  });
  return redis;
}

export function openRedis(options: RedisOptions): Redis {
  const redis = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: Math.max(options.commandTimeoutMs, 1000),
    maxRetriesPerRequest: options.failFast === true ? 0 : 3,
    enableOfflineQueue: options.failFast !== true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    lazyConnect: false,
  });
  return reportErrors(redis, options.onConnectionError);
}

/** A connection for blocking reads (XREADGROUP BLOCK): no command timeout, never shared. */
export function openBlockingRedis(options: RedisOptions): Redis {
  const redis = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  });
  return reportErrors(redis, options.onConnectionError);
}

export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
