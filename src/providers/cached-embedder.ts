// Content-hash cache in front of any embedder: identical texts are embedded once. The key is
// the embedder id plus the SHA-256 of the text, so two embedders never share vectors, and
// concurrent calls for the same text share one computation instead of racing to compute it.
// A shared computation is cancelled only when every caller waiting on it has aborted.
import { LRUCache } from 'lru-cache';
import { sha256Hex } from '../domain/hashing.js';
import type { EmbedOptions, Embedder } from '../ports/embedder.js';
import { abortError } from './abort.js';

export interface CachedEmbedderOptions {
  /** Vectors kept; a 512-d vector is 2 KiB, so 10 000 entries are ~20 MiB. */
  maxEntries: number;
}

export interface CachedEmbedder extends Embedder {
  stats(): { entries: number; hits: number; misses: number; shared: number };
}

export function createCachedEmbedder(
  inner: Embedder,
  options: CachedEmbedderOptions,
): CachedEmbedder {
  const cache = new LRUCache<string, Float32Array>({ max: Math.max(1, options.maxEntries) });
  /** Vectors being computed now, by key; a second caller awaits the first one's promise. */
  const inflight = new Map<string, { promise: Promise<Float32Array>; run: Computation }>();
  let hits = 0;
  let misses = 0;
  let shared = 0;

  async function embed(texts: string[], embedOptions: EmbedOptions = {}): Promise<Float32Array[]> {
    const keys = texts.map((text) => `${inner.id}\u0000${sha256Hex(text)}`);
    const pending = new Array<Promise<Float32Array>>(texts.length);
    const missingTexts: string[] = [];
    const missingKeys: string[] = [];
    const deferreds = new Map<string, { resolve(v: Float32Array): void; reject(e: Error): void }>();
    const awaited = new Set<Computation>();
    const run: Computation = { controller: new AbortController(), waiting: 0 };

    keys.forEach((key, i) => {
      const cached = cache.get(key);
      if (cached !== undefined) {
        hits++;
        pending[i] = Promise.resolve(cached);
        return;
      }
      const running = inflight.get(key);
      if (running !== undefined) {
        shared++;
        pending[i] = running.promise;
        awaited.add(running.run);
        return;
      }
      misses++;
      let resolve!: (v: Float32Array) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<Float32Array>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Shared promises may end up awaited by nobody (every caller aborted): never unhandled.
      promise.catch(() => undefined);
      inflight.set(key, { promise, run });
      awaited.add(run);
      deferreds.set(key, { resolve, reject });
      missingTexts.push(texts[i]!);
      missingKeys.push(key);
      pending[i] = promise;
    });

    // The computation is shared, so one caller's abort must not fail the others: each caller
    // stops waiting when its own signal aborts, and the computation is cancelled once nobody
    // waits for it any more (a caller without a signal waits to the end).
    const release = waitFor(awaited, embedOptions.signal);
    if (missingTexts.length > 0) {
      inner.embed(missingTexts, { signal: run.controller.signal }).then(
        (vectors) => {
          missingKeys.forEach((key, j) => {
            const vector = vectors[j]!;
            cache.set(key, vector);
            inflight.delete(key);
            deferreds.get(key)!.resolve(vector);
          });
        },
        (error: unknown) => {
          for (const key of missingKeys) {
            inflight.delete(key);
            deferreds.get(key)!.reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
      );
    }

    const all = Promise.all(pending);
    let vectors: Float32Array[];
    try {
      vectors = await (embedOptions.signal === undefined
        ? all
        : raceAbort(all, embedOptions.signal));
    } finally {
      release();
    }
    // Copies: the cached vector must not change if a caller writes into its result.
    return vectors.map((vector) => vector.slice());
  }

  return {
    id: inner.id,
    get dimension() {
      return inner.dimension;
    },
    embed,
    stats: () => ({ entries: cache.size, hits, misses, shared }),
    async close() {
      cache.clear();
      await inner.close();
    },
  };
}

/** A shared embedding call, and how many callers still wait for it. */
interface Computation {
  controller: AbortController;
  waiting: number;
}

/**
 * Counts the caller as waiting on each computation; when its signal aborts it stops waiting, and
 * a computation nobody waits on is aborted. Returns the cleanup for when the caller is done.
 */
function waitFor(runs: Set<Computation>, signal: AbortSignal | undefined): () => void {
  for (const run of runs) run.waiting++;
  if (signal === undefined) return () => undefined;
  const onAbort = () => {
    for (const run of runs) {
      run.waiting--;
      if (run.waiting === 0) run.controller.abort(signal.reason);
    }
  };
  if (signal.aborted) {
    onAbort();
    return () => undefined;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Nobody will await `promise` (its computation is being cancelled): it must not reject
    // unhandled, which would end the process.
    promise.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: Error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
