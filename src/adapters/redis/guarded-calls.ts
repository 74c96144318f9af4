// Redis calls that may fail without failing the request that made them (the token cache, the
// rate limiter's counters): each runs under a timeout and a circuit breaker over a fail-fast
// connection. After `threshold` consecutive failures the breaker opens and calls fail at once,
// without touching Redis, until a trial call after `halfOpenAfterMs` succeeds. The caller answers
// a failure from what it has in process.
import { once } from 'node:events';
import {
  circuitBreaker,
  ConsecutiveBreaker,
  CircuitState,
  handleAll,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import type { Redis } from 'ioredis';
import type { BreakerState } from '../../ports/token-cache.js';

export interface GuardOptions {
  /** A connection of its own, opened fail-fast (no offline queue); the caller closes it. */
  redis: Redis;
  /** Upper bound of one call, on top of the connection's command timeout. */
  timeoutMs: number;
  threshold: number;
  halfOpenAfterMs: number;
  onStateChange?: (state: BreakerState) => void;
}

export interface GuardedCalls {
  /**
   * Runs `call` under the timeout and the breaker; rejects at once while the breaker is open. A
   * fail-fast connection refuses commands until connected, so a call waits for it (within its
   * timeout) instead of failing while the first connection is still being made.
   */
  run<T>(call: () => Promise<T>): Promise<T>;
  /** The breaker's state, without touching Redis. */
  state(): BreakerState;
}

function breakerStateOf(state: CircuitState): BreakerState {
  if (state === CircuitState.Closed) return 'closed';
  if (state === CircuitState.HalfOpen) return 'half-open';
  return 'open';
}

export function guardRedisCalls(options: GuardOptions): GuardedCalls {
  const { redis } = options;
  const breaker = circuitBreaker(handleAll, {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.threshold),
  });
  const policy = wrap(breaker, timeout(options.timeoutMs, TimeoutStrategy.Aggressive));
  const { onStateChange } = options;
  if (onStateChange !== undefined) {
    breaker.onStateChange((state) => onStateChange(breakerStateOf(state)));
  }
  // One wait for the connection, shared by every call waiting on it (a listener each would pass
  // Node's limit of ten under load); it fails on the connection's next error, as a call would.
  let connecting: Promise<unknown> | undefined;
  const ready = (signal: AbortSignal): Promise<unknown> => {
    connecting ??= once(redis, 'ready').finally(() => (connecting = undefined));
    const wait = connecting;
    return new Promise((resolve, reject) => {
      const abort = () => reject(signal.reason as Error);
      signal.addEventListener('abort', abort, { once: true });
      wait.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
    });
  };
  return {
    run: (call) =>
      policy.execute(async ({ signal }) => {
        if (redis.status !== 'ready') {
          if (redis.status === 'end') throw new Error('the Redis connection is closed');
          await ready(signal);
        }
        return call();
      }),
    state: () => breakerStateOf(breaker.state),
  };
}
