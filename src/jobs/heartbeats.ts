// Heartbeats: each background loop beats after every pass; /ready fails when one goes stale.
import type { Clock } from '../domain/clock.js';

export interface HeartbeatStatus {
  name: string;
  lastBeatMs: number;
  ageMs: number;
  fresh: boolean;
}

export interface Heartbeats {
  /** Declares a loop that must keep beating; it counts as stale until its first beat. */
  register(name: string, staleAfterMs: number): void;
  unregister(name: string): void;
  beat(name: string): void;
  snapshot(): HeartbeatStatus[];
}

export function createHeartbeats(clock: Clock): Heartbeats {
  const loops = new Map<string, { staleAfterMs: number; lastBeatMs: number }>();
  return {
    register(name, staleAfterMs) {
      loops.set(name, { staleAfterMs, lastBeatMs: clock.now() });
    },
    unregister(name) {
      loops.delete(name);
    },
    beat(name) {
      const loop = loops.get(name);
      if (loop !== undefined) loop.lastBeatMs = clock.now();
    },
    snapshot() {
      const now = clock.now();
      return [...loops.entries()].map(([name, loop]) => ({
        name,
        lastBeatMs: loop.lastBeatMs,
        ageMs: now - loop.lastBeatMs,
        fresh: now - loop.lastBeatMs <= loop.staleAfterMs,
      }));
    },
  };
}
