// Settings of token-exact context: the token cache's size, lifetime and resilience, and the
// Hugging Face tokenizer.json files to serve besides o200k_base and cl100k_base.
import { z } from 'zod';
import { parseNamespaceTtls } from '../../context/cache-settings.js';
import { parseTokenizerPaths } from '../../context/tokenizers/tokenizer-paths.js';
import { integer, validWith } from '../rules.js';
import { checkTokenizerFiles } from '../tokenizer-files.js';

export const contextSettings = {
  /** Byte budget of the token cache (in process, or in Redis, accounted by Engram). 0 disables it. */
  tokenCacheMaxBytes: integer(0, 64 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  /**
   * With Redis: byte budget of a small in-process cache in front of it, so warm requests skip
   * the Redis round trip. 0 disables it (every lookup goes to Redis).
   */
  tokenCacheLocalMaxBytes: integer(0, 64 * 1024 * 1024 * 1024).default(8 * 1024 * 1024),
  tokenCacheTtlSeconds: integer(1, 31_536_000).default(24 * 3600),
  /** JSON object of namespace → TTL seconds, e.g. {"docs":604800}. */
  tokenCacheNamespaceTtls: z.string().optional().superRefine(validWith(parseNamespaceTtls)),
  /** auto: Redis when ENGRAM_REDIS_URL is set, else in process. */
  tokenCacheBackend: z.enum(['auto', 'memory', 'redis']).default('auto'),
  /** Upper bound of one Redis token-cache call; past it the request tokenizes locally. */
  tokenCacheTimeoutMs: integer(5, 10_000).default(100),
  /** Consecutive failed Redis calls that open the token cache's circuit breaker. */
  tokenCacheBreakerThreshold: integer(1, 1000).default(5),
  /** How long the open breaker skips Redis before one trial call. */
  tokenCacheBreakerHalfOpenMs: integer(100, 600_000).default(5_000),
  /** Comma-separated name=path pairs of Hugging Face tokenizer.json files (checked at start-up). */
  tokenizers: z
    .string()
    .optional()
    .superRefine(validWith((value) => checkTokenizerFiles(parseTokenizerPaths(value)))),
};
