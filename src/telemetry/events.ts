// Telemetry events: one zod discriminated union gives validation, the TypeScript type and the
// OpenAPI schema. Every event carries a client-made eventId, the idempotency key of folding.
// Every number has a documented upper bound (docs/telemetry.md), so no sum the workers fold can
// overflow to Infinity: an out-of-range event is rejected at the API, never folded.
import { z } from 'zod';

const MAX_ID = 200;
/** Largest latencyMs / durationMs: one week. */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000;
/** Largest inputTokens / outputTokens of one call. */
export const MAX_TOKENS = 1_000_000_000;
/** Largest cost of one call. */
export const MAX_COST = 1_000_000;
const noControl = (value: string) => !/[\p{Cc}]/u.test(value);
const id = z.string().min(1).max(MAX_ID).refine(noControl, 'must not contain control characters');
const name = z.string().min(1).max(MAX_ID).refine(noControl, 'must not contain control characters');
/** Milliseconds since the epoch, or an ISO-8601 string (normalised to milliseconds). */
const timestamp = z.union([
  z.number().int().min(0).max(8_640_000_000_000_000),
  z.iso.datetime({ offset: true }).transform((value) => Date.parse(value)),
]);
const duration = z.number().finite().min(0).max(MAX_DURATION_MS);
const cost = z.number().finite().min(0).max(MAX_COST);
const count = z.number().int().min(0).max(MAX_TOKENS);

const base = {
  eventId: id,
  ts: timestamp,
  sessionId: id,
  agentId: id,
};

export const modelCallEvent = z.object({
  ...base,
  type: z.literal('model_call'),
  model: name,
  latencyMs: duration,
  inputTokens: count,
  outputTokens: count,
  /** Input tokens read from / written to the provider's prompt cache (not in inputTokens). */
  cacheReadTokens: count.optional(),
  cacheWriteTokens: count.optional(),
  /** USD; when absent, the price table (src/telemetry/cost.ts) prices the tokens if it knows the model. */
  cost: cost.optional(),
  /** Defaults to true; a failed call still has a latency and counts as a call. */
  success: z.boolean().optional(),
  /** e.g. `embedding` or `chat` for Engram's own calls. */
  kind: z.string().max(40).optional(),
});

export const suggestionEvent = z.object({
  ...base,
  type: z.literal('suggestion'),
  action: z.enum(['shown', 'accepted', 'rejected']),
  latencyMs: duration.optional(),
});

export const toolCallEvent = z.object({
  ...base,
  type: z.literal('tool_call'),
  tool: name,
  success: z.boolean(),
  durationMs: duration,
});

export const sessionStartEvent = z.object({ ...base, type: z.literal('session_start') });
export const sessionEndEvent = z.object({ ...base, type: z.literal('session_end') });

export const telemetryEventSchema = z.discriminatedUnion('type', [
  modelCallEvent,
  suggestionEvent,
  toolCallEvent,
  sessionStartEvent,
  sessionEndEvent,
]);

/** An event as clients send it (ts may be an ISO string). */
export type TelemetryEventInput = z.input<typeof telemetryEventSchema>;
/** An event after validation (ts in milliseconds). */
export type TelemetryEvent = z.output<typeof telemetryEventSchema>;
export type TelemetryEventType = TelemetryEvent['type'];

export interface EventRejection {
  index: number;
  code: 'VALIDATION_FAILED' | 'INPUT_TOO_LARGE';
  message: string;
}

const CONTROL = /[\p{Cc}]/u;

function isId(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length >= 1 && value.length <= MAX_ID && !CONTROL.test(value)
  );
}
function isWithin(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= max;
}
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_TOKENS;
}

/**
 * The common case without zod (≈10× faster on hot paths: the API and every worker validate each
 * event): accepts only what the schema accepts (numeric ts; ISO strings take the zod path) and
 * returns the same object zod would. Anything unusual returns undefined and zod decides.
 * A property test holds the two in step.
 */
export function fastParseEvent(raw: unknown): TelemetryEvent | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const { eventId, ts, sessionId, agentId } = r;
  if (!isId(eventId) || !isId(sessionId) || !isId(agentId)) return undefined;
  if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < 0 || ts > 8_640_000_000_000_000)
    return undefined;
  const base = { eventId, ts, sessionId, agentId };
  switch (r.type) {
    case 'model_call': {
      const { model, latencyMs, inputTokens, outputTokens, cost, success, kind } = r;
      const { cacheReadTokens, cacheWriteTokens } = r;
      if (
        !isId(model) ||
        !isWithin(latencyMs, MAX_DURATION_MS) ||
        !isCount(inputTokens) ||
        !isCount(outputTokens)
      )
        return undefined;
      if (cacheReadTokens !== undefined && !isCount(cacheReadTokens)) return undefined;
      if (cacheWriteTokens !== undefined && !isCount(cacheWriteTokens)) return undefined;
      if (cost !== undefined && !isWithin(cost, MAX_COST)) return undefined;
      if (success !== undefined && typeof success !== 'boolean') return undefined;
      if (kind !== undefined && (typeof kind !== 'string' || kind.length > 40)) return undefined;
      return {
        ...base,
        type: 'model_call',
        model,
        latencyMs,
        inputTokens,
        outputTokens,
        ...(cacheReadTokens === undefined ? {} : { cacheReadTokens }),
        ...(cacheWriteTokens === undefined ? {} : { cacheWriteTokens }),
        ...(cost === undefined ? {} : { cost }),
        ...(success === undefined ? {} : { success }),
        ...(kind === undefined ? {} : { kind }),
      };
    }
    case 'suggestion': {
      const { action, latencyMs } = r;
      if (action !== 'shown' && action !== 'accepted' && action !== 'rejected') return undefined;
      if (latencyMs !== undefined && !isWithin(latencyMs, MAX_DURATION_MS)) return undefined;
      return {
        ...base,
        type: 'suggestion',
        action,
        ...(latencyMs === undefined ? {} : { latencyMs }),
      };
    }
    case 'tool_call': {
      const { tool, success, durationMs } = r;
      if (!isId(tool) || typeof success !== 'boolean' || !isWithin(durationMs, MAX_DURATION_MS))
        return undefined;
      return { ...base, type: 'tool_call', tool, success, durationMs };
    }
    case 'session_start':
      return { ...base, type: 'session_start' };
    case 'session_end':
      return { ...base, type: 'session_end' };
    default:
      return undefined;
  }
}

/** Validates one event; the message names the first offending field. */
export function parseEvent(
  raw: unknown,
): { ok: true; event: TelemetryEvent } | { ok: false; message: string } {
  const fast = fastParseEvent(raw);
  if (fast !== undefined) return { ok: true, event: fast };
  const result = telemetryEventSchema.safeParse(raw);
  if (result.success) return { ok: true, event: result.data };
  const issue = result.error.issues[0];
  const path = issue === undefined || issue.path.length === 0 ? 'event' : issue.path.join('.');
  return { ok: false, message: `${path}: ${issue?.message ?? 'invalid'}` };
}
