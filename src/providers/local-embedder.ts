// The offline default embedder: Universal Sentence Encoder lite (512-d) running in worker
// threads, so its slow single-threaded inference never blocks the event loop. Texts from all
// callers go into one queue; an idle thread takes the next batch. Batches are filled
// round-robin across waiting calls, so a one-text recall query rides in the very next batch
// instead of waiting behind a 10 000-chunk ingestion.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, errorMessage } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { EmbedOptions, Embedder, ModelCallRecorder } from '../ports/embedder.js';
import { abortError } from './abort.js';
import type { EmbedRequest, EmbedResponse } from './local-embedder-worker.js';
import { modelCallRecorder } from './model-call-recorder.js';

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

interface Job {
  texts: string[];
  results: Float32Array[];
  nextIndex: number;
  remaining: number;
  settled: boolean;
  resolve(vectors: Float32Array[]): void;
  reject(error: unknown): void;
  cleanup(): void;
}

interface Slot {
  worker: Worker | undefined;
  batch:
    { requestId: number; parts: Array<{ job: Job; index: number }>; startedAt: number } | undefined;
}

export function createLocalEmbedder(options: LocalEmbedderOptions): LocalEmbedder {
  const threads = Math.max(1, options.threads ?? 1);
  const batchSize = Math.max(1, options.batchSize ?? 32);
  const maxBatchChars = options.maxBatchChars ?? LOCAL_MAX_BATCH_CHARS;
  const maxChars = options.maxChars ?? LOCAL_MAX_CHARS;
  const logger = options.logger.child({ component: 'local-embedder' });
  const slots: Slot[] = Array.from({ length: threads }, () => ({
    worker: undefined,
    batch: undefined,
  }));
  const live = new Set<Worker>();
  /** Calls with texts not yet handed to a thread, oldest first. */
  const waiting: Job[] = [];
  let nextRequestId = 1;
  let closed = false;

  const record = modelCallRecorder('embedding', 'local', {
    model: MODEL_NAME,
    logger,
    recordCall: options.recordCall,
  });

  function settle(job: Job, error?: unknown) {
    if (job.settled) return;
    job.settled = true;
    job.cleanup();
    const at = waiting.indexOf(job);
    if (at >= 0) waiting.splice(at, 1);
    if (error === undefined) job.resolve(job.results);
    else job.reject(error);
  }

  function spawn(slot: Slot): Worker {
    const worker = startWorkerThread();
    live.add(worker);
    worker.on('message', (response: EmbedResponse) => onResponse(slot, response));
    worker.on('error', (error) => onWorkerDied(slot, worker, error));
    worker.on('exit', (code) => {
      live.delete(worker);
      if (!closed && slot.worker === worker)
        onWorkerDied(slot, worker, new Error(`worker exited with code ${code}`));
    });
    return worker;
  }

  function onWorkerDied(slot: Slot, worker: Worker, cause: unknown) {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    void worker.terminate();
    const batch = slot.batch;
    slot.batch = undefined;
    if (closed) return;
    logger.error(
      { err: cause },
      'local embedder thread died; a new one starts with the next batch',
    );
    if (batch !== undefined) {
      const error = new AppError(
        'PROVIDER_FAILED',
        `local embedder thread died: ${errorMessage(cause)}`,
        { cause, retryable: true },
      );
      record({
        latencyMs: performance.now() - batch.startedAt,
        items: batch.parts.length,
        success: false,
        error: error.message,
      });
      for (const part of batch.parts) settle(part.job, error);
    }
    dispatch();
  }

  function onResponse(slot: Slot, response: EmbedResponse) {
    const batch = slot.batch;
    if (batch === undefined || batch.requestId !== response.requestId) return;
    slot.batch = undefined;
    const latencyMs = performance.now() - batch.startedAt;
    if (response.type === 'result' && response.vectors.length !== batch.parts.length) {
      response = {
        type: 'error',
        requestId: response.requestId,
        message: `${response.vectors.length} vectors for ${batch.parts.length} texts`,
      };
    }
    if (response.type === 'error') {
      const error = new AppError('PROVIDER_FAILED', `local embedder failed: ${response.message}`, {
        retryable: false,
      });
      record({ latencyMs, items: batch.parts.length, success: false, error: error.message });
      for (const part of batch.parts) settle(part.job, error);
    } else {
      if (response.loadMs !== undefined)
        logger.info({ loadMs: Math.round(response.loadMs) }, 'local embedding model loaded');
      record({ latencyMs, items: batch.parts.length, success: true });
      response.vectors.forEach((vector, i) => {
        const part = batch.parts[i]!;
        if (part.job.settled) return;
        part.job.results[part.index] = vector;
        if (--part.job.remaining === 0) settle(part.job);
      });
    }
    dispatch();
  }

  /** Hands batches to idle threads, one text per waiting call in turn. */
  function dispatch() {
    if (closed) return;
    for (const slot of slots) {
      if (waiting.length === 0) return;
      if (slot.batch !== undefined) continue;
      // Share what is queued among the idle threads: 20 texts and two idle threads make two
      // batches of 10, not one of 20 while the other thread sits idle.
      const idle = slots.filter((s) => s.batch === undefined).length;
      const queued = waiting.reduce((sum, job) => sum + job.texts.length - job.nextIndex, 0);
      const limit = Math.min(batchSize, Math.ceil(queued / idle));
      const parts: Array<{ job: Job; index: number }> = [];
      const texts: string[] = [];
      let chars = 0;
      let turn = 0;
      while (parts.length < limit && waiting.length > 0) {
        turn %= waiting.length;
        const job = waiting[turn]!;
        const text = truncateForModel(job.texts[job.nextIndex]!, maxChars);
        if (parts.length > 0 && chars + text.length > maxBatchChars) break;
        chars += text.length;
        texts.push(text);
        parts.push({ job, index: job.nextIndex++ });
        if (job.nextIndex >= job.texts.length) waiting.splice(turn, 1);
        else turn++;
      }
      slot.worker ??= spawn(slot);
      const request: EmbedRequest = { type: 'embed', requestId: nextRequestId++, texts };
      slot.batch = { requestId: request.requestId, parts, startedAt: performance.now() };
      slot.worker.postMessage(request);
    }
  }

  return {
    id: LOCAL_EMBEDDER_ID,
    dimension: LOCAL_EMBEDDER_DIMENSION,
    embed(texts: string[], embedOptions: EmbedOptions = {}): Promise<Float32Array[]> {
      if (closed)
        return Promise.reject(
          new AppError('UNAVAILABLE', `embedder ${LOCAL_EMBEDDER_ID} is closed`),
        );
      if (texts.length === 0) return Promise.resolve([]);
      const { signal } = embedOptions;
      if (signal?.aborted) return Promise.reject(abortError(signal));
      return new Promise<Float32Array[]>((resolve, reject) => {
        const onAbort = () => settle(job, abortError(signal!));
        const job: Job = {
          texts: [...texts],
          results: new Array<Float32Array>(texts.length),
          nextIndex: 0,
          remaining: texts.length,
          settled: false,
          resolve,
          reject,
          cleanup: () => signal?.removeEventListener('abort', onAbort),
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiting.push(job);
        dispatch();
      });
    },
    stats() {
      return {
        threads: live.size,
        queuedTexts: waiting.reduce((sum, job) => sum + job.texts.length - job.nextIndex, 0),
      };
    },
    async close() {
      if (closed) {
        await Promise.all([...live].map((worker) => worker.terminate()));
        return;
      }
      closed = true;
      const error = new AppError('UNAVAILABLE', `embedder ${LOCAL_EMBEDDER_ID} was closed`);
      for (const job of [...waiting]) settle(job, error);
      for (const slot of slots) {
        for (const part of slot.batch?.parts ?? []) settle(part.job, error);
        slot.batch = undefined;
        slot.worker = undefined;
      }
      await Promise.all([...live].map((worker) => worker.terminate()));
    },
  };
}

/**
 * Compiled, the worker is the .js beside this file. From source (vitest, tsx) it is the .ts,
 * which plain Node cannot load: `execArgv: ['--import', 'tsx']` does not work on Node 20
 * (tsx's loader registers itself only on the main thread), so a two-line bootstrap registers
 * tsx's ESM hooks through its API inside the thread and then imports the worker.
 */
function startWorkerThread(): Worker {
  const name = 'engram-local-embedder';
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./local-embedder-worker.js', import.meta.url), { name });
  const tsxApi = pathToFileURL(
    join(dirname(createRequire(import.meta.url).resolve('tsx')), 'esm/api/index.mjs'),
  ).href;
  const entry = new URL('./local-embedder-worker.ts', import.meta.url).href;
  const bootstrap =
    // Only dynamic import(): the eval runs as CommonJS or, under --input-type=module, as ESM.
    "import('node:worker_threads').then(({ workerData }) => import(workerData.tsxApi)" +
    '.then((tsx) => { tsx.register(); return import(workerData.entry); }));';
  return new Worker(bootstrap, { eval: true, name, workerData: { tsxApi, entry } });
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
