// Settings of token-exact context: the token cache's size and lifetime.
import { z } from 'zod';
import { integer } from '../rules.js';

export const contextSettings = {
  tokenCacheMaxBytes: integer(0, 64 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  tokenCacheTtlSeconds: integer(1, 31_536_000).default(24 * 3600),
  /** JSON object of namespace → TTL seconds, e.g. {"docs":604800}. */
  tokenCacheNamespaceTtls: z.string().optional(),
  /** Comma-separated name=path pairs of Hugging Face tokenizer.json files. */
  tokenizers: z.string().optional(),
};
