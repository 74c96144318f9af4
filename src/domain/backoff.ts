// Exponential backoff with jitter: spreads retries so failing work does not return in lockstep.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Delay before attempt `attempt + 1` after `attempt` failures (1-based): half fixed, half random. */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
