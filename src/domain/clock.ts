// Clock: the one source of "now", so tests can move time instead of sleeping.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests can set and advance. */
export function createManualClock(startMs = Date.UTC(2026, 0, 1)): Clock & {
  set(ms: number): void;
  advance(ms: number): void;
} {
  let current = startMs;
  return {
    now: () => current,
    set: (ms) => {
      current = ms;
    },
    advance: (ms) => {
      current += ms;
    },
  };
}
