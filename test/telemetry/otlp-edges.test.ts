// The OTLP receiver's edges through the HTTP app: both encodings and both id spellings, unknown
// fields, partialSuccess, tenants and keys, and malformed exports (bad protobuf, wrong content
// type, a 50 MB body, a gzip bomb, 10⁵ attributes, AnyValue nested 10⁵ deep) refused with a clear
// 400/413 while nothing of them is stored and the good exports around them are folded.
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Summary } from '../../src/telemetry/service.js';
import {
  ACME,
  createTestApp,
  TWO_TENANT_API_KEYS,
  UMBRELLA,
  type TestApp,
} from '../support/runtime.js';
import { until } from './backends.js';
import {
  deepAttributeSpanBytes,
  spanRequest,
  spanRequestBytes,
  TRACE_RESPONSE,
  type JsonSpan,
} from './otlp-wire.js';

let fixture: TestApp | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

async function open(env: Record<string, string> = {}): Promise<TestApp> {
  fixture = await createTestApp({
    env: {
      ENGRAM_API_KEYS: TWO_TENANT_API_KEYS,
      ENGRAM_RATE_LIMIT_PER_MINUTE: '1000000',
      ...env,
    },
  });
  return fixture;
}

const NOW_NS = BigInt(Date.now() - 60_000) * 1_000_000n;
let counter = 0;

function toolSpan(tool: string, extra: Partial<JsonSpan> = {}): JsonSpan {
  counter += 1;
  return {
    traceId: counter.toString(16).padStart(32, 'a'),
    spanId: counter.toString(16).padStart(16, 'b'),
    name: `execute_tool ${tool}`,
    startTimeUnixNano: String(NOW_NS),
    endTimeUnixNano: String(NOW_NS + 25_000_000n),
    attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: 'execute_tool' } },
      { key: 'gen_ai.tool.name', value: { stringValue: tool } },
    ],
    ...extra,
  };
}

async function post(
  app: TestApp['app'],
  body: string | Buffer,
  headers: Record<string, string>,
  signal = 'traces',
) {
  return app.inject({
    method: 'POST',
    url: `/otlp/v1/${signal}`,
    headers: { ...ACME, ...headers },
    payload: body,
  });
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const PROTO_HEADERS = { 'content-type': 'application/x-protobuf' };

// google.rpc.Status as the spec defines it, to read protobuf error answers.
const STATUS = new protobuf.Type('Status')
  .add(new protobuf.Field('code', 1, 'int32'))
  .add(new protobuf.Field('message', 2, 'string'));

/** The google.rpc.Status of an error answer, in whichever encoding it came. */
function statusOf(response: { headers: Record<string, unknown>; rawPayload: Buffer }) {
  if (String(response.headers['content-type']).startsWith('application/x-protobuf'))
    return STATUS.toObject(STATUS.decode(response.rawPayload)) as { code: number; message: string };
  const json = JSON.parse(response.rawPayload.toString('utf8')) as {
    code: number;
    message: string;
    error: { message: string };
  };
  // Engram's error body stays beside the Status fields.
  expect(json.message).toContain(json.error.message);
  return json;
}

async function foldedSummary(t: TestApp, tenant: string, tools: number): Promise<Summary> {
  return until(
    () => t.runtime.telemetry.summary(tenant, { window: '1h', agentId: 'otlp-edge' }),
    (s) => s.tools.calls >= tools,
  );
}

describe('OTLP receiver', () => {
  it('takes hex and base64 ids, integer enums and unknown fields, and reports what it rejected and what it kept unmapped', async () => {
    const t = await open();
    t.runtime.startBackground();
    const hex = toolSpan('grep', {
      status: { code: 2 },
      droppedLinksCount: 0,
      futureField: { a: 1 },
    });
    const base64 = toolSpan('sed');
    base64.traceId = Buffer.from(base64.traceId, 'hex').toString('base64');
    base64.spanId = Buffer.from(base64.spanId, 'hex').toString('base64');
    const plain = { ...toolSpan('ls'), attributes: [] };
    const noModel = toolSpan('x');
    noModel.attributes = [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } }];
    const response = await post(
      t.app,
      JSON.stringify({ ...spanRequest([hex, base64, plain, noModel]), unknownTopLevel: true }),
      JSON_HEADERS,
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.json()).toEqual({
      partialSuccess: {
        rejectedSpans: '1',
        errorMessage:
          '1 of 4 spans rejected: 1 × chat span has no gen_ai.request.model. ' +
          '1 of 4 spans accepted but not mapped, kept (GET /v1/telemetry/unmapped): 1 × not a GenAI span (no gen_ai.operation.name)',
      },
    });
    const summary = await foldedSummary(t, 'acme', 2);
    expect(summary.tools).toMatchObject({ calls: 2, successes: 1 });
    expect(summary.tools.byTool.map((b) => b.tool).sort()).toEqual(['grep', 'sed']);
    // The key's tenant only.
    expect((await t.runtime.telemetry.summary('umbrella', { window: '1h' })).events).toBe(0);
  });

  it('answers protobuf with a protobuf ExportTraceServiceResponse, gzip bodies included', async () => {
    const t = await open();
    const good = toolSpan('grep');
    const unmapped = { ...toolSpan('ls'), attributes: [] };
    const bytes = spanRequestBytes(spanRequest([good, unmapped]));
    for (const body of [bytes, gzipSync(bytes)]) {
      const response = await post(t.app, body, {
        ...PROTO_HEADERS,
        ...(body === bytes ? {} : { 'content-encoding': 'gzip' }),
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/x-protobuf');
      const decoded = TRACE_RESPONSE.toObject(TRACE_RESPONSE.decode(response.rawPayload), {
        longs: String,
      });
      // rejectedSpans is 0, which protobuf leaves out: a warning, as the spec allows.
      expect(decoded).toEqual({
        partialSuccess: {
          errorMessage:
            '1 of 2 spans accepted but not mapped, kept (GET /v1/telemetry/unmapped): 1 × not a GenAI span (no gen_ai.operation.name)',
        },
      });
    }
    t.runtime.startBackground();
    // Sent twice (plain and gzip): folded once.
    const summary = await foldedSummary(t, 'acme', 1);
    await post(t.app, JSON.stringify(spanRequest([toolSpan('marker')])), JSON_HEADERS);
    const after = await foldedSummary(t, 'acme', 2);
    expect(after.tools.byTool.find((b) => b.tool === 'grep')?.calls).toBe(1);
    expect(summary.tools.calls).toBe(1);
    // The unmapped span, sent twice, is kept once.
    const counts = await t.app.inject({ url: '/v1/telemetry/unmapped/counts', headers: ACME });
    expect(counts.json()).toMatchObject({ held: 1, received: 1, dropped: 0 });
  });

  it('needs a tenant key, in Authorization or x-api-key', async () => {
    const t = await open();
    const body = JSON.stringify(spanRequest([toolSpan('grep')]));
    const none = await t.app.inject({
      method: 'POST',
      url: '/otlp/v1/traces',
      headers: JSON_HEADERS,
      payload: body,
    });
    expect(none.statusCode).toBe(401);
    const viaHeader = await t.app.inject({
      method: 'POST',
      url: '/otlp/v1/logs',
      headers: { ...JSON_HEADERS, 'x-api-key': UMBRELLA.authorization.slice('Bearer '.length) },
      payload: JSON.stringify({ resourceLogs: [] }),
    });
    expect(viaHeader.statusCode).toBe(200);
    expect(viaHeader.json()).toEqual({});
  });

  it('refuses malformed exports with a clear 400/413 and stores nothing of them', async () => {
    const t = await open();
    const span = toolSpan('grep');
    const cases: Array<{
      name: string;
      body: string | Buffer;
      headers: Record<string, string>;
      status: number;
      message: RegExp;
    }> = [
      {
        name: 'bad protobuf',
        body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]),
        headers: PROTO_HEADERS,
        status: 400,
        message: /not an OTLP traces protobuf request/,
      },
      {
        name: 'not JSON',
        body: '{"resourceSpans": [',
        headers: JSON_HEADERS,
        status: 400,
        message: /not JSON/,
      },
      {
        name: 'wrong content type',
        body: 'resourceSpans',
        headers: { 'content-type': 'text/plain' },
        status: 400,
        message:
          /Unsupported Content-Type "text\/plain": send application\/x-protobuf or application\/json/,
      },
      {
        name: 'unsupported encoding',
        body: JSON.stringify(spanRequest([span])),
        headers: { ...JSON_HEADERS, 'content-encoding': 'br' },
        status: 400,
        message: /Content-Encoding "br" is not supported/,
      },
      {
        name: '50 MB body',
        body: Buffer.alloc(50 * 1024 * 1024, 0x20),
        headers: JSON_HEADERS,
        status: 413,
        message: /larger than this server reads/,
      },
      {
        name: 'gzip bomb (64 MiB of zeros)',
        body: gzipSync(Buffer.alloc(64 * 1024 * 1024)),
        headers: { ...PROTO_HEADERS, 'content-encoding': 'gzip' },
        status: 413,
        message: /decompresses to more than 8388608 bytes/,
      },
      {
        name: '10⁵ attributes (JSON)',
        body: JSON.stringify(
          spanRequest([
            {
              ...span,
              attributes: Array.from({ length: 100_000 }, (_, i) => ({
                key: `k${i}`,
                value: { intValue: i },
              })),
            },
          ]),
        ),
        headers: JSON_HEADERS,
        status: 400,
        message: /spans\[0\] carries 100000 attributes; at most 1000/,
      },
      {
        name: '10⁵ attributes (protobuf)',
        body: spanRequestBytes(
          spanRequest([
            {
              ...span,
              attributes: Array.from({ length: 100_000 }, (_, i) => ({
                key: `k${i}`,
                value: { intValue: i },
              })),
            },
          ]),
        ),
        headers: PROTO_HEADERS,
        status: 400,
        message: /carries 100000 attributes/,
      },
      {
        name: 'AnyValue 20 deep (protobuf)',
        body: deepAttributeSpanBytes(span, 20),
        headers: PROTO_HEADERS,
        status: 400,
        message: /AnyValue is nested deeper than 16 levels/,
      },
      {
        name: 'AnyValue 10⁵ deep (protobuf)',
        body: deepAttributeSpanBytes(span, 100_000),
        headers: PROTO_HEADERS,
        status: 400,
        message: /nested too deeply/,
      },
      {
        name: 'AnyValue 10⁵ deep (JSON)',
        body: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"deep","value":${'{"arrayValue":{"values":['.repeat(100_000)}{"stringValue":"x"}${']}}'.repeat(100_000)}}]}]}]}]}`,
        headers: JSON_HEADERS,
        status: 400,
        message: /nested deeper than 16 levels/,
      },
    ];
    for (const c of cases) {
      const response = await post(t.app, c.body, c.headers);
      expect({ name: c.name, status: response.statusCode }).toEqual({
        name: c.name,
        status: c.status,
      });
      const status = statusOf(response);
      expect(status.message, c.name).toMatch(c.message);
      // INVALID_ARGUMENT for every refused export (400 and 413).
      expect(status.code, c.name).toBe(3);
      expect(String(response.headers['content-type']), c.name).toContain(
        c.headers['content-type'] === 'application/x-protobuf' ? 'application/x-protobuf' : 'json',
      );
    }
    // Nothing of them reached the stream; a good export after them is folded alone.
    expect((await post(t.app, JSON.stringify(spanRequest([span])), JSON_HEADERS)).statusCode).toBe(
      200,
    );
    t.runtime.startBackground();
    const summary = await foldedSummary(t, 'acme', 1);
    expect(summary.events).toBe(1);
  });

  it('answers 503 with Retry-After while the stream is full, and folds the resend once', async () => {
    const t = await open({ ENGRAM_TELEMETRY_STREAM_MAX_BACKLOG: '1000' });
    const now = Date.now();
    const filler = await t.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: ACME,
      payload: {
        events: Array.from({ length: 1000 }, (_, i) => ({
          type: 'suggestion',
          action: 'shown',
          eventId: `fill-${i}`,
          ts: now,
          sessionId: 's',
          agentId: 'filler',
        })),
      },
    });
    expect(filler.statusCode).toBe(202);
    const body = JSON.stringify(spanRequest([toolSpan('grep')]));
    const refused = await post(t.app, body, JSON_HEADERS);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('2');
    expect(statusOf(refused).code).toBe(14); // UNAVAILABLE
    t.runtime.startBackground();
    await until(
      () => t.runtime.telemetry.summary('acme', { window: '1h', agentId: 'filler' }),
      (s) => s.events === 1000,
    );
    expect((await post(t.app, body, JSON_HEADERS)).statusCode).toBe(200);
    expect((await post(t.app, body, JSON_HEADERS)).statusCode).toBe(200);
    const summary = await foldedSummary(t, 'acme', 1);
    expect(summary.tools.calls).toBe(1);
  });
});
