// Token cache port: token-ID lists by key (tokenizer id + version + SHA-256 of the exact text).
// A cache never fails its caller: an adapter that cannot reach its store answers "miss" and
// drops writes, so the context service computes locally and stays up.

export interface TokenCacheOptions {
  /** Picks the TTL (per-namespace setting); a hit refreshes the entry to this namespace's TTL. */
  namespace: string;
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'none';

export interface TokenCacheStats {
  backend: 'memory' | 'redis';
  entries: number;
  /** Bytes the cache accounts for (values plus per-entry overhead); never above maxBytes. */
  bytes: number;
  maxBytes: number;
  evictions: number;
  /** Calls that failed or timed out (they counted as misses / dropped writes). */
  errors: number;
  breaker: BreakerState;
  /** Set by a tiered cache (in-process tier in front of Redis); the fields above are Redis's. */
  tiers?: TokenCacheTierStats;
}

export interface TokenCacheTierStats {
  /** Keys answered from process memory, without a Redis call. */
  localHits: number;
  /** Keys the in-process tier missed and Redis answered. */
  redisHits: number;
  local: { entries: number; bytes: number; maxBytes: number; evictions: number };
}

export interface TokenCache {
  /** One result per key, in order; undefined is a miss. Never throws. */
  getMany(
    keys: readonly string[],
    options: TokenCacheOptions,
  ): Promise<Array<number[] | undefined>>;
  /** Best effort; never throws. */
  setMany(
    entries: ReadonlyArray<{ key: string; ids: readonly number[] }>,
    options: TokenCacheOptions,
  ): Promise<void>;
  stats(): Promise<TokenCacheStats>;
  close(): Promise<void>;
}

/** TTL of a namespace: its own setting, else the default. */
export interface TokenCacheTtls {
  defaultTtlSeconds: number;
  namespaceTtlSeconds: ReadonlyMap<string, number>;
}

export function ttlSecondsFor(ttls: TokenCacheTtls, namespace: string): number {
  return ttls.namespaceTtlSeconds.get(namespace) ?? ttls.defaultTtlSeconds;
}

/** Token IDs packed as little-endian uint32, the stored form (4 bytes a token). */
export function packTokenIds(ids: readonly number[]): Buffer {
  const buffer = Buffer.allocUnsafe(ids.length * 4);
  for (let index = 0; index < ids.length; index += 1) buffer.writeUInt32LE(ids[index]!, index * 4);
  return buffer;
}

export function unpackTokenIds(buffer: Uint8Array): number[] | undefined {
  if (buffer.byteLength % 4 !== 0) return undefined;
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const ids = new Array<number>(buffer.byteLength / 4);
  for (let index = 0; index < ids.length; index += 1) ids[index] = view.getUint32(index * 4, true);
  return ids;
}
