// Requests per minute: per tenant once a key (or the keyless default) established one, per
// client address otherwise — so refused keys, unmatched routes, /docs and /metrics are counted
// too. Probes (/health, /ready) are never limited. Shared across API nodes when Redis is set,
// per node while Redis is slow or gone (rate-limit-counters.ts).
import rateLimit from '@fastify/rate-limit';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { closeRedis, openRedis } from '../adapters/redis/connection.js';
import { AppError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { EngramApp } from './engram-app.js';
import { countersStore, RateLimitCounters, type RateLimitRedis } from './rate-limit-counters.js';
import { accessOfRequest } from './route-access.js';

const WINDOW_MS = 60_000;

export interface RateLimitOptions {
  perMinute: number;
  /** Redis to share the counters in: its URL, key prefix, and how long a call may take. */
  redis: { url: string; keyPrefix: string; timeoutMs: number } | undefined;
  logger: Logger;
}

/** The limiter's own fail-fast connection, closed with the app. */
function openCountersRedis(
  app: EngramApp,
  options: NonNullable<RateLimitOptions['redis']>,
  logger: Logger,
): RateLimitRedis {
  const connection = openRedis({
    url: options.url,
    keyPrefix: options.keyPrefix,
    commandTimeoutMs: options.timeoutMs,
    failFast: true,
    onConnectionError: (error) =>
      logger.warn({ err: error }, 'rate limiter: Redis connection error'),
  });
  app.addHook('onClose', async () => closeRedis(connection));
  return { connection, timeoutMs: options.timeoutMs };
}

/**
 * Registers the limiter on every route registered from now on. Returns the same limiter as a
 * hook for the not-found handler (unmatched routes count like any request), or undefined when
 * rate limiting is off.
 */
export async function installRateLimit(
  app: EngramApp,
  options: RateLimitOptions,
): Promise<preHandlerAsyncHookHandler | undefined> {
  if (options.perMinute <= 0) return undefined;
  const redis =
    options.redis === undefined ? undefined : openCountersRedis(app, options.redis, options.logger);
  const counters = new RateLimitCounters(WINDOW_MS, redis, options.logger);
  await app.register(rateLimit, {
    global: true,
    max: options.perMinute,
    timeWindow: WINDOW_MS,
    store: countersStore(counters),
    keyGenerator: (request) =>
      request.authenticated ? `tenant:${request.tenantId}` : `ip:${request.ip}`,
    allowList: (request) => accessOfRequest(request) === 'probe',
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'RATE_LIMITED',
        `Rate limit of ${context.max} requests per minute reached; retry in ${Math.ceil(context.ttl / 1000)} s.`,
        { details: { retryAfterSeconds: Math.ceil(context.ttl / 1000) } },
      ),
  });
  // Without options: the global limiter, sharing its counters.
  return app.rateLimit();
}
