// OTLP records as the SDK makes them, for the receiver's end-to-end tests: GenAI
// semantic-convention spans of a travel agent and Claude Code's documented log events (attribute
// values as strings, as Claude Code sends them), both timed ten minutes ago, and the figures
// the summary must then show.
import type { ExportResult } from '@opentelemetry/core';
import { SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** Runs one exporter.export call to its result. */
export function exported<T>(
  exporter: {
    export(items: T[], done: (result: ExportResult) => void): void;
  },
  items: T[],
): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(items, resolve));
}

const T0 = Date.now() - 10 * 60_000;

export function genAiSpans(): ReadableSpan[] {
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
  const chat = (
    model: string,
    input: number,
    output: number,
    at: number,
    failed = false,
    cached = 0,
  ) => {
    const span = tracer.startSpan(`chat ${model}`, {
      startTime: at,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': model,
        'gen_ai.usage.input_tokens': input,
        'gen_ai.usage.output_tokens': output,
        'gen_ai.conversation.id': 'conv-1',
        ...(cached > 0 ? { 'gen_ai.usage.cache_read.input_tokens': cached } : {}),
      },
    });
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
    span.end(at + 250);
  };
  chat('gpt-4o', 1000, 200, T0 + 1000);
  chat('gpt-4o-mini', 3000, 500, T0 + 2000, false, 2000);
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

/** Spans nothing maps: a GenAI operation Engram has no row for, and a database span. */
export function unmappedSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'travel-agent' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('genai-test');
  const create = tracer.startSpan('create_agent planner', {
    startTime: T0,
    attributes: { 'gen_ai.operation.name': 'create_agent', 'gen_ai.agent.name': 'planner' },
  });
  create.end(T0 + 5);
  const query = tracer.startSpan('SELECT flights', {
    startTime: T0 + 10,
    attributes: { 'db.system.name': 'postgresql', 'db.query.text': 'SELECT * FROM flights' },
  });
  query.end(T0 + 30);
  return memory.getFinishedSpans();
}

export function claudeCodeRecords(): ReadableLogRecord[] {
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
    cache_read_tokens: '10000',
    cache_creation_tokens: '1000',
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

/** What the summary of agent travel-agent shows once genAiSpans() is folded. */
export const GEN_AI_FIGURES = {
  modelCalls: {
    count: 3,
    errors: 1,
    inputTokens: 4010,
    outputTokens: 700,
    cacheReadTokens: 2000,
    cacheWriteTokens: 0,
  },
  // gpt-4o: 1000·2.5 + 200·10 + 10·2.5; gpt-4o-mini: 3000·0.15 + 500·0.6 + 2000 cached·0.075
  // (USD per million)
  cost: (2500 + 2000 + 25 + 450 + 300 + 150) / 1e6,
  byModel: [
    { model: 'gpt-4o', count: 2, errors: 1, inputTokens: 1010, cost: 4525 / 1e6 },
    { model: 'gpt-4o-mini', count: 1, errors: 0, cacheReadTokens: 2000, cost: 900 / 1e6 },
  ],
  tools: { calls: 1, successes: 1 },
  sessions: { started: 1, ended: 1, meanDurationMs: 60_000 },
};

/** What the summary of agent claude-code shows once claudeCodeRecords() is folded. */
export const CLAUDE_CODE_FIGURES = {
  events: 8,
  modelCalls: {
    count: 3,
    errors: 1,
    inputTokens: 3200,
    outputTokens: 700,
    cacheReadTokens: 15_000,
    cacheWriteTokens: 1000,
  },
  // cost_usd as reported, plus claude-haiku-4-5 from the price table ($1 / $5 per million,
  // cache reads $0.10, cache writes $1.25).
  cost: 0.0123 + (2000 * 1 + 400 * 5 + 10_000 * 0.1 + 1000 * 1.25) / 1e6,
  byModel: [
    { model: 'claude-sonnet-4-5-20250929', count: 2, errors: 1, cacheReadTokens: 5000 },
    {
      model: 'claude-haiku-4-5-20251001',
      count: 1,
      cacheReadTokens: 10_000,
      cacheWriteTokens: 1000,
    },
  ],
  suggestions: { accepted: 1, rejected: 1, acceptanceRate: 0.5 },
  tools: { calls: 2, successes: 1 },
  sessions: { started: 1 },
};
