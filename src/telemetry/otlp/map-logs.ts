// Coding-agent log events → Engram events (the table in docs/telemetry.md). Claude Code sends
// claude_code.<name> records and the Codex CLI codex.<name> records; both are read by <name>:
// api_request → model_call (failed when it carries error.message or an HTTP status ≥ 400, as
// Codex's do); api_error → a failed model_call; tool_result → tool_call;
// tool_decision → suggestion accepted / rejected; user_prompt and conversation_starts → the
// session's session_start. A record's event id is a hash of its identity (name, time, trace
// context, attributes, body), so a re-exported record is folded once; a session's start has one
// id per session, so every prompt of it starts it once. A record of one of these events without
// what its mapping needs (a timestamp, a model, a tool name, a known decision, a session id) is
// rejected; a record of any other event, or of none (a plain log line), is unmapped and kept
// under the same identity hash.
import { createHash } from 'node:crypto';
import type { TelemetryEventInput } from '../events.js';
import { attributesOf, bodyOf, bool, nanosToMs, num, str, type Attributes } from './attributes.js';
import {
  clip,
  contextOf,
  emptyExport,
  fieldOf,
  listOf,
  type MappedExport,
  type NotMapped,
} from './mapped.js';

const ACCEPTED = new Set(['accept', 'accepted', 'approved', 'approved_for_session', 'allow']);
const REJECTED = new Set(['reject', 'rejected', 'denied', 'abort', 'deny']);
const MAPPED_EVENTS = new Set([
  'api_request',
  'api_error',
  'tool_result',
  'tool_decision',
  'user_prompt',
  'conversation_starts',
]);

export function mapLogs(request: Record<string, unknown>): MappedExport {
  const out = emptyExport();
  listOf(request, 'resourceLogs').forEach((resourceLogs, r) => {
    const resource = attributesOf(
      fieldOf(fieldOf(resourceLogs, 'resource'), 'attributes'),
      `resourceLogs[${r}].resource`,
    );
    listOf(resourceLogs, 'scopeLogs').forEach((scopeLogs, s) => {
      listOf(scopeLogs, 'logRecords').forEach((record, i) => {
        const where = `resourceLogs[${r}].scopeLogs[${s}].logRecords[${i}]`;
        const item = out.items++;
        const attrs = attributesOf(fieldOf(record, 'attributes'), where);
        const body = bodyOf(fieldOf(record, 'body'), where);
        const fullName = eventNameOf(record, attrs, body);
        const mapped = mapRecord(record, attrs, body, resource, fullName);
        if (typeof mapped === 'string') out.rejected.push({ item, reason: mapped });
        else if ('notMapped' in mapped)
          out.unmapped.push({
            item,
            key: `otlp:log:${identityHash(record, attrs, body, fullName ?? '')}`,
            name: clip(fullName ?? ''),
            reason: mapped.notMapped,
            record: { ...contextOf(resource, fieldOf(scopeLogs, 'scope')), logRecord: record },
          });
        else out.events.push({ item, event: mapped });
      });
    });
  });
  return out;
}

/** The event name: the record's eventName, its event.name attribute or a string body. */
function eventNameOf(record: unknown, attrs: Attributes, body: unknown): string | undefined {
  const given = fieldOf(record, 'eventName');
  return (
    (typeof given === 'string' && given !== '' ? given : undefined) ??
    str(attrs, 'event.name') ??
    (typeof body === 'string' && body !== '' ? body : undefined)
  );
}

/** A Codex api_request that failed: an error.message, or an HTTP status of 400 or more. */
function failedRequest(attrs: Attributes): boolean {
  const status = num(attrs, 'http.response.status_code', 'status_code');
  return str(attrs, 'error.message') !== undefined || (status !== undefined && status >= 400);
}

function identityHash(record: unknown, attrs: Attributes, body: unknown, name: string): string {
  const identity = JSON.stringify([
    name,
    fieldOf(record, 'timeUnixNano') ?? fieldOf(record, 'observedTimeUnixNano') ?? null,
    fieldOf(record, 'traceId') ?? null,
    fieldOf(record, 'spanId') ?? null,
    [...attrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    body ?? null,
  ]);
  return sha(identity);
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** The record's event, why it is rejected, or why nothing maps it. */
function mapRecord(
  record: unknown,
  attrs: Attributes,
  body: unknown,
  resource: Attributes,
  fullName: string | undefined,
): TelemetryEventInput | string | NotMapped {
  if (fullName === undefined)
    return { notMapped: 'log record has no event name (eventName, event.name or body)' };
  // "claude_code.api_request" and "codex.api_request" → "api_request".
  const name = fullName.replace(/^(claude_code|codex)\./, '');
  if (!MAPPED_EVENTS.has(name))
    return { notMapped: `log event ${JSON.stringify(fullName.slice(0, 60))} is not mapped` };
  const ts =
    nanosToMs(fieldOf(record, 'timeUnixNano')) ??
    nanosToMs(fieldOf(record, 'observedTimeUnixNano')) ??
    (str(attrs, 'event.timestamp') === undefined
      ? undefined
      : Date.parse(str(attrs, 'event.timestamp')!));
  if (ts === undefined || !Number.isFinite(ts)) return `${name}: log record has no timestamp`;
  const sessionId = clip(
    str(attrs, 'session.id', 'conversation.id') ??
      str(resource, 'session.id', 'conversation.id') ??
      'otlp',
  );
  // Fields written out in every event literal (an object spread costs more than the mapping).
  const agentId = clip(str(resource, 'service.name') ?? 'otlp');
  const eventId = `otlp:log:${identityHash(record, attrs, body, name)}`;
  const durationMs = Math.max(0, num(attrs, 'duration_ms') ?? 0);
  switch (name) {
    case 'api_request':
    case 'api_error': {
      const model = str(attrs, 'model');
      if (model === undefined) return `${name} has no model attribute`;
      // Without cost_usd the telemetry service prices the tokens (src/telemetry/cost.ts).
      const cost = num(attrs, 'cost_usd');
      const event: TelemetryEventInput = {
        type: 'model_call',
        eventId,
        ts,
        sessionId,
        agentId,
        model: clip(model),
        kind: 'chat',
        latencyMs: durationMs,
        inputTokens: num(attrs, 'input_tokens', 'input_token_count') ?? 0,
        outputTokens: num(attrs, 'output_tokens', 'output_token_count') ?? 0,
        cacheReadTokens: num(attrs, 'cache_read_tokens', 'cached_token_count') ?? 0,
        cacheWriteTokens: num(attrs, 'cache_creation_tokens') ?? 0,
        success: name === 'api_request' && !failedRequest(attrs),
      };
      if (cost !== undefined) event.cost = cost;
      return event;
    }
    case 'tool_result': {
      const tool = str(attrs, 'tool_name');
      if (tool === undefined) return 'tool_result has no tool_name attribute';
      return {
        type: 'tool_call',
        eventId,
        ts,
        sessionId,
        agentId,
        tool: clip(tool),
        success: bool(attrs, 'success') ?? false,
        durationMs,
      };
    }
    case 'tool_decision': {
      const decision = str(attrs, 'decision')?.toLowerCase();
      const action =
        decision !== undefined && ACCEPTED.has(decision)
          ? 'accepted'
          : decision !== undefined && REJECTED.has(decision)
            ? 'rejected'
            : undefined;
      if (action === undefined)
        return `tool_decision has decision ${JSON.stringify(decision?.slice(0, 40) ?? null)}; expected accept or reject`;
      return { type: 'suggestion', eventId, ts, sessionId, agentId, action };
    }
    case 'user_prompt':
    case 'conversation_starts':
      if (sessionId === 'otlp') return `${name} has no session.id attribute`;
      return {
        type: 'session_start',
        eventId: `otlp:session:${sha(sessionId)}:start`,
        ts,
        sessionId,
        agentId,
      };
    default:
      return { notMapped: `log event ${JSON.stringify(fullName.slice(0, 60))} is not mapped` };
  }
}
