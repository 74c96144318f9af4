// OTLP through the official OpenTelemetry JS SDK exporters against the listening server: GenAI
// semantic-convention spans and Claude Code–shaped log events are exported (JSON, protobuf and
// gzip), the summary shows exactly the calls, tokens and cost sent, and exporting the same
// batches again (in the other encoding too) changes nothing.
import type { AddressInfo } from 'node:net';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as OTLPLogJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter as OTLPTraceJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../src/telemetry/service.js';
import { ACME, createTestApp, TWO_TENANT_API_KEYS, type TestApp } from '../support/runtime.js';
import { until } from './backends.js';

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

function exported<T>(
  exporter: {
    export(items: T[], done: (result: ExportResult) => void): void;
  },
  items: T[],
): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(items, resolve));
}

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

const T0 = Date.now() - 10 * 60_000;

function genAiSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'travel-agent' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('genai-test');
  const agent = tracer.startSpan('invoke_agent planner', {
    startTime: T0,
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.conversation.id': 'conv-1' },
  });
  const chat = (model: string, input: number, output: number, at: number, failed = false) => {
    const span = tracer.startSpan(`chat ${model}`, {
      startTime: at,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': model,
        'gen_ai.usage.input_tokens': input,
        'gen_ai.usage.output_tokens': output,
        'gen_ai.conversation.id': 'conv-1',
      },
    });
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
    span.end(at + 250);
  };
  chat('gpt-4o', 1000, 200, T0 + 1000);
  chat('gpt-4o-mini', 3000, 500, T0 + 2000);
  chat('gpt-4o', 10, 0, T0 + 3000, true);
  const tool = tracer.startSpan('execute_tool get_weather', {
    startTime: T0 + 4000,
    attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather' },
  });
  tool.end(T0 + 4040);
  const http = tracer.startSpan('GET /forecast', { startTime: T0 + 4010 });
  http.end(T0 + 4030);
  agent.end(T0 + 60_000);
  return memory.getFinishedSpans();
}

function claudeCodeRecords(): ReadableLogRecord[] {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': '2.0.0' }),
    processors: [new SimpleLogRecordProcessor({ exporter: memory })],
  });
  const logger = provider.getLogger('com.anthropic.claude_code.events');
  const common = {
    'session.id': 'cc-session-1',
    'user.account_uuid': 'u-1',
    'terminal.type': 'vscode',
  };
  const emit = (name: string, at: number, attributes: Record<string, string | number | boolean>) =>
    logger.emit({
      body: `claude_code.${name}`,
      timestamp: at,
      attributes: {
        ...common,
        'event.name': name,
        'event.timestamp': new Date(at).toISOString(),
        ...attributes,
      },
    });
  emit('user_prompt', T0, { prompt_length: '42', prompt: '<REDACTED>' });
  emit('api_request', T0 + 1000, {
    model: 'claude-sonnet-4-5-20250929',
    cost_usd: '0.0123',
    duration_ms: '1800',
    input_tokens: '1200',
    output_tokens: '300',
    cache_read_tokens: '5000',
    cache_creation_tokens: '0',
  });
  // No cost_usd: the price table gives it (claude-haiku-4-5: $1 / $5 per million).
  emit('api_request', T0 + 2000, {
    model: 'claude-haiku-4-5-20251001',
    duration_ms: '600',
    input_tokens: '2000',
    output_tokens: '400',
  });
  emit('api_error', T0 + 3000, {
    model: 'claude-sonnet-4-5-20250929',
    error: 'overloaded',
    status_code: '529',
    duration_ms: '900',
    attempt: '1',
  });
  emit('tool_decision', T0 + 4000, { tool_name: 'Edit', decision: 'accept', source: 'config' });
  emit('tool_decision', T0 + 5000, {
    tool_name: 'Bash',
    decision: 'reject',
    source: 'user_reject',
  });
  emit('tool_result', T0 + 6000, { tool_name: 'Edit', success: 'true', duration_ms: '35' });
  emit('tool_result', T0 + 7000, {
    tool_name: 'Bash',
    success: 'false',
    duration_ms: '120',
    error: 'exit 1',
  });
  emit('user_prompt', T0 + 8000, { prompt_length: '7', prompt: '<REDACTED>' });
  emit('some_future_event', T0 + 9000, {});
  return memory.getFinishedLogRecords();
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
    expect(first.modelCalls).toMatchObject({
      count: 3,
      errors: 1,
      inputTokens: 4010,
      outputTokens: 700,
    });
    // gpt-4o: 1000·2.5 + 200·10 + 10·2.5 ; gpt-4o-mini: 3000·0.15 + 500·0.6 (per million)
    expect(first.modelCalls.cost).toBeCloseTo((2500 + 2000 + 25 + 450 + 300) / 1e6, 12);
    expect(first.modelCalls.latencyMs.max).toBe(250);
    expect(first.tools).toMatchObject({ calls: 1, successes: 1 });
    expect(first.tools.byTool).toMatchObject([{ tool: 'get_weather', calls: 1 }]);
    expect(first.sessions).toMatchObject({ started: 1, ended: 1, meanDurationMs: 60_000 });

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
    expect(first.modelCalls).toMatchObject({
      count: 3,
      errors: 1,
      inputTokens: 3200,
      outputTokens: 700,
    });
    expect(first.modelCalls.cost).toBeCloseTo(0.0123 + (2000 * 1 + 400 * 5) / 1e6, 12);
    expect(first.modelCalls.latencyMs).toMatchObject({ min: 600, max: 1800 });
    expect(first.suggestions).toMatchObject({ accepted: 1, rejected: 1, acceptanceRate: 0.5 });
    expect(first.tools).toMatchObject({ calls: 2, successes: 1 });
    // Two prompts of one session start it once.
    expect(first.sessions.started).toBe(1);
    expect(first.events).toBe(8);

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

  it('counts metric data points as rejected (no series stored) and says so', async () => {
    const exporter = new OTLPMetricExporter({ url: `${base}/otlp/v1/metrics`, headers });
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'claude-code' }),
      readers: [reader],
    });
    const meter = provider.getMeter('com.anthropic.claude_code');
    meter
      .createCounter('claude_code.token.usage')
      .add(1200, { type: 'input', model: 'claude-sonnet-4-5' });
    meter
      .createCounter('claude_code.token.usage')
      .add(300, { type: 'output', model: 'claude-sonnet-4-5' });
    await reader.forceFlush();
    const metrics =
      await fixture.runtime.metrics.getSingleMetricAsString('engram_otlp_items_total');
    expect(metrics).toContain('engram_otlp_items_total{signal="metrics",outcome="rejected"} 2');
    await provider.shutdown();
  });
});
