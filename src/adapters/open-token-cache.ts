// Chooses the token cache from config: Redis (bounded by the app, behind a breaker, with a small
// in-process tier in front unless ENGRAM_TOKEN_CACHE_LOCAL_MAX_BYTES=0) or in process.
import type { Config } from '../config/schema.js';
import type { Clock } from '../domain/clock.js';
import { AppError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { TokenCache } from '../ports/token-cache.js';
import { parseNamespaceTtls } from '../context/cache-settings.js';
import { createMemoryTokenCache } from './memory/token-cache.js';
import { closeRedis, openRedis } from './redis/connection.js';
import { createRedisTokenCache } from './redis/token-cache.js';
import { createTieredTokenCache } from './tiered-token-cache.js';

/**
 * The token cache: Redis (its own fail-fast connection, so a Redis outage fails cache calls at
 * once and the breaker falls back to local tokenization) when configured, else in process. With
 * Redis, an in-process tier answers warm lookups without a round trip.
 */
export function openTokenCache(
  config: Config,
  deps: { clock: Clock; logger: Logger },
): TokenCache & { close(): Promise<void> } {
  const ttls = {
    defaultTtlSeconds: config.tokenCacheTtlSeconds,
    namespaceTtlSeconds: parseNamespaceTtls(config.tokenCacheNamespaceTtls),
  };
  const useRedis =
    config.tokenCacheBackend === 'redis' ||
    (config.tokenCacheBackend === 'auto' && config.redisUrl !== undefined);
  if (!useRedis) return createMemoryTokenCache({ ...ttls, maxBytes: config.tokenCacheMaxBytes });
  if (config.redisUrl === undefined) {
    throw new AppError(
      'CONFIG_INVALID',
      'ENGRAM_TOKEN_CACHE_BACKEND=redis needs ENGRAM_REDIS_URL.',
    );
  }
  const connection = openRedis({
    url: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    commandTimeoutMs: Math.min(config.redisCommandTimeoutMs, config.tokenCacheTimeoutMs),
    failFast: true,
    onConnectionError: (error) =>
      deps.logger.warn({ err: error }, 'token cache: Redis connection error'),
  });
  const cache = createRedisTokenCache({
    ...ttls,
    redis: connection,
    maxBytes: config.tokenCacheMaxBytes,
    callTimeoutMs: config.tokenCacheTimeoutMs,
    breakerThreshold: config.tokenCacheBreakerThreshold,
    breakerHalfOpenAfterMs: config.tokenCacheBreakerHalfOpenMs,
    clock: deps.clock,
    logger: deps.logger,
  });
  if (config.tokenCacheLocalMaxBytes === 0) {
    return { ...cache, close: () => closeRedis(connection) };
  }
  const tiered = createTieredTokenCache({
    ...ttls,
    shared: cache,
    localMaxBytes: config.tokenCacheLocalMaxBytes,
  });
  return {
    ...tiered,
    close: async () => {
      await tiered.close();
      await closeRedis(connection);
    },
  };
}
