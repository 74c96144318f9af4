// The deadline of every request once received (ENGRAM_REQUEST_DEADLINE_MS) and the signal that
// carries it to the work the request starts (stores, providers): `request.workSignal` aborts at
// the deadline — the caller then gets 504 TIMEOUT — or when the client goes away before its
// answer. Not Fastify's own handlerTimeout and request.signal: over a real socket Fastify 5.12
// aborts request.signal as soon as a request body has been read (the raw request's 'close'
// fires then; fastify/fastify#6725) and clears its deadline timer with it, so every POST would
// have its embedding cancelled and no deadline at all. `inject` never showed it.
import { AppError } from '../domain/errors.js';
import type { EngramApp } from './engram-app.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Aborts at the request's deadline or when its client goes away; pass it to the work. */
    workSignal: AbortSignal;
  }
}

export function deadlineError(): AppError {
  return new AppError(
    'TIMEOUT',
    'The request did not finish within its deadline (ENGRAM_REQUEST_DEADLINE_MS) and was cancelled. A write may still have happened: retrying is safe (writes are idempotent); narrow a read.',
    { retryable: true },
  );
}

export function installDeadline(app: EngramApp, options: { deadlineMs: number }): void {
  app.decorateRequest('workSignal', null as unknown as AbortSignal);
  app.addHook('onRequest', async (request, reply) => {
    const controller = new AbortController();
    request.workSignal = controller.signal;
    const timer = setTimeout(() => {
      if (reply.sent) return;
      const error = deadlineError();
      controller.abort(error);
      // The work may have answered synchronously from its abort listener.
      if (!reply.sent) void reply.send(error);
    }, options.deadlineMs);
    timer.unref();
    reply.raw.once('finish', () => clearTimeout(timer));
    reply.raw.once('close', () => {
      clearTimeout(timer);
      if (!reply.raw.writableEnded) {
        controller.abort(new DOMException('The client went away before its answer', 'AbortError'));
      }
    });
  });
}
