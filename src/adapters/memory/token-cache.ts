// In-process token cache: an LRU bounded in bytes (4 bytes a token plus per-entry overhead),
// with the namespace's TTL, refreshed on read (unless `refreshOnRead: false`, for a tier that
// must go back to its backing store now and then).
import { LRUCache } from 'lru-cache';
import {
  ttlSecondsFor,
  type TokenCache,
  type TokenCacheStats,
  type TokenCacheTtls,
} from '../../ports/token-cache.js';

/** Bookkeeping per entry: key string, map slots, array header. An estimate, on the high side. */
const ENTRY_OVERHEAD_BYTES = 96;

interface Entry {
  ids: number[];
  ttlMs: number;
}

export interface MemoryTokenCacheOptions extends TokenCacheTtls {
  maxBytes: number;
  /** false: an entry lives its TTL from the write, however often it is read. Default true. */
  refreshOnRead?: boolean;
}

export function createMemoryTokenCache(options: MemoryTokenCacheOptions): TokenCache {
  let evictions = 0;
  const enabled = options.maxBytes > 0;
  const refreshOnRead = options.refreshOnRead ?? true;
  const lru = new LRUCache<string, Entry>({
    maxSize: Math.max(options.maxBytes, 1),
    sizeCalculation: (entry, key) => entry.ids.length * 4 + key.length * 2 + ENTRY_OVERHEAD_BYTES,
    ttlAutopurge: false,
    updateAgeOnGet: true,
    dispose: (_value, _key, reason) => {
      if (reason === 'evict') evictions += 1;
    },
  });
  return {
    async getMany(keys, { namespace }) {
      const ttlMs = ttlSecondsFor(options, namespace) * 1000;
      return keys.map((key) => {
        const entry = lru.get(key, { updateAgeOnGet: refreshOnRead });
        if (entry === undefined) return undefined;
        // A hit refreshes the entry to the reading namespace's TTL.
        if (refreshOnRead && entry.ttlMs !== ttlMs)
          lru.set(key, { ids: entry.ids, ttlMs }, { ttl: ttlMs });
        return entry.ids;
      });
    },
    async setMany(entries, { namespace }) {
      if (!enabled) return;
      const ttlMs = ttlSecondsFor(options, namespace) * 1000;
      for (const { key, ids } of entries) {
        const size = ids.length * 4 + key.length * 2 + ENTRY_OVERHEAD_BYTES;
        if (size > options.maxBytes) continue; // would evict everything and still not fit
        lru.set(key, { ids: ids.slice(), ttlMs }, { ttl: ttlMs });
      }
    },
    async stats(): Promise<TokenCacheStats> {
      return {
        backend: 'memory',
        entries: lru.size,
        bytes: lru.calculatedSize,
        maxBytes: options.maxBytes,
        evictions,
        errors: 0,
        breaker: 'none',
      };
    },
    async close() {
      lru.clear();
    },
  };
}
