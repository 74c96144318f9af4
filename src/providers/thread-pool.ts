// A pool of worker threads for CPU-bound work made of items (texts to embed, chunks to read), so
// the work never blocks the event loop and uses every core it is given. Items from all callers go
// into one queue; a thread with room takes the next batch, filled round-robin across waiting
// calls, so a one-item call rides in the very next batch instead of waiting behind a 10 000-item
// one. A thread holds one batch, or with `depth` more, the next ones waiting in its message queue
// so it never idles while the event loop is busy elsewhere.
// Threads start on first use. A thread that dies fails only the calls in the batch it ran
// (retryably, or for good when the thread never answered any: a broken install); the batches
// queued behind it go to the next thread with room, and a new thread starts with the next batch.
// The worker side is `serveThreadPool` (thread-pool-worker.ts).
import type { Worker } from 'node:worker_threads';
import { AppError, errorMessage } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import { abortError } from './abort.js';
import { startWorkerThread } from './worker-thread.js';

export interface PoolRequest<I> {
  requestId: number;
  items: I[];
}

export type PoolResponse<R> =
  | { type: 'result'; requestId: number; results: R[]; loadMs?: number }
  | { type: 'error'; requestId: number; message: string };

/** One batch a thread ran, for telemetry. */
export interface PoolBatch {
  /** From handing the batch to the thread to its answer (with `depth`, its wait behind others too). */
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
  /**
   * Batches a thread holds at once (1 by default): the one it runs, and the rest queued behind it
   * so it starts the next the moment it ends, without waiting for the event loop to hand it
   * over. More keeps the threads busy while the event loop runs long synchronous work (ingestion's
   * writes); a one-item call then waits behind up to `depth` batches of a thread.
   */
  depth?: number;
  /** A batch also stops at this total cost (its first item always goes). */
  maxBatchCost?: number;
  costOf?: (item: I) => number;
  logger: Logger;
  onBatch?: (batch: PoolBatch) => void;
}

export interface ThreadPool<I, R> {
  /** The results of `items`, in their order. */
  run(items: I[], signal?: AbortSignal): Promise<R[]>;
  /** For tests and /ready: threads alive now, items no thread has started (queued in one or not). */
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

interface Batch<I, R> {
  requestId: number;
  parts: Array<{ job: Job<I, R>; index: number }>;
  /** When it was handed to the thread (behind the thread's earlier batches, with `depth`). */
  startedAt: number;
}

interface Slot<I, R> {
  worker: Worker | undefined;
  /** The worker answered a batch: it started. One that dies before it ever does cannot start. */
  answered: boolean;
  /** Batches handed to the thread, in the order it answers them. */
  batches: Array<Batch<I, R>>;
}

export function createThreadPool<I, R>(options: ThreadPoolOptions<I>): ThreadPool<I, R> {
  const { name, logger } = options;
  const batchSize = Math.max(1, options.batchSize);
  const depth = Math.max(1, options.depth ?? 1);
  const maxBatchCost = options.maxBatchCost ?? Infinity;
  const costOf = options.costOf ?? (() => 1);
  const slots: Array<Slot<I, R>> = Array.from({ length: Math.max(1, options.threads) }, () => ({
    worker: undefined,
    answered: false,
    batches: [],
  }));
  const live = new Set<Worker>();
  /** Threads that reported an uncaught error: exiting, they take no more batches. */
  const dying = new WeakSet<Worker>();
  const open = (slot: Slot<I, R>) => slot.worker === undefined || !dying.has(slot.worker);
  /** Calls with items not yet handed to a thread, oldest first. */
  const waiting: Array<Job<I, R>> = [];
  const waitingItems = () =>
    waiting.reduce((sum, job) => sum + job.items.length - job.nextIndex, 0);
  /** Batches a dead thread held but had not started: handed to the next thread with room first. */
  const resend: Array<Batch<I, R>['parts']> = [];
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

  /** Fails every call with items no thread holds. */
  function settleQueued(error: unknown) {
    for (const job of [...waiting]) settle(job, error);
    for (const parts of resend.splice(0)) for (const part of parts) settle(part.job, error);
  }

  /**
   * Stops a thread whose running batch no caller waits for any more (aborted, or failed in
   * another batch): it is needed elsewhere. The batches queued behind it go to the next thread
   * with room. `queuedOnly`: only threads that hold others (a thread running its only batch may
   * finish it; one stopped must load what it needs again).
   */
  function releaseAbandoned(queuedOnly: boolean) {
    let released = false;
    for (const slot of slots) {
      const running = slot.batches[0];
      if (running === undefined || !running.parts.every((part) => part.job.settled)) continue;
      if (queuedOnly && slot.batches.length < 2) continue;
      const worker = slot.worker;
      slot.worker = undefined;
      resend.unshift(...slot.batches.slice(1).map((batch) => batch.parts));
      slot.batches = [];
      if (worker !== undefined) void worker.terminate();
      released = true;
    }
    if (released) dispatch();
  }

  function spawn(slot: Slot<I, R>): Worker {
    const worker = startWorkerThread(options.callerUrl, options.worker, `engram-${name}`);
    live.add(worker);
    worker.on('message', (response: PoolResponse<R>) => onResponse(slot, response));
    // An uncaught error can be reported before answers the thread posted ahead of it arrive;
    // 'exit' comes after them all, so the thread's death is handled there, with the error's cause.
    let error: unknown;
    worker.on('error', (cause) => {
      error = cause;
      dying.add(worker);
    });
    worker.on('exit', (code) => {
      live.delete(worker);
      if (!closed && slot.worker === worker)
        onWorkerDied(slot, worker, error ?? new Error(`worker exited with code ${code}`));
    });
    return worker;
  }

  function onWorkerDied(slot: Slot<I, R>, worker: Worker, cause: unknown) {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    void worker.terminate();
    const held = slot.batches;
    slot.batches = [];
    if (closed) return;
    logger.error({ err: cause }, `${name} thread died; a new one starts with the next batch`);
    // Only the batch it ran fails: those queued behind it never ran (a worker takes one at a time)
    // and go to the next thread with room. A thread that never answered did not start (a broken
    // install, or a batch that kills a thread at once): retrying that batch cannot help.
    const [running, ...queued] = held;
    if (running !== undefined) {
      const error = new AppError('PROVIDER_FAILED', `${name} thread died: ${errorMessage(cause)}`, {
        cause,
        retryable: slot.answered,
      });
      options.onBatch?.({
        latencyMs: performance.now() - running.startedAt,
        items: running.parts.length,
        error: error.message,
      });
      for (const part of running.parts) settle(part.job, error);
    }
    resend.unshift(...queued.map((batch) => batch.parts));
    releaseAbandoned(true);
    dispatch();
  }

  function onResponse(slot: Slot<I, R>, response: PoolResponse<R>) {
    const batch = slot.batches[0];
    if (batch === undefined || batch.requestId !== response.requestId) return;
    slot.batches.shift();
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
    releaseAbandoned(true);
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
      settleQueued(error);
      return false;
    }
  }

  /** The next thread to hand a batch: the one holding fewest, if it has room. */
  function slotWithRoom(): Slot<I, R> | undefined {
    const candidates = slots.filter(open);
    if (candidates.length === 0) return undefined;
    const slot = candidates.reduce((least, s) =>
      s.batches.length < least.batches.length ? s : least,
    );
    if (slot.batches.length >= depth) return undefined;
    if (slot.worker === undefined && !start(slot)) return undefined;
    return slot;
  }

  function send(slot: Slot<I, R>, parts: Batch<I, R>['parts']) {
    const request: PoolRequest<I> = {
      requestId: nextRequestId++,
      items: parts.map((part) => part.job.items[part.index]!),
    };
    slot.batches.push({ requestId: request.requestId, parts, startedAt: performance.now() });
    slot.worker!.postMessage(request);
  }

  /** Hands batches to threads with room, the least loaded first, one item per waiting call in turn. */
  function dispatch() {
    if (closed) return;
    while (resend.length > 0) {
      const parts = resend[0]!.filter((part) => !part.job.settled);
      if (parts.length === 0) {
        resend.shift();
        continue;
      }
      const slot = slotWithRoom();
      if (slot === undefined) return;
      resend.shift();
      send(slot, parts);
    }
    while (waiting.length > 0) {
      const slot = slotWithRoom();
      if (slot === undefined) return;
      // Share what is queued among the threads with room: 20 items and two idle threads make two
      // batches of 10, not one of 20 while the other thread sits idle. (Not among the batches
      // a thread may hold: cutting a thread's share smaller gains nothing and costs messages.)
      const withRoom = slots.filter((s) => open(s) && s.batches.length < depth).length;
      const queued = waitingItems();
      const limit = Math.min(batchSize, Math.ceil(queued / withRoom));
      const parts: Batch<I, R>['parts'] = [];
      let cost = 0;
      let turn = cursor;
      while (parts.length < limit && waiting.length > 0) {
        turn %= waiting.length;
        const job = waiting[turn]!;
        const itemCost = costOf(job.items[job.nextIndex]!);
        if (parts.length > 0 && cost + itemCost > maxBatchCost) break;
        cost += itemCost;
        parts.push({ job, index: job.nextIndex++ });
        if (job.nextIndex >= job.items.length) waiting.splice(turn, 1);
        else turn++;
      }
      cursor = turn;
      send(slot, parts);
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
          releaseAbandoned(false);
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
        queuedItems:
          waitingItems() +
          [...resend, ...slots.flatMap((slot) => slot.batches.slice(1).map((b) => b.parts))]
            .flat()
            .filter((part) => !part.job.settled).length,
      };
    },
    async close() {
      if (closed) {
        await Promise.all([...live].map((worker) => worker.terminate()));
        return;
      }
      closed = true;
      const error = new AppError('UNAVAILABLE', `${name} was closed`);
      settleQueued(error);
      for (const slot of slots) {
        for (const batch of slot.batches) for (const part of batch.parts) settle(part.job, error);
        slot.batches = [];
        slot.worker = undefined;
      }
      await Promise.all([...live].map((worker) => worker.terminate()));
    },
  };
}
