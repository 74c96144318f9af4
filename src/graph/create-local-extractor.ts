// The offline extractor as the graph service calls it: extractChunk (local-extractor.ts) over a
// document's chunks, in a thread pool (ENGRAM_EXTRACTOR_THREADS) or on the calling thread.
import { errorMessage } from '../domain/errors.js';
import { createSilentLogger, type Logger } from '../domain/logger.js';
import type { ChunkText, Extraction, ExtractOptions, Extractor } from '../ports/extractor.js';
import { createThreadPool } from '../providers/thread-pool.js';
import { extractChunk } from './local-extractor.js';

export const LOCAL_EXTRACTOR_ID = 'local:wink';

export interface LocalExtractorOptions {
  /**
   * Worker threads that read chunks (ENGRAM_EXTRACTOR_THREADS); 0 reads them on the calling
   * thread, between other work. Tagging is CPU-bound (1–5 ms for a 400-token chunk, by the text).
   */
  threads?: number;
  /** Batches a thread holds at once (the pool's `depth`); 8 by default, measured below. */
  depth?: number;
  logger?: Logger;
}

export interface LocalExtractor extends Extractor {
  close(): Promise<void>;
}

export function createLocalExtractor(options: LocalExtractorOptions = {}): LocalExtractor {
  const threads = options.threads ?? 0;
  if (threads > 0) {
    const pool = createThreadPool<ChunkText, Extraction>({
      name: 'local extractor',
      worker: './local-extractor-worker',
      callerUrl: import.meta.url,
      threads,
      // About 4 ms of tagging per batch: a small call waits little behind a large one (16 a batch
      // ingested no faster: 469–500 chunks/s against 467–480, bench/lab/ingest-parts.ts).
      batchSize: 4,
      // Eight batches held a thread (about a document's chunks): the event loop hands a thread
      // its next batch only between its own synchronous work (a document's writes take tens of
      // ms), and a thread holding one batch sat idle 40% of the time. With one thread on 2 cores,
      // depth 1 ingested 532–537 chunks/s and depth 8 645–775 (three runs each, 10 MB, embedding
      // excluded; bench/lab/ingest-parts.ts, docs/performance.md).
      depth: options.depth ?? 8,
      logger: options.logger ?? createSilentLogger(),
    });
    return {
      id: LOCAL_EXTRACTOR_ID,
      async extract(chunks, extractOptions) {
        return joinExtractions(await pool.run(chunks, extractOptions?.signal));
      },
      close: () => pool.close(),
    };
  }
  return {
    id: LOCAL_EXTRACTOR_ID,
    async extract(chunks: ChunkText[], extractOptions?: ExtractOptions): Promise<Extraction> {
      const read: Extraction[] = [];
      for (const [index, chunk] of chunks.entries()) {
        // Tagging is synchronous CPU work: let other requests and timers in between chunks.
        if (index > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        extractOptions?.signal?.throwIfAborted();
        read.push(readChunk(chunk));
      }
      return joinExtractions(read);
    },
    close: async () => undefined,
  };
}

/** One chunk's reading; a chunk the extractor throws on is left out and said so, not the document. */
export function readChunk(chunk: ChunkText): Extraction {
  try {
    return extractChunk(chunk);
  } catch (error) {
    return {
      mentions: [],
      relations: [],
      failures: [{ chunkId: chunk.id, reason: 'extractor_error', message: errorMessage(error) }],
    };
  }
}

function joinExtractions(parts: Extraction[]): Extraction {
  const failures = parts.flatMap((part) => part.failures ?? []);
  return {
    mentions: parts.flatMap((part) => part.mentions),
    relations: parts.flatMap((part) => part.relations),
    ...(failures.length === 0 ? {} : { failures }),
  };
}
