// Prometheus counters of the memory capability, on the runtime's registry (never the global one).
import { Counter, type Registry } from 'prom-client';

export interface MemoryMetrics {
  turnsAdded(count: number): void;
  episodesCreated(distiller: string, count: number): void;
  distillFailures(): void;
  memoriesEmbedded(count: number): void;
  citations(count: number): void;
  promotions(count: number): void;
  sessionsExpired(count: number): void;
  forgotten(count: number): void;
}

export const noMemoryMetrics: MemoryMetrics = {
  turnsAdded: () => undefined,
  episodesCreated: () => undefined,
  distillFailures: () => undefined,
  memoriesEmbedded: () => undefined,
  citations: () => undefined,
  promotions: () => undefined,
  sessionsExpired: () => undefined,
  forgotten: () => undefined,
};

export function createMemoryMetrics(registry: Registry): MemoryMetrics {
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const turns = counter('engram_memory_turns_added_total', 'Turns stored in sessions.');
  const episodes = counter(
    'engram_memory_episodes_created_total',
    'Episode memories distilled from turns, by distiller.',
    ['distiller'],
  );
  const failures = counter(
    'engram_memory_distill_failures_total',
    'Distillations that failed and will be retried.',
  );
  const embedded = counter('engram_memory_embedded_total', 'Memory items given a vector.');
  const cited = counter('engram_memory_citations_total', 'Memory items reported as used.');
  const promoted = counter(
    'engram_memory_promotions_total',
    'Episodic items promoted to semantic memory.',
  );
  const expired = counter('engram_memory_sessions_expired_total', 'Idle sessions removed.');
  const forgotten = counter(
    'engram_memory_forgotten_total',
    'Memory items deleted on request, with what was derived from them.',
  );
  return {
    turnsAdded: (count) => turns.inc(count),
    episodesCreated: (distiller, count) => episodes.inc({ distiller }, count),
    distillFailures: () => failures.inc(),
    memoriesEmbedded: (count) => embedded.inc(count),
    citations: (count) => cited.inc(count),
    promotions: (count) => promoted.inc(count),
    sessionsExpired: (count) => expired.inc(count),
    forgotten: (count) => forgotten.inc(count),
  };
}
