// The offline default embedder: Universal Sentence Encoder lite (512-d) running in a thread pool
// (thread-pool.ts), so its slow single-threaded inference never blocks the event loop, and a
// one-text recall query rides in the very next batch instead of waiting behind a 10 000-chunk
// ingestion.
import type { Logger } from '../domain/logger.js';
import type { EmbedOptions, Embedder, ModelCallRecorder } from '../ports/embedder.js';
import { modelCallRecorder } from './model-call-recorder.js';
import { createThreadPool } from './thread-pool.js';

export const LOCAL_EMBEDDER_ID = 'local:use-lite-512';
export const LOCAL_EMBEDDER_DIMENSION = 512;
const MODEL_NAME = 'use-lite-512';

/**
 * Longest text sent to the model, in characters; longer texts are cut at a word boundary.
 * USE lite was trained on sentences and short paragraphs and averages over its input, so
 * text far past a paragraph only dilutes the vector; and its tokenizer is quadratic in the
 * input (it slices the remaining characters at every position), so a 1 MB text would hold a
 * thread for minutes. 4 000 characters (~700 English words) is well above a default
 * 400-token chunk (~1 600–2 000 characters), so normal chunks are never cut.
 */
export const LOCAL_MAX_CHARS = 4_000;

/**
 * A batch also stops at this many characters. Measured here (CPU time, 1 thread): batching
 * lifts 10-word texts from 38 (alone) to 70 (16) and 77 (32) texts per CPU-second, but does
 * nothing for 150-word texts (8.5–9 at any size). So short texts batch up to `batchSize`, long
 * ones in small batches, and a query queued behind them waits for about a second of work.
 */
export const LOCAL_MAX_BATCH_CHARS = 8_000;

export interface LocalEmbedderOptions {
  logger: Logger;
  /** Worker threads, each with its own copy of the model (~250 MB). */
  threads?: number;
  /** Most texts per model call. */
  batchSize?: number;
  /** Most characters per model call (one longer text still goes alone). */
  maxBatchChars?: number;
  maxChars?: number;
  recordCall?: ModelCallRecorder | undefined;
}

export interface LocalEmbedder extends Embedder {
  /** For tests and /ready: threads alive now, texts waiting for a thread. */
  stats(): { threads: number; queuedTexts: number };
}

export function createLocalEmbedder(options: LocalEmbedderOptions): LocalEmbedder {
  const maxChars = options.maxChars ?? LOCAL_MAX_CHARS;
  const logger = options.logger.child({ component: 'local-embedder' });
  const record = modelCallRecorder('embedding', 'local', {
    model: MODEL_NAME,
    logger,
    recordCall: options.recordCall,
  });
  const pool = createThreadPool<string, Float32Array>({
    name: 'local embedder',
    worker: './local-embedder-worker',
    callerUrl: import.meta.url,
    threads: options.threads ?? 1,
    batchSize: options.batchSize ?? 32,
    maxBatchCost: options.maxBatchChars ?? LOCAL_MAX_BATCH_CHARS,
    costOf: (text) => text.length,
    logger,
    onBatch: ({ latencyMs, items, loadMs, error }) => {
      if (loadMs !== undefined)
        logger.info({ loadMs: Math.round(loadMs) }, 'local embedding model loaded');
      record({
        latencyMs,
        items,
        success: error === undefined,
        ...(error === undefined ? {} : { error }),
      });
    },
  });

  return {
    id: LOCAL_EMBEDDER_ID,
    dimension: LOCAL_EMBEDDER_DIMENSION,
    embed(texts: string[], embedOptions: EmbedOptions = {}): Promise<Float32Array[]> {
      return pool.run(
        texts.map((text) => truncateForModel(text, maxChars)),
        embedOptions.signal,
      );
    },
    stats() {
      const { threads, queuedItems } = pool.stats();
      return { threads, queuedTexts: queuedItems };
    },
    close: () => pool.close(),
  };
}

/** Cuts `text` to at most `maxChars` characters, at the last whitespace when there is one nearby. */
export function truncateForModel(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let cut = text.slice(0, maxChars);
  // Do not split a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  const space = cut.search(/\s\S*$/);
  return space > maxChars * 0.8 ? cut.slice(0, space) : cut;
}
