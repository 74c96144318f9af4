// What mapping an OTLP export yields: Engram events, each tagged with the OTLP item (span, log
// record) it came from; the items rejected as malformed (a kind Engram maps, without what the
// mapping needs: ids, times, a model, a tool name…), with the reason; and the well-formed items
// nothing maps (another kind of span or log event), with their idempotency key, name, reason and
// the record itself, which the receiver keeps (unmapped.ts). Rejected items are reported in the
// response's partialSuccess; unmapped ones are accepted, kept and counted.
import type { TelemetryEventInput } from '../events.js';
import type { Attributes } from './attributes.js';

/** A well-formed item of a kind Engram does not map. */
export interface UnmappedItem {
  item: number;
  /** Idempotency key: a re-sent item has the same one. */
  key: string;
  /** Span name, log event name or metric name ('' when the item has none). */
  name: string;
  reason: string;
  /** The item with its resource and scope, as JSON-ready values. */
  record: Record<string, unknown>;
}

export interface MappedExport {
  /** Spans, log records or data points in the export. */
  items: number;
  events: Array<{ item: number; event: TelemetryEventInput }>;
  /** Items rejected as malformed, with why. */
  rejected: Array<{ item: number; reason: string }>;
  unmapped: UnmappedItem[];
}

/** Why an item maps to nothing although it is well formed (a mapper's answer). */
export interface NotMapped {
  notMapped: string;
  /** The item's name when it differs from the one the caller knows. */
  name?: string;
}

export function emptyExport(): MappedExport {
  return { items: 0, events: [], rejected: [], unmapped: [] };
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

/** The resource and scope an unmapped item is kept with. */
export function contextOf(
  resource: Attributes | Record<string, unknown>,
  scope: unknown,
): Record<string, unknown> {
  return {
    resource: resource instanceof Map ? Object.fromEntries(resource) : resource,
    scope: { name: fieldOf(scope, 'name') ?? '', version: fieldOf(scope, 'version') ?? '' },
  };
}
