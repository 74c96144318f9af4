import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastParseEvent, parseEvent, telemetryEventSchema } from './events.js';

const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 5 }),
  fc.double(),
  fc.constantFrom(0, 1.5, 1e300, 1e308, Number.MAX_SAFE_INTEGER + 2, 1_700_000_000_000, -0),
  // The documented ranges' edges: durations, token counts and cost.
  fc.constantFrom(604_800_000, 604_800_001, 1e9, 1e9 + 1, 1e6, 1e6 + 0.5),
  fc.string({ maxLength: 3 }),
  fc.constantFrom(
    '',
    'a',
    'x'.repeat(201),
    'bad\u0000id',
    'shown',
    'accepted',
    'rejected',
    '2026-01-01T00:00:00Z',
  ),
);

const candidate = fc.record(
  {
    type: fc.constantFrom(
      'model_call',
      'suggestion',
      'tool_call',
      'session_start',
      'session_end',
      'nope',
    ),
    eventId: anyValue,
    ts: anyValue,
    sessionId: anyValue,
    agentId: anyValue,
    model: anyValue,
    latencyMs: anyValue,
    inputTokens: anyValue,
    outputTokens: anyValue,
    cacheReadTokens: anyValue,
    cacheWriteTokens: anyValue,
    cost: anyValue,
    success: anyValue,
    kind: anyValue,
    action: anyValue,
    tool: anyValue,
    durationMs: anyValue,
    extra: anyValue,
  },
  { requiredKeys: ['type'] },
);

describe('event validation', () => {
  it('the fast path accepts only what the schema accepts, and returns what it returns', () => {
    fc.assert(
      fc.property(candidate, (raw) => {
        const fast = fastParseEvent(raw);
        const slow = telemetryEventSchema.safeParse(raw);
        if (fast !== undefined) {
          expect(slow.success).toBe(true);
          expect(fast).toEqual(slow.data);
        }
        expect(parseEvent(raw).ok).toBe(slow.success);
      }),
      { numRuns: 3000 },
    );
  });

  it('names the offending field', () => {
    const result = parseEvent({
      type: 'tool_call',
      eventId: 'e',
      ts: 1,
      sessionId: 's',
      agentId: 'a',
      tool: 't',
      durationMs: 1,
    });
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/^success: /) as unknown });
    expect(
      parseEvent({
        type: 'session_start',
        eventId: 'e',
        ts: '2026-01-01T00:00:00Z',
        sessionId: 's',
        agentId: 'a',
      }),
    ).toEqual({
      ok: true,
      event: {
        type: 'session_start',
        eventId: 'e',
        ts: Date.UTC(2026, 0, 1),
        sessionId: 's',
        agentId: 'a',
      },
    });
  });
});
