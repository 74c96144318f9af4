// A pool of worker threads for CPU-bound work made of items (texts to embed, chunks to read), so
// the work never blocks the event loop and uses every core it is given. Items from all callers go
// into one queue; an idle thread takes the next batch, filled round-robin across waiting calls,
// so a one-item call rides in the very next batch instead of waiting behind a 10 000-item one.
// Threads start on first use. A thread that dies fails only the calls in its batch (retryable)
// and is replaced by the next batch. The worker side is `serveThreadPool` (thread-pool-worker.ts).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, errorMessage } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import { abortError } from './abort.js';

export interface PoolRequest<I> {
  requestId: number;
  items: I[];
}

export type PoolResponse<R> =
  | { type: 'result'; requestId: number; results: R[]; loadMs?: number }
  | { type: 'error'; requestId: number; message: string };

/** One batch a thread ran, for telemetry. */
export interface PoolBatch {
  latencyMs: number;
  items: number;
  /** How long the thread took to load what it needs (a model), on its first batch. */
  loadMs?: number;
  error?: string;
}

export interface ThreadPoolOptions<I> {
  /** Says what runs, in thread names, logs and errors: "local embedder". */
  name: string;
  /** The worker module, relative to `callerUrl`, without its extension: "./local-embedder-worker". */
  worker: string;
  callerUrl: string;
  threads: number;
  /** Most items per batch. */
  batchSize: number;
  /** A batch also stops at this total cost (its first item always goes). */
  maxBatchCost?: number;
  costOf?: (item: I) => number;
  logger: Logger;
  onBatch?: (batch: PoolBatch) => void;
}

export interface ThreadPool<I, R> {
  /** The results of `items`, in their order. */
  run(items: I[], signal?: AbortSignal): Promise<R[]>;
  /** For tests and /ready: threads alive now, items waiting for a thread. */
  stats(): { threads: number; queuedItems: number };
  close(): Promise<void>;
}

interface Job<I, R> {
  items: I[];
  results: R[];
  nextIndex: number;
  remaining: number;
  settled: boolean;
  resolve(results: R[]): void;
  reject(error: unknown): void;
  cleanup(): void;
}

interface Slot<I, R> {
  worker: Worker | undefined;
  /** The worker answered a batch: it started. One that dies before it ever does cannot start. */
  answered: boolean;
  batch:
    | { requestId: number; parts: Array<{ job: Job<I, R>; index: number }>; startedAt: number }
    | undefined;
}

export function createThreadPool<I, R>(options: ThreadPoolOptions<I>): ThreadPool<I, R> {
  const { name, logger } = options;
  const batchSize = Math.max(1, options.batchSize);
  const maxBatchCost = options.maxBatchCost ?? Infinity;
  const costOf = options.costOf ?? (() => 1);
  const slots: Array<Slot<I, R>> = Array.from({ length: Math.max(1, options.threads) }, () => ({
    worker: undefined,
    answered: false,
    batch: undefined,
  }));
  const live = new Set<Worker>();
  /** Calls with items not yet handed to a thread, oldest first. */
  const waiting: Array<Job<I, R>> = [];
  let nextRequestId = 1;
  /** Where the next batch starts taking items, so every waiting call gets its turn. */
  let cursor = 0;
  let closed = false;

  function settle(job: Job<I, R>, error?: unknown) {
    if (job.settled) return;
    job.settled = true;
    job.cleanup();
    const at = waiting.indexOf(job);
    if (at >= 0) waiting.splice(at, 1);
    if (error === undefined) job.resolve(job.results);
    else job.reject(error);
  }

  /** Stops a thread whose batch no caller waits for any more (all aborted): it is needed elsewhere. */
  function releaseAbandoned() {
    let released = false;
    for (const slot of slots) {
      const batch = slot.batch;
      if (batch === undefined || !batch.parts.every((part) => part.job.settled)) continue;
      const worker = slot.worker;
      slot.worker = undefined;
      slot.batch = undefined;
      if (worker !== undefined) void worker.terminate();
      released = true;
    }
    if (released) dispatch();
  }

  function spawn(slot: Slot<I, R>): Worker {
    const worker = startWorkerThread(options.callerUrl, options.worker, `engram-${name}`);
    live.add(worker);
    worker.on('message', (response: PoolResponse<R>) => onResponse(slot, response));
    worker.on('error', (error) => onWorkerDied(slot, worker, error));
    worker.on('exit', (code) => {
      live.delete(worker);
      if (!closed && slot.worker === worker)
        onWorkerDied(slot, worker, new Error(`worker exited with code ${code}`));
    });
    return worker;
  }

  function onWorkerDied(slot: Slot<I, R>, worker: Worker, cause: unknown) {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    void worker.terminate();
    const batch = slot.batch;
    slot.batch = undefined;
    if (closed) return;
    logger.error({ err: cause }, `${name} thread died; a new one starts with the next batch`);
    if (batch !== undefined) {
      // A thread that never answered did not start (a broken install): retrying cannot help.
      const error = new AppError('PROVIDER_FAILED', `${name} thread died: ${errorMessage(cause)}`, {
        cause,
        retryable: slot.answered,
      });
      options.onBatch?.({
        latencyMs: performance.now() - batch.startedAt,
        items: batch.parts.length,
        error: error.message,
      });
      for (const part of batch.parts) settle(part.job, error);
    }
    dispatch();
  }

  function onResponse(slot: Slot<I, R>, response: PoolResponse<R>) {
    const batch = slot.batch;
    if (batch === undefined || batch.requestId !== response.requestId) return;
    slot.batch = undefined;
    slot.answered = true;
    const latencyMs = performance.now() - batch.startedAt;
    if (response.type === 'result' && response.results.length !== batch.parts.length) {
      response = {
        type: 'error',
        requestId: response.requestId,
        message: `${response.results.length} results for ${batch.parts.length} items`,
      };
    }
    if (response.type === 'error') {
      const error = new AppError('PROVIDER_FAILED', `${name} failed: ${response.message}`, {
        retryable: false,
      });
      options.onBatch?.({ latencyMs, items: batch.parts.length, error: error.message });
      for (const part of batch.parts) settle(part.job, error);
    } else {
      options.onBatch?.({
        latencyMs,
        items: batch.parts.length,
        ...(response.loadMs === undefined ? {} : { loadMs: response.loadMs }),
      });
      response.results.forEach((result, i) => {
        const part = batch.parts[i]!;
        if (part.job.settled) return;
        part.job.results[part.index] = result;
        if (--part.job.remaining === 0) settle(part.job);
      });
    }
    dispatch();
  }

  /** Starts the slot's thread; when no thread can be created, every waiting call fails, saying why. */
  function start(slot: Slot<I, R>): boolean {
    try {
      slot.worker = spawn(slot);
      slot.answered = false;
      return true;
    } catch (cause) {
      const error = new AppError(
        'PROVIDER_FAILED',
        `${name} could not start a thread: ${errorMessage(cause)}`,
        { cause, retryable: false },
      );
      logger.error({ err: cause }, `${name} could not start a thread`);
      for (const job of [...waiting]) settle(job, error);
      return false;
    }
  }

  /** Hands batches to idle threads, one item per waiting call in turn. */
  function dispatch() {
    if (closed) return;
    for (const slot of slots) {
      if (waiting.length === 0) return;
      if (slot.batch !== undefined) continue;
      // Share what is queued among the idle threads: 20 items and two idle threads make two
      // batches of 10, not one of 20 while the other thread sits idle.
      const idle = slots.filter((s) => s.batch === undefined).length;
      const queued = waiting.reduce((sum, job) => sum + job.items.length - job.nextIndex, 0);
      const limit = Math.min(batchSize, Math.ceil(queued / idle));
      if (slot.worker === undefined && !start(slot)) return;
      const parts: Array<{ job: Job<I, R>; index: number }> = [];
      const items: I[] = [];
      let cost = 0;
      let turn = cursor;
      while (parts.length < limit && waiting.length > 0) {
        turn %= waiting.length;
        const job = waiting[turn]!;
        const item = job.items[job.nextIndex]!;
        const itemCost = costOf(item);
        if (parts.length > 0 && cost + itemCost > maxBatchCost) break;
        cost += itemCost;
        items.push(item);
        parts.push({ job, index: job.nextIndex++ });
        if (job.nextIndex >= job.items.length) waiting.splice(turn, 1);
        else turn++;
      }
      cursor = turn;
      const request: PoolRequest<I> = { requestId: nextRequestId++, items };
      slot.batch = { requestId: request.requestId, parts, startedAt: performance.now() };
      slot.worker!.postMessage(request);
    }
  }

  return {
    run(items, signal) {
      if (closed) return Promise.reject(new AppError('UNAVAILABLE', `${name} is closed`));
      if (items.length === 0) return Promise.resolve([]);
      if (signal?.aborted) return Promise.reject(abortError(signal));
      return new Promise<R[]>((resolve, reject) => {
        const onAbort = () => {
          settle(job, abortError(signal!));
          releaseAbandoned();
        };
        const job: Job<I, R> = {
          items: [...items],
          results: new Array<R>(items.length),
          nextIndex: 0,
          remaining: items.length,
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
        queuedItems: waiting.reduce((sum, job) => sum + job.items.length - job.nextIndex, 0),
      };
    },
    async close() {
      if (closed) {
        await Promise.all([...live].map((worker) => worker.terminate()));
        return;
      }
      closed = true;
      const error = new AppError('UNAVAILABLE', `${name} was closed`);
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
 * Compiled, the worker is the .js beside the caller. From source (vitest, tsx) it is the .ts,
 * which plain Node cannot load: `execArgv: ['--import', 'tsx']` does not work on Node 20
 * (tsx's loader registers itself only on the main thread), so a two-line bootstrap registers
 * tsx's ESM hooks through its API inside the thread and then imports the worker.
 */
function startWorkerThread(callerUrl: string, worker: string, name: string): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`${worker}.js`, callerUrl), { name });
  const tsxApi = pathToFileURL(
    join(dirname(createRequire(callerUrl).resolve('tsx')), 'esm/api/index.mjs'),
  ).href;
  const entry = new URL(`${worker}.ts`, callerUrl).href;
  const bootstrap =
    // Only dynamic import(): the eval runs as CommonJS or, under --input-type=module, as ESM.
    "import('node:worker_threads').then(({ workerData }) => import(workerData.tsxApi)" +
    '.then((tsx) => { tsx.register(); return import(workerData.entry); }));';
  return new Worker(bootstrap, { eval: true, name, workerData: { tsxApi, entry } });
}
