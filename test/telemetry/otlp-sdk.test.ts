// OTLP through the official OpenTelemetry JS SDK exporters against the listening server: GenAI
// semantic-convention spans and Claude Code–shaped log events are exported (JSON, protobuf and
// gzip), the summary shows exactly the calls, tokens and cost sent, and exporting the same
// batches again (in the other encoding too) changes nothing. Spans and log events nothing maps
// are kept, listed and counted once, however often they are exported.
import type { AddressInfo } from 'node:net';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as OTLPLogJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as OTLPTraceJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  CLAUDE_CODE_FIGURES,
  claudeCodeRecords,
  exported,
  GEN_AI_FIGURES,
  genAiSpans,
  unmappedSpans,
} from './otlp-records.js';

let fixture: TestApp;
let base: string;

beforeAll(async () => {
  fixture = await createTestApp({
    env: { ENGRAM_API_KEYS: TWO_TENANT_API_KEYS, ENGRAM_RATE_LIMIT_PER_MINUTE: '1000000' },
  });
  fixture.runtime.startBackground();
  await fixture.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(fixture.app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await fixture.dispose();
});

const headers = { authorization: ACME.authorization };

async function summary(agentId: string): Promise<Summary> {
  const response = await fetch(`${base}/v1/metrics/summary?window=1h&agentId=${agentId}`, {
    headers,
  });
  return (await response.json()) as Summary;
}

/** Appends a native event of its own agent and waits for it: everything before it is folded. */
async function drained(marker: string): Promise<void> {
  const posted = await fetch(`${base}/v1/events`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      events: [
        {
          type: 'session_start',
          eventId: marker,
          ts: Date.now(),
          sessionId: marker,
          agentId: marker,
        },
      ],
    }),
  });
  expect(posted.status).toBe(202);
  const folded = await until(
    () => summary(marker),
    (s) => s.events === 1,
  );
  expect(folded.events).toBe(1);
}

describe('OTLP from the OpenTelemetry JS SDK exporters', () => {
  it('folds GenAI spans exactly once, whatever encoding and however often they are exported', async () => {
    const spans = genAiSpans();
    const json = new OTLPTraceJsonExporter({ url: `${base}/otlp/v1/traces`, headers });
    const proto = new OTLPTraceProtoExporter({
      url: `${base}/otlp/v1/traces`,
      headers,
      compression: 'gzip' as never,
    });
    expect((await exported(json, spans)).code).toBe(ExportResultCode.SUCCESS);
    await drained('marker-spans-1');
    const first = await summary('travel-agent');
    expect(first.modelCalls).toMatchObject(GEN_AI_FIGURES.modelCalls);
    expect(first.modelCalls.cost).toBeCloseTo(GEN_AI_FIGURES.cost, 12);
    expect(first.modelCalls.byModel).toEqual([
      expect.objectContaining({
        ...GEN_AI_FIGURES.byModel[0],
        cost: expect.closeTo(4525 / 1e6, 12),
      }),
      expect.objectContaining({
        ...GEN_AI_FIGURES.byModel[1],
        cost: expect.closeTo(900 / 1e6, 12),
      }),
    ]);
    expect(first.byAgent).toEqual([
      expect.objectContaining({
        agentId: 'travel-agent',
        count: 3,
        toolCalls: 1,
        cost: expect.closeTo(GEN_AI_FIGURES.cost, 12),
      }),
    ]);
    expect(first.modelCalls.latencyMs.max).toBe(250);
    expect(first.tools).toMatchObject(GEN_AI_FIGURES.tools);
    expect(first.tools.byTool).toMatchObject([{ tool: 'get_weather', calls: 1 }]);
    expect(first.sessions).toMatchObject(GEN_AI_FIGURES.sessions);

    expect((await exported(proto, spans)).code).toBe(ExportResultCode.SUCCESS);
    expect((await exported(json, spans)).code).toBe(ExportResultCode.SUCCESS);
    await drained('marker-spans-2');
    expect(await summary('travel-agent')).toEqual({
      ...first,
      from: expect.any(String),
      to: expect.any(String),
    });
    await Promise.all([json.shutdown(), proto.shutdown()]);
  });

  it('folds Claude Code log events exactly once, with their cost or the price table’s', async () => {
    const records = claudeCodeRecords();
    const json = new OTLPLogJsonExporter({ url: `${base}/otlp/v1/logs`, headers });
    const proto = new OTLPLogProtoExporter({ url: `${base}/otlp/v1/logs`, headers });
    expect((await exported(proto, records)).code).toBe(ExportResultCode.SUCCESS);
    await drained('marker-logs-1');
    const first = await summary('claude-code');
    expect(first.events).toBe(CLAUDE_CODE_FIGURES.events);
    expect(first.modelCalls).toMatchObject(CLAUDE_CODE_FIGURES.modelCalls);
    expect(first.modelCalls.cost).toBeCloseTo(CLAUDE_CODE_FIGURES.cost, 12);
    expect(first.modelCalls.byModel).toMatchObject(CLAUDE_CODE_FIGURES.byModel);
    expect(first.modelCalls.byModel[0]!.cost).toBeCloseTo(0.0123, 12);
    expect(first.byAgent).toMatchObject([{ agentId: 'claude-code', count: 3, events: 8 }]);
    expect(first.modelCalls.latencyMs).toMatchObject({ min: 600, max: 1800 });
    expect(first.suggestions).toMatchObject(CLAUDE_CODE_FIGURES.suggestions);
    expect(first.tools).toMatchObject(CLAUDE_CODE_FIGURES.tools);
    // Two prompts of one session start it once.
    expect(first.sessions).toMatchObject(CLAUDE_CODE_FIGURES.sessions);

    expect((await exported(json, records)).code).toBe(ExportResultCode.SUCCESS);
    expect((await exported(proto, records)).code).toBe(ExportResultCode.SUCCESS);
    await drained('marker-logs-2');
    expect(await summary('claude-code')).toEqual({
      ...first,
      from: expect.any(String),
      to: expect.any(String),
    });
    await Promise.all([json.shutdown(), proto.shutdown()]);
  });

  it('keeps the spans and log events nothing maps, listed and counted once however often they are exported', async () => {
    const other = { authorization: UMBRELLA.authorization };
    const traceExporters = [
      new OTLPTraceJsonExporter({ url: `${base}/otlp/v1/traces`, headers: other }),
      new OTLPTraceProtoExporter({ url: `${base}/otlp/v1/traces`, headers: other }),
    ];
    const logExporters = [
      new OTLPLogJsonExporter({ url: `${base}/otlp/v1/logs`, headers: other }),
      new OTLPLogProtoExporter({ url: `${base}/otlp/v1/logs`, headers: other }),
    ];
    const spans = [...genAiSpans(), ...unmappedSpans()];
    const records = claudeCodeRecords();
    // Each batch twice through each encoding.
    for (const round of [0, 1]) {
      for (const exporter of traceExporters)
        expect((await exported(exporter, spans)).code, `traces ${round}`).toBe(
          ExportResultCode.SUCCESS,
        );
      for (const exporter of logExporters)
        expect((await exported(exporter, records)).code, `logs ${round}`).toBe(
          ExportResultCode.SUCCESS,
        );
    }
    const get = async (path: string) => (await fetch(`${base}${path}`, { headers: other })).json();
    const listed = (await get('/v1/telemetry/unmapped')) as {
      records: Array<{ signal: string; name: string; reason: string; record: unknown }>;
      nextCursor: string | null;
    };
    expect(listed.nextCursor).toBeNull();
    // Newest first: the log event (exported after the spans), then the spans in export order, reversed.
    expect(listed.records.map((r) => [r.signal, r.name, r.reason])).toEqual([
      ['logs', 'some_future_event', 'log event "some_future_event" is not mapped'],
      ['traces', 'SELECT flights', 'not a GenAI span (no gen_ai.operation.name)'],
      ['traces', 'create_agent planner', 'gen_ai.operation.name "create_agent" is not mapped'],
      ['traces', 'GET /forecast', 'not a GenAI span (no gen_ai.operation.name)'],
    ]);
    const [log, query, create] = listed.records;
    const createSpan = spans.find((s) => s.name === 'create_agent planner')!;
    expect(create!.record).toMatchObject({
      resource: { 'service.name': 'travel-agent' },
      scope: { name: 'genai-test' },
      span: {
        name: 'create_agent planner',
        traceId: createSpan.spanContext().traceId,
        spanId: createSpan.spanContext().spanId,
      },
    });
    expect(JSON.stringify(query!.record)).toContain('SELECT * FROM flights');
    expect(log!.record).toMatchObject({
      resource: { 'service.name': 'claude-code' },
      scope: { name: 'com.anthropic.claude_code.events' },
      logRecord: { body: { stringValue: 'claude_code.some_future_event' } },
    });
    expect(await get('/v1/telemetry/unmapped?signal=traces&name=GET%20%2Fforecast')).toMatchObject({
      records: [{ name: 'GET /forecast' }],
      nextCursor: null,
    });
    expect(await get('/v1/telemetry/unmapped/counts')).toEqual({
      held: 4,
      received: 4,
      dropped: 0,
      maxRecords: 10_000,
      byName: expect.arrayContaining([
        {
          signal: 'traces',
          name: 'GET /forecast',
          reason: 'not a GenAI span (no gen_ai.operation.name)',
          count: 1,
        },
        {
          signal: 'logs',
          name: 'some_future_event',
          reason: 'log event "some_future_event" is not mapped',
          count: 1,
        },
      ]),
    });
    // The other tenant's unmapped items are its own.
    const acme = (await (
      await fetch(`${base}/v1/telemetry/unmapped?signal=traces&name=create_agent%20planner`, {
        headers,
      })
    ).json()) as { records: unknown[] };
    expect(acme.records).toEqual([]);
    await Promise.all([...traceExporters, ...logExporters].map((e) => e.shutdown()));
  });
});
