// Synthetic agent telemetry with exact expected figures computed from the raw events, for the
// end-to-end tests and the benchmark.
import type { TelemetryEventInput } from '../../src/telemetry/events.js';

export interface Generated {
  events: TelemetryEventInput[];
  expected: {
    events: number;
    modelCalls: number;
    inputTokens: number;
    outputTokens: number;
    shown: number;
    accepted: number;
    rejected: number;
    toolCalls: number;
    toolSuccesses: number;
    byTool: Record<string, { calls: number; successes: number }>;
    sessionsStarted: number;
    sessionsEnded: number;
    modelLatencies: number[];
    toolDurations: number[];
  };
}

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOOLS = ['search', 'edit', 'run_tests', 'read_file'];

export function generateEvents(
  count: number,
  options: { seed: number; nowMs: number; spanMs: number; prefix: string },
): Generated {
  const rand = random(options.seed);
  const events: TelemetryEventInput[] = [];
  const expected: Generated['expected'] = {
    events: 0,
    modelCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
    shown: 0,
    accepted: 0,
    rejected: 0,
    toolCalls: 0,
    toolSuccesses: 0,
    byTool: {},
    sessionsStarted: 0,
    sessionsEnded: 0,
    modelLatencies: [],
    toolDurations: [],
  };
  const sessions = Math.max(1, Math.floor(count / 50));
  for (let i = 0; i < count; i += 1) {
    const session = i % sessions;
    const base = {
      eventId: `${options.prefix}-${i}`,
      // Sessions end 60 s after they start, inside the span.
      ts: Math.floor(options.nowMs - options.spanMs + rand() * (options.spanMs - 120_000)),
      sessionId: `${options.prefix}-s${session}`,
      agentId: `agent-${session % 3}`,
    };
    const roll = rand();
    expected.events += 1;
    if (i < sessions) {
      events.push({
        ...base,
        ts: options.nowMs - options.spanMs + session * 10,
        type: 'session_start',
      });
      expected.sessionsStarted += 1;
    } else if (i < 2 * sessions) {
      events.push({
        ...base,
        ts: options.nowMs - options.spanMs + session * 10 + 60_000,
        type: 'session_end',
      });
      expected.sessionsEnded += 1;
    } else if (roll < 0.4) {
      const latencyMs = Math.round(Math.exp(4 + rand() * 3) * 100) / 100;
      const inputTokens = Math.floor(rand() * 2000);
      const outputTokens = Math.floor(rand() * 500);
      events.push({
        ...base,
        type: 'model_call',
        model: 'gpt-x',
        latencyMs,
        inputTokens,
        outputTokens,
      });
      expected.modelCalls += 1;
      expected.inputTokens += inputTokens;
      expected.outputTokens += outputTokens;
      expected.modelLatencies.push(latencyMs);
    } else if (roll < 0.7) {
      const action = rand() < 0.5 ? 'shown' : rand() < 0.7 ? 'accepted' : 'rejected';
      events.push({ ...base, type: 'suggestion', action });
      expected[action] += 1;
    } else {
      const tool = TOOLS[Math.floor(rand() * TOOLS.length)]!;
      const success = rand() < 0.8;
      const durationMs = rand() < 0.05 ? 0 : Math.floor(rand() * 5000);
      events.push({ ...base, type: 'tool_call', tool, success, durationMs });
      expected.toolCalls += 1;
      expected.toolSuccesses += success ? 1 : 0;
      const entry = (expected.byTool[tool] ??= { calls: 0, successes: 0 });
      entry.calls += 1;
      entry.successes += success ? 1 : 0;
      expected.toolDurations.push(durationMs);
    }
  }
  return { events, expected };
}

export function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}
