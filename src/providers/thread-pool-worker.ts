// The worker side of a thread pool (thread-pool.ts): answers each batch the main thread sends
// with its results, or with the error that stopped it, one batch at a time in the order they
// came. The main thread may send a thread several (the pool's `depth`).
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../domain/errors.js';
import type { PoolRequest, PoolResponse } from './thread-pool.js';

export interface BatchHandler<I, R> {
  /** The results of one batch; `loadMs` once, when the batch had to load something first. */
  run(items: I[]): Promise<{ results: R[]; loadMs?: number }> | { results: R[]; loadMs?: number };
  /** Buffers moved, not copied, to the main thread (vectors). */
  transfer?(results: R[]): ArrayBuffer[];
}

export function serveThreadPool<I, R>(handler: BatchHandler<I, R>): void {
  const port = parentPort;
  if (port === null) throw new Error('a thread pool worker must run in a worker thread');
  // One batch at a time, in the order they came, even when the handler awaits: the main thread
  // takes the batches queued behind a dying thread's running one for never started. A link never
  // rejects: a batch whose answer cannot be sent (a result that cannot be cloned) is answered
  // with that error, under its own id, and the next batch runs.
  let previous: Promise<void> = Promise.resolve();
  const answer = async (request: PoolRequest<I>): Promise<void> => {
    try {
      const { results, loadMs } = await handler.run(request.items);
      const response: PoolResponse<R> =
        loadMs === undefined
          ? { type: 'result', requestId: request.requestId, results }
          : { type: 'result', requestId: request.requestId, results, loadMs };
      port.postMessage(response, handler.transfer?.(results) ?? []);
    } catch (error) {
      port.postMessage({
        type: 'error',
        requestId: request.requestId,
        message: errorMessage(error),
      } satisfies PoolResponse<R>);
    }
  };
  port.on('message', (request: PoolRequest<I>) => {
    previous = previous.then(() => answer(request));
  });
}
