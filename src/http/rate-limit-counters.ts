// The rate limiter's counters (a store for @fastify/rate-limit): fixed windows per key, in Redis
// when set, so every API node counts against one limit, on a fail-fast connection of the
// limiter's own, each call bounded by a short timeout and a circuit breaker (guarded-calls.ts).
// While Redis is slow or gone, each node counts in process: the same limit, per node, so a frozen
// Redis neither holds a request for the shared connection's timeout nor lifts the limit.
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import type { Logger } from '../domain/logger.js';
import { guardRedisCalls } from '../adapters/redis/guarded-calls.js';

/** A key's count in its window and the milliseconds the window has left. */
export interface WindowCount {
  current: number;
  ttl: number;
}

/** Consecutive failed Redis calls that open the breaker; a trial call after this long. */
const BREAKER_THRESHOLD = 3;
const BREAKER_HALF_OPEN_MS = 2_000;

/** Keys counted in process at once (see LocalWindows). */
const LOCAL_MAX_KEYS = 10_000;

const REDIS_PREFIX = 'ratelimit:';
const INCR_COMMAND = 'engramRateLimitIncr';
// A window starts with its first request and lasts timeWindow; the count and what is left of it.
const INCR_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`;

/**
 * Fixed windows counted in this process, at most LOCAL_MAX_KEYS keys. The map is kept in the
 * order the windows started (a window that starts again moves to the end), and every window is as
 * long, so the ended ones are at its front: eviction takes them from there, then the oldest open
 * one, each in constant time.
 */
export class LocalWindows {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  incr(key: string, timeWindow: number): WindowCount {
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      this.windows.delete(key);
      this.evict(now);
      window = { count: 0, endsAt: now + timeWindow };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { current: window.count, ttl: window.endsAt - now };
  }

  get size(): number {
    return this.windows.size;
  }

  /** Makes room for one key: the ended windows go, then the oldest open one if still full. */
  private evict(now: number): void {
    for (const [key, window] of this.windows) {
      if (window.endsAt > now && this.windows.size < LOCAL_MAX_KEYS) return;
      this.windows.delete(key);
    }
  }
}

export interface RateLimitRedis {
  /** A fail-fast connection of the limiter's own (the caller closes it). */
  connection: Redis;
  timeoutMs: number;
}

/** Counts requests per key in fixed windows of `windowMs`: in Redis when set, else in process. */
export class RateLimitCounters {
  private readonly local = new LocalWindows();
  /** The guarded Redis call counting a key there, when Redis is set. */
  private readonly shared: ((key: string) => Promise<[number, number]>) | undefined;

  constructor(
    private readonly windowMs: number,
    redis: RateLimitRedis | undefined,
    logger: Logger,
  ) {
    if (redis === undefined) return;
    const { connection } = redis;
    const guard = guardRedisCalls({
      redis: connection,
      timeoutMs: redis.timeoutMs,
      threshold: BREAKER_THRESHOLD,
      halfOpenAfterMs: BREAKER_HALF_OPEN_MS,
      onStateChange: (breaker) =>
        logger.warn(
          { breaker },
          breaker === 'open'
            ? 'rate limiter: Redis unavailable, counting in process (the limit holds per node)'
            : 'rate limiter: Redis circuit breaker changed state',
        ),
    });
    if (!(INCR_COMMAND in connection)) {
      connection.defineCommand(INCR_COMMAND, { numberOfKeys: 1, lua: INCR_SCRIPT });
    }
    const run = (connection as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[
      INCR_COMMAND
    ]!.bind(connection);
    this.shared = (key) =>
      guard.run(async () => (await run(`${REDIS_PREFIX}${key}`, windowMs)) as [number, number]);
  }

  /** Counts one request of `key`: shared when Redis answers in time, else in this process. */
  async incr(key: string): Promise<WindowCount> {
    if (this.shared === undefined) return this.local.incr(key, this.windowMs);
    try {
      const [current, ttl] = await this.shared(key);
      return { current, ttl };
    } catch {
      return this.local.incr(key, this.windowMs);
    }
  }
}

/** The counters as @fastify/rate-limit's store (every route shares them: the limit is global). */
export function countersStore(counters: RateLimitCounters): FastifyRateLimitStoreCtor {
  return class implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: WindowCount) => void): void {
      counters.incr(key).then(
        (count) => callback(null, count),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    }

    child(): FastifyRateLimitStore {
      return this;
    }
  };
}
