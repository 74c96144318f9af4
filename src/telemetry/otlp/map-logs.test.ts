// Log-record mapping in the shapes the SDK test does not send: the OTLP eventName field, Codex
// names and decisions, an unknown decision, a missing session, and ids that do not depend on
// attribute order but do on every identity field.
import { describe, expect, it } from 'vitest';
import { mapLogs } from './map-logs.js';

const s = (key: string, value: string) => ({ key, value: { stringValue: value } });

function request(records: unknown[], service = 'codex_cli_rs') {
  return {
    resourceLogs: [
      {
        resource: { attributes: [s('service.name', service)] },
        scopeLogs: [{ logRecords: records }],
      },
    ],
  };
}

describe('mapLogs', () => {
  it('reads the event name from eventName, event.name or the body, without the agent prefix', () => {
    const time = '1767225600000000000';
    const out = mapLogs(
      request([
        {
          eventName: 'codex.tool_decision',
          timeUnixNano: time,
          attributes: [s('conversation.id', 'c1'), s('decision', 'approved')],
        },
        {
          timeUnixNano: time,
          attributes: [
            s('event.name', 'tool_decision'),
            s('conversation.id', 'c1'),
            s('decision', 'denied'),
          ],
        },
        {
          timeUnixNano: time,
          body: { stringValue: 'codex.conversation_starts' },
          attributes: [s('conversation.id', 'c1')],
        },
        {
          timeUnixNano: time,
          attributes: [s('decision', 'maybe'), s('event.name', 'tool_decision')],
        },
        { timeUnixNano: time, attributes: [s('event.name', 'user_prompt')] },
        { attributes: [s('event.name', 'api_request'), s('model', 'gpt-5')] },
      ]),
    );
    expect(
      out.events.map((e) => [e.item, e.event.type, 'action' in e.event ? e.event.action : null]),
    ).toEqual([
      [0, 'suggestion', 'accepted'],
      [1, 'suggestion', 'rejected'],
      [2, 'session_start', null],
    ]);
    expect(out.events[0]?.event).toMatchObject({
      agentId: 'codex_cli_rs',
      sessionId: 'c1',
      ts: 1767225600000,
    });
    expect(out.rejected).toEqual([
      { item: 3, reason: 'tool_decision has decision "maybe"; expected accept or reject' },
      { item: 4, reason: 'user_prompt has no session.id attribute' },
      { item: 5, reason: 'api_request: log record has no timestamp' },
    ]);
  });

  it('gives a record the same id whatever its attribute order, and another id when any identity field differs', () => {
    const record = (attributes: unknown[], time = '1767225600000000000') => ({
      timeUnixNano: time,
      body: { stringValue: 'claude_code.tool_result' },
      attributes,
    });
    const a = [s('tool_name', 'Edit'), s('success', 'true'), s('session.id', 'x')];
    const ids = mapLogs(
      request([
        record(a),
        record([...a].reverse()),
        record([s('tool_name', 'Edit'), s('success', 'false'), s('session.id', 'x')]),
        record(a, '1767225600000000001'),
      ]),
    ).events.map((e) => e.event.eventId);
    expect(ids[0]).toBe(ids[1]);
    expect(new Set(ids).size).toBe(3);
  });

  it('starts a session once per session id, whatever its length', () => {
    const long = 'z'.repeat(500);
    const out = mapLogs(
      request(
        [1, 2].map((n) => ({
          timeUnixNano: String(1767225600000000000n + BigInt(n)),
          attributes: [s('event.name', 'user_prompt'), s('session.id', long)],
        })),
      ),
    );
    const [first, second] = out.events.map((e) => e.event);
    expect(first?.eventId).toBe(second?.eventId);
    expect(first?.eventId.length).toBeLessThanOrEqual(200);
    expect(first?.sessionId).toBe(long.slice(0, 200));
  });

  it('maps Codex api_request with its token counts, failed when the HTTP status or an error says so', () => {
    const time = '1767225600000000000';
    const request_ = (extra: Array<ReturnType<typeof s>>) => ({
      eventName: 'codex.api_request',
      timeUnixNano: time,
      attributes: [
        s('conversation.id', 'c1'),
        s('model', 'gpt-5'),
        s('duration_ms', '420'),
        s('input_token_count', '900'),
        s('output_token_count', '80'),
        s('cached_token_count', '300'),
        ...extra,
      ],
    });
    const out = mapLogs(
      request([
        request_([s('http.response.status_code', '200')]),
        request_([s('http.response.status_code', '429')]),
        request_([s('error.message', 'stream disconnected')]),
      ]),
    );
    expect(out.events.map((e) => e.event)).toMatchObject([
      {
        type: 'model_call',
        sessionId: 'c1',
        model: 'gpt-5',
        latencyMs: 420,
        inputTokens: 900,
        outputTokens: 80,
        cacheReadTokens: 300,
        success: true,
      },
      { success: false },
      { success: false },
    ]);
  });
});
