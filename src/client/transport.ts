// The client's fetch: a timeout per attempt, the caller's AbortSignal, and retries with backoff
// on 429 and 503, waiting as long as the server's Retry-After says. Only web-standard APIs, so it
// runs in Node and in edge runtimes alike.
import { backoffDelayMs } from '../domain/backoff.js';
import { EngramError } from './errors.js';

const RETRY_STATUSES = new Set([429, 503]);

export interface TransportOptions {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  /** Per attempt, from sending the request to the response headers. */
  timeoutMs: number;
  /** Attempts after the first one, on 429 and 503 only. */
  maxRetries: number;
  /** First backoff step when the server names no Retry-After. */
  retryBaseDelayMs: number;
  /** Longest wait between attempts; a longer Retry-After ends the retries. */
  maxRetryDelayMs: number;
}

/** Milliseconds the answer asks the caller to wait (Retry-After in seconds or as a date). */
function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One attempt: plain fetch(url, init) with the body as bytes (cheaper than a Request per
 * attempt), and one controller aborted by the caller's signal or the timeout, whichever is first.
 */
async function attempt(
  request: Request,
  body: ArrayBuffer | undefined,
  options: TransportOptions,
): Promise<Response> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(request.signal.reason);
  request.signal.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  try {
    return await options.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(body === undefined ? {} : { body }),
      signal: controller.signal,
    });
  } catch (error) {
    request.signal.removeEventListener('abort', onAbort);
    if (!timedOut) throw error;
    throw new EngramError(
      'CLIENT_TIMEOUT',
      `No answer from ${new URL(request.url).pathname} within ${options.timeoutMs} ms.`,
      { status: 0, requestId: request.headers.get('x-request-id') ?? undefined, cause: error },
    );
  } finally {
    // The timeout covers the wait for the headers; the caller's signal stays connected, so
    // aborting it still stops the body being read.
    clearTimeout(timer);
  }
}

export function createTransport(
  options: TransportOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    // Read once, so every attempt can send it.
    const body = request.body === null ? undefined : await request.arrayBuffer();
    // One id per call, kept across its retries: the server logs under it, errors carry it.
    if (!request.headers.has('x-request-id'))
      request.headers.set('x-request-id', crypto.randomUUID());
    for (let retry = 1; ; retry++) {
      const response = await attempt(request, body, options);
      if (!RETRY_STATUSES.has(response.status) || retry > options.maxRetries) return response;
      const delayMs =
        retryAfterMs(response) ??
        backoffDelayMs(retry, { baseMs: options.retryBaseDelayMs, maxMs: options.maxRetryDelayMs });
      if (delayMs > options.maxRetryDelayMs) return response;
      await response.body?.cancel();
      await sleep(delayMs, request.signal);
    }
  };
}
