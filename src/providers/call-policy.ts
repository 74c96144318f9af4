// Resilience for calls to a model server: a timeout per attempt, retries with exponential
// backoff and full jitter for transient failures only, and a circuit breaker (cockatiel) that
// stops hammering a server that keeps failing. "Transient" is an AppError with retryable=true
// (429, 5xx, network error, timeout); anything else (400, 401, bad output) fails at once and
// does not count against the breaker, because the server is healthy — the request is wrong.
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { AppError, errorMessage, isAppError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import { abortError } from './abort.js';

export interface CallPolicyOptions {
  /** What is being called, for messages: `embedding server http://127.0.0.1:11434/v1`. */
  target: string;
  timeoutMs: number;
  logger: Logger;
  /** Attempts in all, the first included. */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Consecutive transient failures that open the breaker. */
  breakerThreshold?: number;
  /** How long an open breaker rejects calls before letting one through to probe. */
  breakerHalfOpenAfterMs?: number;
}

export interface CallPolicy {
  /**
   * Runs `attempt` until it succeeds, fails permanently, or attempts run out. Each attempt
   * gets a signal that aborts at the timeout or when the caller's signal aborts.
   */
  execute<T>(attempt: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_BREAKER_THRESHOLD = 5;

export function createCallPolicy(options: CallPolicyOptions): CallPolicy {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const backoffBaseMs = options.backoffBaseMs ?? 250;
  const backoffMaxMs = options.backoffMaxMs ?? 10_000;
  const threshold = options.breakerThreshold ?? DEFAULT_BREAKER_THRESHOLD;
  const halfOpenAfterMs = options.breakerHalfOpenAfterMs ?? 30_000;
  const breaker: CircuitBreakerPolicy = circuitBreaker(
    handleWhen((error) => isAppError(error) && error.retryable),
    { halfOpenAfter: halfOpenAfterMs, breaker: new ConsecutiveBreaker(threshold) },
  );
  let lastFailure = '';
  breaker.onBreak(() => {
    options.logger.warn(
      { target: options.target, lastFailure },
      'model server failing: circuit breaker opened',
    );
  });
  breaker.onReset(() => {
    options.logger.info(
      { target: options.target },
      'model server answering again: circuit breaker closed',
    );
  });

  async function runAttempt<T>(
    attempt: (signal: AbortSignal) => Promise<T>,
    outer?: AbortSignal,
  ): Promise<T> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeoutMs);
    const onOuterAbort = () => controller.abort();
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    try {
      return await attempt(controller.signal);
    } catch (error) {
      if (outer?.aborted) throw abortError(outer);
      if (timedOut) {
        throw new AppError(
          'PROVIDER_FAILED',
          `${options.target} did not answer within ${options.timeoutMs} ms (ENGRAM_PROVIDER_TIMEOUT_MS)`,
          {
            cause: error,
            retryable: true,
            details: { reason: 'timeout', timeoutMs: options.timeoutMs },
          },
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }

  return {
    async execute(attempt, signal) {
      for (let attemptNo = 1; ; attemptNo++) {
        if (signal?.aborted) throw abortError(signal);
        try {
          return await breaker.execute(() => runAttempt(attempt, signal));
        } catch (error) {
          if (error instanceof BrokenCircuitError) {
            throw new AppError(
              'PROVIDER_FAILED',
              `${options.target} is unavailable: circuit breaker open after ${threshold} consecutive failures; ` +
                `calls resume in up to ${Math.round(halfOpenAfterMs / 1000)} s (last failure: ${lastFailure || 'unknown'})`,
              { retryable: true, details: { reason: 'circuit_open', lastFailure } },
            );
          }
          if (signal?.aborted) throw abortError(signal);
          if (!isAppError(error)) throw error;
          if (error.retryable) lastFailure = error.message;
          if (!error.retryable || attemptNo >= maxAttempts) {
            if (error.retryable && maxAttempts > 1) {
              throw new AppError(
                error.code,
                `${error.message} (gave up after ${attemptNo} attempts)`,
                {
                  cause: error.cause ?? error,
                  retryable: true,
                  details: { ...error.details, attempts: attemptNo },
                },
              );
            }
            throw error;
          }
          const delayMs = retryDelayMs(attemptNo, backoffBaseMs, backoffMaxMs, retryAfterOf(error));
          options.logger.debug(
            { target: options.target, attempt: attemptNo, delayMs, error: errorMessage(error) },
            'model call failed; retrying',
          );
          await sleep(delayMs, signal);
        }
      }
    },
  };
}

/** Full jitter (AWS architecture blog): uniform in [0, min(max, base·2^(n-1))]; a server's Retry-After wins when larger. */
function retryDelayMs(
  attemptNo: number,
  baseMs: number,
  maxMs: number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attemptNo - 1));
  const jittered = Math.random() * ceiling;
  return retryAfterMs === undefined ? jittered : Math.min(maxMs, Math.max(jittered, retryAfterMs));
}

function retryAfterOf(error: AppError): number | undefined {
  const value = error.details?.['retryAfterMs'];
  return typeof value === 'number' ? value : undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
