// What mapping an OTLP export yields: Engram events, each tagged with the OTLP item (span, log
// record) it came from, and the items that map to nothing, with the reason. The receiver counts
// both and reports the rejected ones in the response's partialSuccess.
import type { TelemetryEventInput } from '../events.js';

export interface MappedExport {
  /** Spans, log records or data points in the export. */
  items: number;
  events: Array<{ item: number; event: TelemetryEventInput }>;
  /** Items that map to no event, with why. */
  unmapped: Array<{ item: number; reason: string }>;
}

export function emptyExport(): MappedExport {
  return { items: 0, events: [], unmapped: [] };
}

/** The list at `value[key]`, or [] when absent. */
export function listOf(value: unknown, key: string): unknown[] {
  if (typeof value !== 'object' || value === null) return [];
  const list = (value as Record<string, unknown>)[key];
  return Array.isArray(list) ? list : [];
}

export function fieldOf(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  return (value as Record<string, unknown>)[key];
}

/** Ids and names as the event schema takes them (1–200 characters). */
export function clip(value: string): string {
  return value.slice(0, 200);
}
