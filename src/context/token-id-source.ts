// Token IDs of texts through the token cache: one batched lookup per call, local tokenization
// for misses, and single flight — concurrent requests for the same key share one lookup and one
// tokenization. Records hit/miss counts and latencies as Prometheus metrics and plain stats.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Clock } from '../domain/clock.js';
import { sha256Hex } from '../domain/hashing.js';
import { createContentHashMemo } from './content-hash-memo.js';
import type { Logger } from '../domain/logger.js';
import type { TokenCache, TokenCacheStats } from '../ports/token-cache.js';
import type { Tokenizer } from './tokenizers/tokenizer.js';

export interface EncodeManyResult {
  ids: number[][];
  /** Keys answered by the cache. */
  hits: number;
  /** Keys computed here, or shared with a concurrent computation of the same key. */
  misses: number;
}

export interface ContextCacheStats extends TokenCacheStats {
  hits: number;
  misses: number;
  hitRate: number;
  /** Texts tokenized locally (misses that were not shared with a concurrent request). */
  tokenizations: number;
  inFlight: number;
  /** Recent lookups (last 1024 of each kind), milliseconds. */
  hitLatencyMs: LatencySummary;
  missLatencyMs: LatencySummary;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
}

export interface TokenIdSource {
  encodeMany(
    tokenizer: Tokenizer,
    texts: readonly string[],
    scope: { tenantId: string; namespace: string },
  ): Promise<EncodeManyResult>;
  stats(): Promise<ContextCacheStats>;
  /** Waits for cache writes still under way (warm, tests, shutdown). */
  flush(): Promise<void>;
}

export interface TokenIdSourceOptions {
  cache: TokenCache;
  clock: Clock;
  logger: Logger;
  /** Metrics are registered here; never the global registry. */
  metrics?: Registry;
}

const keyPrefixes = new WeakMap<Tokenizer, string>();
function tokenizerKeyPrefix(tokenizer: Tokenizer): string {
  let prefix = keyPrefixes.get(tokenizer);
  if (prefix === undefined) {
    prefix = `${tokenizer.id}:${sha256Hex(tokenizer.version).slice(0, 16)}:`;
    keyPrefixes.set(tokenizer, prefix);
  }
  return prefix;
}

interface Flight {
  promise: Promise<{ ids: number[]; hit: boolean }>;
}

class LatencyWindow {
  private readonly values: number[] = [];
  private next = 0;
  private total = 0;
  constructor(private readonly size = 1024) {}
  add(value: number): void {
    if (this.values.length < this.size) this.values.push(value);
    else this.values[this.next] = value;
    this.next = (this.next + 1) % this.size;
    this.total += 1;
  }
  summary(): LatencySummary {
    const sorted = [...this.values].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return { count: this.total, p50: round(at(0.5)), p95: round(at(0.95)) };
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

const BREAKER_STATES = ['closed', 'open', 'half-open', 'none'] as const;

export function createTokenIdSource(options: TokenIdSourceOptions): TokenIdSource {
  const { cache, logger } = options;
  const inFlight = new Map<string, Flight>();
  const contentHashes = createContentHashMemo();
  const tenantHashes = createContentHashMemo(1024 * 1024);
  const pendingWrites = new Set<Promise<void>>();
  const hitWindow = new LatencyWindow();
  const missWindow = new LatencyWindow();
  let hits = 0;
  let misses = 0;
  let tokenizations = 0;
  const now = () => performance.now();

  const registers = options.metrics === undefined ? [] : [options.metrics];
  const hitCounter = new Counter({
    name: 'engram_context_token_cache_hits_total',
    help: 'Token-cache lookups answered by the cache.',
    labelNames: ['tokenizer'],
    registers,
  });
  const missCounter = new Counter({
    name: 'engram_context_token_cache_misses_total',
    help: 'Token-cache lookups that had to tokenize (or join a concurrent tokenization).',
    labelNames: ['tokenizer'],
    registers,
  });
  const tokenizationCounter = new Counter({
    name: 'engram_context_tokenizations_total',
    help: 'Texts tokenized locally because the cache did not have them.',
    labelNames: ['tokenizer'],
    registers,
  });
  const latency = new Histogram({
    name: 'engram_context_token_cache_lookup_seconds',
    help: 'Time to get one batch of token IDs, by outcome (hit: from the cache; miss: lookup plus local tokenization).',
    labelNames: ['result'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  // Gauges read from the cache when scraped (Redis: shared by every worker). prom-client collects
  // all metrics concurrently, so one scrape shares one stats() call.
  let statsRead: { at: number; promise: Promise<TokenCacheStats> } | undefined;
  const readCacheStats = (): Promise<TokenCacheStats> => {
    const at = now();
    if (statsRead === undefined || at - statsRead.at > 250)
      statsRead = { at, promise: cache.stats() };
    return statsRead.promise;
  };
  const gauge = (name: string, help: string, pick: (stats: TokenCacheStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        this.set(pick(await readCacheStats()));
      },
    });
  gauge(
    'engram_context_token_cache_bytes',
    'Bytes the token cache accounts for.',
    (stats) => stats.bytes,
  );
  gauge(
    'engram_context_token_cache_max_bytes',
    'Byte budget of the token cache.',
    (stats) => stats.maxBytes,
  );
  gauge(
    'engram_context_token_cache_entries',
    'Entries in the token cache.',
    (stats) => stats.entries,
  );
  gauge(
    'engram_context_token_cache_evictions',
    'Entries evicted to keep the token cache within its byte budget (cumulative).',
    (stats) => stats.evictions,
  );
  gauge(
    'engram_context_token_cache_errors',
    'Token-cache calls that failed or timed out and fell back to local tokenization (cumulative, this process).',
    (stats) => stats.errors,
  );
  new Gauge({
    name: 'engram_context_token_cache_tier_hits',
    help: 'Keys answered by each tier of a tiered token cache: local (process memory, no Redis call) or redis (cumulative, this process).',
    labelNames: ['tier'],
    registers,
    async collect() {
      const { tiers } = await readCacheStats();
      if (tiers === undefined) return;
      this.set({ tier: 'local' }, tiers.localHits);
      this.set({ tier: 'redis' }, tiers.redisHits);
    },
  });
  new Gauge({
    name: 'engram_context_token_cache_local_bytes',
    help: 'Bytes held by the in-process tier in front of Redis.',
    registers,
    async collect() {
      const { tiers } = await readCacheStats();
      if (tiers !== undefined) this.set(tiers.local.bytes);
    },
  });
  new Gauge({
    name: 'engram_context_token_cache_breaker_state',
    help: 'Circuit breaker of the token cache: 1 for the current state.',
    labelNames: ['state'],
    registers,
    async collect() {
      const { breaker } = await readCacheStats();
      for (const state of BREAKER_STATES) this.set({ state }, breaker === state ? 1 : 0);
    },
  });

  function trackWrite(write: Promise<void>): void {
    pendingWrites.add(write);
    void write.finally(() => pendingWrites.delete(write));
  }

  return {
    async encodeMany(tokenizer, texts, scope) {
      // The cache key: tokenizer id, a hash of its version, a hash of the tenant, and SHA-256 of
      // the exact text. The tenant is part of the key so one tenant cannot probe (by timing)
      // whether another tenant's text is cached.
      const prefix = `${tokenizerKeyPrefix(tokenizer)}${tenantHashes.of(scope.tenantId).slice(0, 16)}:`;
      const keys = texts.map((text) => prefix + contentHashes.of(text));
      const flights = new Array<Flight>(keys.length);
      const ownKeys: string[] = [];
      const ownTexts: string[] = [];
      const resolvers: Array<(value: { ids: number[]; hit: boolean }) => void> = [];
      const rejecters: Array<(error: unknown) => void> = [];
      keys.forEach((key, index) => {
        const existing = inFlight.get(key);
        if (existing !== undefined) {
          flights[index] = existing;
          return;
        }
        let resolve!: (value: { ids: number[]; hit: boolean }) => void;
        let reject!: (error: unknown) => void;
        const flight: Flight = {
          promise: new Promise((res, rej) => {
            resolve = res;
            reject = rej;
          }),
        };
        inFlight.set(key, flight);
        flights[index] = flight;
        ownKeys.push(key);
        ownTexts.push(texts[index]!);
        resolvers.push(resolve);
        rejecters.push(reject);
      });

      if (ownKeys.length > 0) {
        const started = now();
        try {
          const found = await cache.getMany(ownKeys, { namespace: scope.namespace });
          const lookupMs = now() - started;
          const computed: Array<{ key: string; ids: number[] }> = [];
          ownKeys.forEach((key, index) => {
            const cached = found[index];
            if (cached !== undefined) {
              resolvers[index]!({ ids: cached, hit: true });
              return;
            }
            const ids = tokenizer.encode(ownTexts[index]!);
            tokenizations += 1;
            tokenizationCounter.inc({ tokenizer: tokenizer.id });
            computed.push({ key, ids });
            resolvers[index]!({ ids, hit: false });
          });
          const totalMs = now() - started;
          if (computed.length === 0) {
            hitWindow.add(lookupMs);
            latency.observe({ result: 'hit' }, lookupMs / 1000);
          } else {
            missWindow.add(totalMs);
            latency.observe({ result: 'miss' }, totalMs / 1000);
          }
          const release = () => {
            for (const key of ownKeys) inFlight.delete(key);
          };
          if (computed.length > 0) {
            // Keep the flights until the write lands, so a request arriving in between joins
            // them instead of tokenizing again.
            const write = cache
              .setMany(computed, { namespace: scope.namespace })
              .catch((error: unknown) => {
                logger.warn({ err: error }, 'token cache: write failed');
              });
            trackWrite(write.finally(release));
          } else {
            release();
          }
        } catch (error) {
          for (const key of ownKeys) inFlight.delete(key);
          for (const reject of rejecters) reject(error);
          throw error;
        }
      }

      const settled = await Promise.all(flights.map((flight) => flight.promise));
      let hitCount = 0;
      for (const result of settled) if (result.hit) hitCount += 1;
      const missCount = settled.length - hitCount;
      hits += hitCount;
      misses += missCount;
      if (hitCount > 0) hitCounter.inc({ tokenizer: tokenizer.id }, hitCount);
      if (missCount > 0) missCounter.inc({ tokenizer: tokenizer.id }, missCount);
      return { ids: settled.map((result) => result.ids), hits: hitCount, misses: missCount };
    },

    async stats() {
      const cacheStats = await cache.stats();
      return {
        ...cacheStats,
        hits,
        misses,
        hitRate: hits + misses === 0 ? 0 : round(hits / (hits + misses)),
        tokenizations,
        inFlight: inFlight.size,
        hitLatencyMs: hitWindow.summary(),
        missLatencyMs: missWindow.summary(),
      };
    },

    async flush() {
      while (pendingWrites.size > 0) await Promise.all([...pendingWrites]);
    },
  };
}
