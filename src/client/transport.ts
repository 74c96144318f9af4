// The client's fetch: a timeout per attempt, the caller's AbortSignal, and retries with backoff
// on 429 and 503, waiting as long as the server's Retry-After says. Only web-standard APIs, so it
// runs in Node and in edge runtimes alike.
import { backoffDelayMs } from '../domain/backoff.js';
import { EngramError } from './errors.js';

const RETRY_STATUSES = new Set([429, 503]);

export interface TransportOptions {
  fetch: (request: Request) => Promise<Response>;
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

async function attempt(request: Request, options: TransportOptions): Promise<Response> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    return await options.fetch(
      new Request(request, { signal: AbortSignal.any([request.signal, timeout]) }),
    );
  } catch (error) {
    if (!timeout.aborted || request.signal.aborted) throw error;
    throw new EngramError(
      'CLIENT_TIMEOUT',
      `No answer from ${new URL(request.url).pathname} within ${options.timeoutMs} ms.`,
      { status: 0, requestId: request.headers.get('x-request-id') ?? undefined, cause: error },
    );
  }
}

export function createTransport(
  options: TransportOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    for (let retry = 1; ; retry++) {
      // Each attempt sends its own copy, so a body can be sent again.
      const response = await attempt(request.clone(), options);
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
