// Redis token cache: values are packed uint32 token IDs with the namespace's TTL (refreshed on
// read), and the app — not Redis's maxmemory — bounds the bytes: every entry's size is accounted
// in a counter, an LRU sorted set orders entries by last use, and a write that takes the total
// over the budget evicts the least recently used entries in the same Lua script.
//
// Every call runs under a timeout and a circuit breaker. A failing call answers "miss" (reads) or
// is dropped (writes); after `breakerThreshold` consecutive failures the breaker opens and calls
// skip Redis entirely until a trial call after `breakerHalfOpenAfterMs` succeeds. A Redis outage
// makes Engram tokenize locally — slower, never broken.
//
// Layout under the connection's key prefix (a standalone server: the script touches value keys it
// derives from LRU members, which Redis Cluster would not allow):
//   tc:v:<key>      packed token IDs (string, PX = namespace TTL)
//   tc:lru          sorted set  <key> → last use (ms)
//   tc:size         hash        <key> → accounted bytes
//   tc:bytes        accounted bytes of all entries in tc:lru
//   tc:evictions    entries evicted for the budget
// An entry that expired by TTL stays accounted until the LRU pops it, so the accounted total is
// never below what is really stored.
import type { Redis } from 'ioredis';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../domain/logger.js';
import {
  packTokenIds,
  ttlSecondsFor,
  unpackTokenIds,
  type BreakerState,
  type TokenCache,
  type TokenCacheStats,
  type TokenCacheTtls,
} from '../../ports/token-cache.js';
import { guardRedisCalls } from './guarded-calls.js';

/** Per-entry bookkeeping charged on top of the value: LRU member, size field, key overhead. */
const ENTRY_OVERHEAD_BYTES = 160;

/**
 * LRU positions are a logical clock: never below the caller's time, always above every other
 * position, so entries touched within one millisecond still keep their order.
 */
const NEXT_POSITION_LUA = `
local function nextPosition(now)
  local top = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local last = top[2] and tonumber(top[2]) or 0
  local wanted = tonumber(now)
  if wanted > last then return wanted end
  return last + 1
end
`;

const SET_SCRIPT = `
${NEXT_POSITION_LUA}local now = ARGV[1]
local maxBytes = tonumber(ARGV[2])
local ttl = ARGV[3]
local overhead = tonumber(ARGV[4])
local valuePrefix = ARGV[5]
for i = 6, #ARGV, 2 do
  local member = ARGV[i]
  local value = ARGV[i + 1]
  local size = string.len(value) + overhead + 3 * string.len(member)
  local old = redis.call('HGET', KEYS[2], member)
  if old then redis.call('DECRBY', KEYS[3], old) end
  redis.call('SET', valuePrefix .. member, value, 'PX', ttl)
  redis.call('HSET', KEYS[2], member, size)
  redis.call('ZADD', KEYS[1], nextPosition(now), member)
  redis.call('INCRBY', KEYS[3], size)
end
local total = tonumber(redis.call('GET', KEYS[3]) or '0')
local evicted = 0
while total > maxBytes do
  local popped = redis.call('ZPOPMIN', KEYS[1], 1)
  if #popped == 0 then
    redis.call('SET', KEYS[3], 0)
    break
  end
  local member = popped[1]
  local size = tonumber(redis.call('HGET', KEYS[2], member) or '0')
  redis.call('HDEL', KEYS[2], member)
  evicted = evicted + redis.call('DEL', valuePrefix .. member)
  total = redis.call('DECRBY', KEYS[3], size)
end
if evicted > 0 then redis.call('INCRBY', KEYS[4], evicted) end
return evicted
`;

const GET_SCRIPT = `
${NEXT_POSITION_LUA}local out = {}
for i = 2, #KEYS do
  local value = redis.call('GET', KEYS[i])
  if value then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
    redis.call('ZADD', KEYS[1], 'XX', nextPosition(ARGV[2]), ARGV[i + 1])
    out[i - 1] = value
  else
    out[i - 1] = false
  end
end
return out
`;

const GET_COMMAND = 'engramTokenCacheGet';
const SET_COMMAND = 'engramTokenCacheSet';

export interface RedisTokenCacheOptions extends TokenCacheTtls {
  /** A connection of its own, opened fail-fast (no offline queue); the caller closes it. */
  redis: Redis;
  maxBytes: number;
  /** Upper bound of one cache call, on top of the connection's command timeout. */
  callTimeoutMs: number;
  breakerThreshold?: number;
  breakerHalfOpenAfterMs?: number;
  clock: Clock;
  logger: Logger;
}

const LRU_KEY = 'tc:lru';
const SIZE_KEY = 'tc:size';
const BYTES_KEY = 'tc:bytes';
const EVICTIONS_KEY = 'tc:evictions';
const VALUE_PREFIX = 'tc:v:';

export interface RedisTokenCache extends TokenCache {
  /** Current breaker state, without touching Redis. */
  breakerState(): BreakerState;
}

export function createRedisTokenCache(options: RedisTokenCacheOptions): RedisTokenCache {
  const { redis, clock, logger } = options;
  const valuePrefix = `${redis.options.keyPrefix ?? ''}${VALUE_PREFIX}`;
  // EVALSHA with a fall-back to EVAL, by ioredis; the Buffer variant keeps values binary.
  if (!(GET_COMMAND in redis)) redis.defineCommand(GET_COMMAND, { lua: GET_SCRIPT });
  if (!(SET_COMMAND in redis)) redis.defineCommand(SET_COMMAND, { lua: SET_SCRIPT });
  const getScript = (...args: Array<string | number>) =>
    (
      redis as unknown as Record<
        string,
        (...a: Array<string | number>) => Promise<Array<Buffer | null>>
      >
    )[`${GET_COMMAND}Buffer`]!(...args);
  const setScript = (...args: Array<string | number | Buffer>) =>
    (
      redis as unknown as Record<
        string,
        (...a: Array<string | number | Buffer>) => Promise<unknown>
      >
    )[SET_COMMAND]!(...args);
  const guard = guardRedisCalls({
    redis,
    timeoutMs: options.callTimeoutMs,
    threshold: options.breakerThreshold ?? 5,
    halfOpenAfterMs: options.breakerHalfOpenAfterMs ?? 5_000,
    onStateChange: (breaker) =>
      logger.warn({ breaker }, 'token cache: Redis circuit breaker changed state'),
  });
  let errors = 0;
  let lastStats = { entries: 0, bytes: 0, evictions: 0 };

  /** Runs `call` under the guard; failures are logged, counted and answered by `fallback`. */
  async function guarded<T>(what: string, call: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await guard.run(call);
    } catch (error) {
      errors += 1;
      if (guard.state() === 'closed') {
        logger.debug({ err: error, what }, 'token cache: Redis call failed, computing locally');
      }
      return fallback;
    }
  }

  return {
    async getMany(keys, { namespace }) {
      if (keys.length === 0) return [];
      const ttlMs = ttlSecondsFor(options, namespace) * 1000;
      const misses = keys.map(() => undefined);
      return guarded(
        'getMany',
        async () => {
          // One command: GET, refresh TTL, refresh LRU position (XX: never add a miss).
          const replies = await getScript(
            keys.length + 1,
            LRU_KEY,
            ...keys.map((key) => `${VALUE_PREFIX}${key}`),
            ttlMs,
            clock.now(),
            ...keys,
          );
          return keys.map((_key, index) => {
            const value = replies[index];
            return value instanceof Buffer ? unpackTokenIds(value) : undefined;
          });
        },
        misses,
      );
    },

    async setMany(entries, { namespace }) {
      const fitting = entries.filter(
        (entry) => entry.ids.length * 4 + ENTRY_OVERHEAD_BYTES <= options.maxBytes,
      );
      if (fitting.length === 0) return;
      const ttlMs = ttlSecondsFor(options, namespace) * 1000;
      await guarded(
        'setMany',
        async () => {
          const args: Array<string | number | Buffer> = [
            clock.now(),
            options.maxBytes,
            ttlMs,
            ENTRY_OVERHEAD_BYTES,
            valuePrefix,
          ];
          for (const entry of fitting) args.push(entry.key, packTokenIds(entry.ids));
          await setScript(4, LRU_KEY, SIZE_KEY, BYTES_KEY, EVICTIONS_KEY, ...args);
        },
        undefined,
      );
    },

    async stats(): Promise<TokenCacheStats> {
      lastStats = await guarded(
        'stats',
        async () => {
          const [entries, bytes, evictions] = await Promise.all([
            redis.zcard(LRU_KEY),
            redis.get(BYTES_KEY),
            redis.get(EVICTIONS_KEY),
          ]);
          return { entries, bytes: Number(bytes ?? 0), evictions: Number(evictions ?? 0) };
        },
        lastStats,
      );
      return {
        backend: 'redis',
        ...lastStats,
        maxBytes: options.maxBytes,
        errors,
        breaker: guard.state(),
      };
    },

    breakerState: () => guard.state(),

    async close() {
      // The connection belongs to whoever opened it.
    },
  };
}
