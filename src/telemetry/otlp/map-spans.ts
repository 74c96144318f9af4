// GenAI semantic-convention spans → Engram events (the table in docs/telemetry.md):
// chat / text_completion / generate_content / embeddings → model_call; execute_tool → tool_call;
// search_memory / upsert_memory → tool_call (tool = the operation); invoke_agent → the session's
// session_start (span start) and session_end (span end). A span's event id is made of its trace
// id and span id, so a re-exported span is folded once. A span without valid ids or times, or a
// mapped operation without its model / tool name, is rejected; a well-formed span of another
// operation (or none: an HTTP or database span) is unmapped, kept under the same trace + span key.
import type { TelemetryEventInput } from '../events.js';
import { attributesOf, idHex, nanosToMs, num, str, type Attributes } from './attributes.js';
import {
  clip,
  contextOf,
  emptyExport,
  fieldOf,
  listOf,
  type MappedExport,
  type NotMapped,
} from './mapped.js';

const MODEL_CALL_OPERATIONS = new Set([
  'chat',
  'text_completion',
  'generate_content',
  'embeddings',
]);
const MEMORY_OPERATIONS = new Set(['search_memory', 'upsert_memory']);
const STATUS_CODE_ERROR = 2;
// Cache token attributes under both spellings instrumentations use.
const CACHE_READ = ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens'];
const CACHE_WRITE = [
  'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.usage.cache_creation_input_tokens',
];

export function mapSpans(request: Record<string, unknown>): MappedExport {
  const out = emptyExport();
  listOf(request, 'resourceSpans').forEach((resourceSpans, r) => {
    const resource = attributesOf(
      fieldOf(fieldOf(resourceSpans, 'resource'), 'attributes'),
      `resourceSpans[${r}].resource`,
    );
    listOf(resourceSpans, 'scopeSpans').forEach((scopeSpans, s) => {
      listOf(scopeSpans, 'spans').forEach((span, i) => {
        const where = `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`;
        const item = out.items++;
        const attrs = attributesOf(fieldOf(span, 'attributes'), where);
        const mapped = mapSpan(span, attrs, resource);
        if (typeof mapped === 'string') out.rejected.push({ item, reason: mapped });
        else if ('notMapped' in mapped) {
          const traceId = idHex(fieldOf(span, 'traceId'), 16)!;
          const spanId = idHex(fieldOf(span, 'spanId'), 8)!;
          const name = fieldOf(span, 'name');
          out.unmapped.push({
            item,
            key: `otlp:${traceId}:${spanId}`,
            name: typeof name === 'string' ? clip(name) : '',
            reason: mapped.notMapped,
            record: {
              ...contextOf(resource, fieldOf(scopeSpans, 'scope')),
              span: { ...(span as object), traceId, spanId },
            },
          });
        } else for (const event of mapped) out.events.push({ item, event });
      });
    });
  });
  return out;
}

/** The span's events, why it is rejected, or why nothing maps it. */
function mapSpan(
  span: unknown,
  attrs: Attributes,
  resource: Attributes,
): TelemetryEventInput[] | string | NotMapped {
  const traceId = idHex(fieldOf(span, 'traceId'), 16);
  const spanId = idHex(fieldOf(span, 'spanId'), 8);
  if (traceId === undefined || spanId === undefined)
    return 'span has no valid traceId (16 bytes) and spanId (8 bytes)';
  const start = nanosToMs(fieldOf(span, 'startTimeUnixNano'));
  const end = nanosToMs(fieldOf(span, 'endTimeUnixNano'));
  if (start === undefined || end === undefined)
    return 'span has no startTimeUnixNano / endTimeUnixNano';
  const operation = str(attrs, 'gen_ai.operation.name');
  if (operation === undefined) return { notMapped: 'not a GenAI span (no gen_ai.operation.name)' };
  const eventId = `otlp:${traceId}:${spanId}`;
  // Fields written out in every event literal: an object spread here cost more than the rest of
  // the mapping together (V8's clone path; measured with --cpu-prof).
  const ts = end;
  const agentId = clip(str(attrs, 'gen_ai.agent.name') ?? str(resource, 'service.name') ?? 'otlp');
  const sessionId = clip(
    str(attrs, 'gen_ai.conversation.id', 'session.id') ?? str(resource, 'session.id') ?? traceId,
  );
  const failed =
    fieldOf(fieldOf(span, 'status'), 'code') === STATUS_CODE_ERROR ||
    attrs.get('error.type') !== undefined;
  const durationMs = Math.max(0, end - start);
  if (MODEL_CALL_OPERATIONS.has(operation)) {
    const model = str(attrs, 'gen_ai.response.model', 'gen_ai.request.model');
    if (model === undefined) return `${operation} span has no gen_ai.request.model`;
    // Spans carry no cost: the telemetry service prices the tokens (src/telemetry/cost.ts).
    return [
      {
        type: 'model_call',
        eventId,
        ts,
        agentId,
        sessionId,
        model: clip(model),
        kind: operation,
        latencyMs: durationMs,
        inputTokens: num(attrs, 'gen_ai.usage.input_tokens') ?? 0,
        outputTokens: num(attrs, 'gen_ai.usage.output_tokens') ?? 0,
        cacheReadTokens: num(attrs, ...CACHE_READ) ?? 0,
        cacheWriteTokens: num(attrs, ...CACHE_WRITE) ?? 0,
        success: !failed,
      },
    ];
  }
  if (operation === 'execute_tool' || MEMORY_OPERATIONS.has(operation)) {
    const tool = operation === 'execute_tool' ? str(attrs, 'gen_ai.tool.name') : operation;
    if (tool === undefined) return 'execute_tool span has no gen_ai.tool.name';
    return [
      {
        type: 'tool_call',
        eventId,
        ts,
        agentId,
        sessionId,
        tool: clip(tool),
        success: !failed,
        durationMs,
      },
    ];
  }
  if (operation === 'invoke_agent') {
    return [
      { type: 'session_start', eventId: `${eventId}:start`, ts: start, agentId, sessionId },
      { type: 'session_end', eventId: `${eventId}:end`, ts, agentId, sessionId },
    ];
  }
  return {
    notMapped: `gen_ai.operation.name ${JSON.stringify(operation.slice(0, 60))} is not mapped`,
  };
}
