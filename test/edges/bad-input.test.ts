// Malformed input is the caller's mistake, never the server's: NUL bytes, %00 in ids, lone
// surrogates, absurd nesting and foreign stream ids answer 400 in the error envelope, and
// nothing of such a request is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInputProblem, MAX_INPUT_DEPTH } from '../../src/http/input-guard.js';
import { postgresAvailable } from '../support/backends.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

interface Attempt {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  /** A value to send as JSON, or JSON text as it is (for nesting JSON.stringify cannot make). */
  payload?: unknown;
}

/** JSON text of an object nested `levels` deep, built as text: no recursion anywhere. */
function deep(levels: number): RawJson {
  return new RawJson(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);
}

class RawJson {
  constructor(readonly text: string) {}
}

function bodyText(payload: unknown): string {
  if (payload instanceof RawJson) return payload.text;
  // Nested RawJson values are spliced in as they are.
  const marks: string[] = [];
  const text = JSON.stringify(payload, (_key, value: unknown) => {
    if (!(value instanceof RawJson)) return value;
    marks.push(value.text);
    return `@@raw${marks.length - 1}@@`;
  });
  return text.replace(/"@@raw(\d+)@@"/g, (_match, index: string) => marks[Number(index)]!);
}

const NUL = '\u0000';
const LONE_HIGH = '\ud800';
const LONE_LOW = '\udc00';

const attempts: Array<[string, Attempt]> = [
  [
    'NUL in document content',
    { method: 'POST', url: '/v1/documents', payload: { content: `a${NUL}b` } },
  ],
  [
    'NUL in document title',
    { method: 'POST', url: '/v1/documents', payload: { content: 'ok', title: `t${NUL}` } },
  ],
  [
    'NUL in a metadata key',
    {
      method: 'POST',
      url: '/v1/documents',
      payload: { content: 'ok', metadata: { [`k${NUL}`]: 1 } },
    },
  ],
  [
    'NUL in session userId',
    { method: 'POST', url: '/v1/sessions', payload: { userId: `u${NUL}` } },
  ],
  [
    'NUL in a recall query',
    { method: 'POST', url: '/v1/recall', payload: { query: `where${NUL}` } },
  ],
  [
    'NUL in a search query',
    { method: 'POST', url: '/v1/search', payload: { query: `where${NUL}` } },
  ],
  [
    'NUL in a context query',
    {
      method: 'POST',
      url: '/v1/context',
      payload: { query: `q${NUL}`, tokenizer: 'o200k_base', maxTokens: 10 },
    },
  ],
  [
    'NUL in an event',
    {
      method: 'POST',
      url: '/v1/events',
      payload: {
        events: [
          {
            type: 'tool_call',
            eventId: `e${NUL}`,
            ts: 1,
            sessionId: 's',
            agentId: 'a',
            tool: 't',
            success: true,
            durationMs: 1,
          },
        ],
      },
    },
  ],
  [
    'NUL in a cited id',
    { method: 'POST', url: '/v1/memories/cited', payload: { ids: [`m${NUL}`] } },
  ],
  ['%00 in a document id', { method: 'GET', url: '/v1/documents/doc%00x' }],
  ['%00 in document chunks', { method: 'GET', url: '/v1/documents/%00/chunks' }],
  ['%00 in a document delete', { method: 'DELETE', url: '/v1/documents/a%00' }],
  ['%00 in a session id', { method: 'GET', url: '/v1/sessions/s%00' }],
  [
    '%00 in session turns',
    { method: 'POST', url: '/v1/sessions/s%00/turns', payload: { speaker: 'a', content: 'b' } },
  ],
  ['%00 in a memory id', { method: 'GET', url: '/v1/memories/m%00' }],
  ['%00 in an entity id', { method: 'GET', url: '/v1/entities/e%00' }],
  ['%00 in a query string', { method: 'GET', url: '/v1/entities?query=a%00b' }],
  ['%00 in a user filter', { method: 'GET', url: '/v1/sessions?userId=u%00' }],
  [
    'lone high surrogate in content',
    { method: 'POST', url: '/v1/documents', payload: { content: `x${LONE_HIGH}y` } },
  ],
  [
    'lone low surrogate in a metadata value',
    { method: 'POST', url: '/v1/sessions', payload: { metadata: { k: LONE_LOW } } },
  ],
  [
    'lone surrogate in a metadata key',
    { method: 'POST', url: '/v1/sessions', payload: { metadata: { [LONE_HIGH]: 1 } } },
  ],
  [
    'lone surrogate in a turn id',
    { method: 'POST', url: '/v1/sessions', payload: { userId: `u${LONE_HIGH}` } },
  ],
  ['lone surrogate in a path id', { method: 'GET', url: '/v1/sessions/%ED%A0%80' }],
  ['lone surrogate in a query string', { method: 'GET', url: '/v1/sessions?userId=%ED%A0%80' }],
  [
    '10,000-deep metadata',
    {
      method: 'POST',
      url: '/v1/documents',
      payload: { content: 'deep', metadata: { x: deep(10_000) } },
    },
  ],
  [
    '10,000-deep session metadata',
    { method: 'POST', url: '/v1/sessions', payload: { metadata: deep(10_000) } },
  ],
  ['10,000-deep event', { method: 'POST', url: '/v1/events', payload: { events: [deep(10_000)] } }],
  [
    'a word as dead-letter id',
    { method: 'POST', url: '/v1/telemetry/dlq/replay', payload: { ids: ['abc'] } },
  ],
  [
    'a broken stream id',
    { method: 'POST', url: '/v1/telemetry/dlq/replay', payload: { ids: ['1-x'] } },
  ],
  [
    'a dead-letter id past 64 bits',
    { method: 'POST', url: '/v1/telemetry/dlq/replay', payload: { ids: ['99999999999999999999'] } },
  ],
  [
    'a fractional dead-letter id',
    { method: 'POST', url: '/v1/telemetry/dlq/replay', payload: { ids: ['1.5'] } },
  ],
];

async function storedCounts(fixture: TestApp): Promise<Record<string, number>> {
  const { runtime } = fixture;
  const documents = await runtime.ingest.list({ tenantId: 'default', limit: 500 });
  const sessions = await runtime.memory.listSessions('default', null, 1000);
  const stream = await runtime.telemetry.streamStats();
  return { documents: documents.items.length, sessions: sessions.length, events: stream.length };
}

const hasPostgres = await postgresAvailable();

describe.each(['sqlite', 'postgres'] as const)(
  'bad input answers 400, never 500 (%s)',
  (backend) => {
    let fixture: TestApp;

    beforeAll(async () => {
      fixture = await createTestApp({ backend });
    });

    afterAll(async () => {
      await fixture?.dispose();
    });

    it.skipIf(backend === 'postgres' && !hasPostgres).each(attempts)(
      '%s',
      async (_name, attempt) => {
        const before = await storedCounts(fixture);
        const response = await fixture.app.inject({
          method: attempt.method,
          url: attempt.url,
          ...(attempt.payload === undefined
            ? {}
            : {
                payload: bodyText(attempt.payload),
                headers: { 'content-type': 'application/json' },
              }),
        });
        expect(response.statusCode, response.body).toBe(400);
        const body = response.json<{
          error: { code: string; message: string; requestId: string };
        }>();
        expect(['INVALID_INPUT', 'VALIDATION_FAILED']).toContain(body.error.code);
        expect(body.error.requestId).toBe(response.headers['x-request-id']);
        expect(await storedCounts(fixture)).toEqual(before);
      },
    );

    it.skipIf(backend === 'postgres' && !hasPostgres)(
      'keeps ids that differ only by a lone surrogate apart by refusing them',
      async () => {
        const first = await fixture.app.inject({
          method: 'POST',
          url: '/v1/sessions',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ userId: 'ada\ud800' }),
        });
        const second = await fixture.app.inject({
          method: 'POST',
          url: '/v1/sessions',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ userId: 'ada\udbff' }),
        });
        expect([first.statusCode, second.statusCode]).toEqual([400, 400]);
        expect(first.json().error.code).toBe('INVALID_INPUT');
      },
    );
  },
);

describe('the input guard', () => {
  it('names where the problem is, and lets binary bodies and well-formed text through', () => {
    expect(findInputProblem({ a: [{ b: 'x\u0000' }] }, 'body')).toBe(
      'body.a[0].b contains a NUL character (\\u0000), which cannot be stored',
    );
    expect(findInputProblem({ 'odd key': '\ud83d' }, 'body')).toMatch(/^body\["odd key"\] /);
    expect(findInputProblem(Buffer.from([0, 0xd8, 0]), 'body')).toBeUndefined();
    expect(findInputProblem({ text: 'emoji 😀, accents é, CJK 漢字' }, 'body')).toBeUndefined();
    let nested: unknown = 1;
    for (let i = 0; i < MAX_INPUT_DEPTH; i += 1) nested = [nested];
    expect(findInputProblem(nested, 'body')).toBeUndefined();
    expect(findInputProblem([nested], 'body')).toMatch(/nested deeper than/);
  });
});
