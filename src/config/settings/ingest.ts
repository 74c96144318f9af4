// Settings of knowledge ingestion: chunking, providers (embedder, extractor) and limits.
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { integer, number, secret } from '../rules.js';

/**
 * Threads per CPU-bound pool (embedder, search) by default: one per core, at most four (each
 * embedder thread holds its own ~250 MB model). Node counts the host's cores, not a container's
 * CPU quota: in a container, set ENGRAM_EMBEDDER_THREADS and ENGRAM_EXTRACTOR_THREADS to its limit
 * (the extractor one less, as below).
 */
export const DEFAULT_POOL_THREADS = Math.min(availableParallelism(), 4);

/**
 * The local extractor's threads by default: one per core but the event loop's, at least one, at
 * most four. Ingestion keeps the event loop busy too (chunking, indexing, the graph's writes):
 * on 2 cores one extractor thread ingested 645–775 chunks/s and two 595–681, at more CPU a chunk
 * (three runs each of bench/lab/ingest-parts.ts; `npm run bench -- ingest`: 714 against 645).
 */
export const DEFAULT_EXTRACTOR_THREADS = Math.min(Math.max(availableParallelism() - 1, 1), 4);

export const ingestSettings = {
  chunkTokens: integer(32, 8192).default(400),
  chunkOverlap: number(0, 0.5).default(0.15),
  maxDocumentBytes: integer(1, 100 * 1024 * 1024).default(5 * 1024 * 1024),
  embedder: z.enum(['local', 'static', 'openai']).default('local'),
  embedderModel: z.string().min(1).default('text-embedding-3-small'),
  embedderUrl: z.string().url('must be a URL such as http://127.0.0.1:11434/v1').optional(),
  embedderApiKey: secret().optional(),
  embedderBatchSize: integer(1, 2048).default(64),
  /** Threads of the local embedder, each with its own copy of the model (~250 MB). */
  embedderThreads: integer(1, 64).default(DEFAULT_POOL_THREADS),
  /** Asked of the server (OpenAI text-embedding-3 can shorten vectors); otherwise learned. */
  embedderDimensions: integer(1, 65_536).optional(),
  /** Vectors kept in the in-process content-hash cache (0 turns it off); 512-d ≈ 2 KiB each. */
  embedderCacheEntries: integer(0, 10_000_000).default(10_000),
  extractor: z.enum(['local', 'openai']).default('local'),
  /** Threads the local extractor reads chunks in; 0 reads them on the event loop's thread. */
  extractorThreads: integer(0, 64).default(DEFAULT_EXTRACTOR_THREADS),
  llmUrl: z.string().url('must be a URL such as http://127.0.0.1:11434/v1').optional(),
  llmApiKey: secret().optional(),
  llmModel: z.string().min(1).default('gpt-4o-mini'),
  providerTimeoutMs: integer(100, 600_000).default(30_000),
  entityFuzzyThreshold: number(0, 1).default(0.88),
  entityEmbeddingThreshold: number(0, 1).default(0.9),
  /** Documents one POST /v1/documents (or one `engram ingest` submission) may carry. */
  maxDocumentsPerRequest: integer(1, 10_000).default(100),
  /** Characters a search query may have. */
  maxQueryChars: integer(16, 100_000).default(2_000),
  /** Hosts POST /v1/documents {"url"} may fetch even when they resolve to non-public addresses. */
  fetchAllowedHosts: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((host) => host.trim())
        .filter((host) => host !== ''),
    ),
  fetchTimeoutMs: integer(100, 600_000).default(15_000),
  /** Time a document's parser may take (PDF); past it the document fails at chunk, saying so. */
  parseTimeoutMs: integer(1, 3_600_000).default(60_000),
  fetchMaxRedirects: integer(0, 20).default(5),
  /**
   * Threads the embedded store (SQLite) runs chunk full-text search in, each with its own
   * connection, so hybrid search's text and vector parts run at once; 0 runs it on the event loop.
   */
  searchThreads: integer(0, 64).default(DEFAULT_POOL_THREADS),
  /** Hits one search may return. */
  maxSearchK: integer(1, 1_000).default(100),
};
