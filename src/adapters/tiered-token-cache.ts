// Two-level token cache: a small in-process tier (L1) in front of a shared one (L2, Redis). A
// warm request is answered from process memory without a Redis round trip, which costs about as
// much as tokenizing again; L1 misses go to L2, L2 hits are copied into L1, and what neither has
// the caller tokenizes and writes to both.
//
// Keys name exact content (tokenizer id + version + SHA-256), so an L1 entry is never stale and
// needs no invalidation. L1 entries still live a fixed, short time from their write — the
// namespace's TTL, capped at `localTtlSeconds`, not extended by reads — so a key that stays hot in
// one process is read from Redis again now and then, which refreshes its Redis TTL and LRU rank
// for the other processes. A Redis outage leaves L1 serving what it holds; the rest falls back to
// local tokenization behind the Redis adapter's own timeout and breaker.
import type { TokenCache, TokenCacheStats, TokenCacheTtls } from '../ports/token-cache.js';
import { createMemoryTokenCache } from './memory/token-cache.js';

/** How long an L1 entry lives at most before the key is read from Redis again. */
export const DEFAULT_LOCAL_TTL_SECONDS = 60;

export interface TieredTokenCacheOptions extends TokenCacheTtls {
  /** The shared tier; closed by this cache's close() (the Redis adapter leaves its connection). */
  shared: TokenCache;
  /** Byte budget of the in-process tier (> 0). */
  localMaxBytes: number;
  localTtlSeconds?: number;
}

export function createTieredTokenCache(options: TieredTokenCacheOptions): TokenCache {
  const { shared } = options;
  const capSeconds = options.localTtlSeconds ?? DEFAULT_LOCAL_TTL_SECONDS;
  const local = createMemoryTokenCache({
    maxBytes: options.localMaxBytes,
    defaultTtlSeconds: Math.min(options.defaultTtlSeconds, capSeconds),
    namespaceTtlSeconds: new Map(
      [...options.namespaceTtlSeconds].map(([namespace, ttlSeconds]) => [
        namespace,
        Math.min(ttlSeconds, capSeconds),
      ]),
    ),
    refreshOnRead: false,
  });
  let localHits = 0;
  let redisHits = 0;

  return {
    async getMany(keys, cacheOptions) {
      const found = await local.getMany(keys, cacheOptions);
      const missing: number[] = [];
      found.forEach((ids, index) => {
        if (ids === undefined) missing.push(index);
      });
      localHits += keys.length - missing.length;
      if (missing.length === 0) return found;
      const fromShared = await shared.getMany(
        missing.map((index) => keys[index]!),
        cacheOptions,
      );
      const promoted: Array<{ key: string; ids: number[] }> = [];
      missing.forEach((index, position) => {
        const ids = fromShared[position];
        if (ids === undefined) return;
        found[index] = ids;
        promoted.push({ key: keys[index]!, ids });
      });
      redisHits += promoted.length;
      if (promoted.length > 0) await local.setMany(promoted, cacheOptions);
      return found;
    },

    async setMany(entries, cacheOptions) {
      await Promise.all([
        local.setMany(entries, cacheOptions),
        shared.setMany(entries, cacheOptions),
      ]);
    },

    async stats(): Promise<TokenCacheStats> {
      const [sharedStats, localStats] = await Promise.all([shared.stats(), local.stats()]);
      return {
        ...sharedStats,
        tiers: {
          localHits,
          redisHits,
          local: {
            entries: localStats.entries,
            bytes: localStats.bytes,
            maxBytes: localStats.maxBytes,
            evictions: localStats.evictions,
          },
        },
      };
    },

    async close() {
      await local.close();
      await shared.close();
    },
  };
}
