// Requests per minute: per tenant once a key (or the keyless default) established one, per
// client address otherwise — so refused keys, unmatched routes, /docs and /metrics are counted
// too. Probes (/health, /ready) are never limited. Shared across API nodes when Redis is set.
import rateLimit from '@fastify/rate-limit';
import type { preHandlerAsyncHookHandler } from 'fastify';
import type { Redis } from 'ioredis';
import { AppError } from '../domain/errors.js';
import type { EngramApp } from './engram-app.js';
import { accessOfRequest } from './route-access.js';

export interface RateLimitOptions {
  perMinute: number;
  redis: Redis | undefined;
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
  await app.register(rateLimit, {
    global: true,
    max: options.perMinute,
    timeWindow: 60_000,
    ...(options.redis === undefined ? {} : { redis: options.redis, nameSpace: 'ratelimit:' }),
    keyGenerator: (request) =>
      request.authenticated ? `tenant:${request.tenantId}` : `ip:${request.ip}`,
    allowList: (request) => accessOfRequest(request) === 'probe',
    skipOnError: true,
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
