// Worker thread of the local extractor's pool: reads each chunk of a batch (readChunk), in order.
import type { ChunkText, Extraction } from '../ports/extractor.js';
import { serveThreadPool } from '../providers/thread-pool-worker.js';
import { readChunk } from './create-local-extractor.js';

serveThreadPool<ChunkText, Extraction>({ run: (chunks) => ({ results: chunks.map(readChunk) }) });
