// Metric formulas: folded buckets and sessions in, the figures users read out. Pure functions,
// shared by the HTTP summary, the time series and the Prometheus gauges. The productivity score
// is documented in docs/telemetry.md; keep the two in step.
import type { BucketFields, SessionFields } from '../ports/metric-store.js';
import { addSketchFields, parseModelField, type SketchName } from './fold-ops.js';
import { QuantileSketch } from './sketch.js';

export interface LatencyFigures {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
}

export interface ToolFigures {
  tool: string;
  calls: number;
  successes: number;
  successRate: number | null;
  durationMs: LatencyFigures;
}

/** Calls, tokens and cost of model calls (per model, per agent, or all). */
export interface CallFigures {
  count: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** USD: reported by the source or priced from the model price table. */
  cost: number;
}

export interface AgentFigures extends CallFigures {
  agentId: string;
  events: number;
  toolCalls: number;
}

export interface MetricFigures {
  events: number;
  modelCalls: CallFigures & {
    latencyMs: LatencyFigures;
    byModel: Array<CallFigures & { model: string }>;
  };
  /** Every agent with events in the window, most cost first. */
  byAgent: AgentFigures[];
  suggestions: {
    shown: number;
    accepted: number;
    rejected: number;
    /** accepted / (accepted + rejected); null with no decisions. */
    acceptanceRate: number | null;
    latencyMs: LatencyFigures;
  };
  tools: {
    calls: number;
    successes: number;
    successRate: number | null;
    durationMs: LatencyFigures;
    byTool: ToolFigures[];
  };
  sessions: {
    started: number;
    ended: number;
    /** Over sessions that ended in the window. */
    meanDurationMs: number | null;
    /** Mean over ended sessions of tool calls ÷ session minutes. */
    toolsPerMinute: number | null;
  };
  productivityScore: number | null;
}

export const PRODUCTIVITY_WEIGHTS = { acceptance: 0.4, toolSuccess: 0.4, pace: 0.2 } as const;

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

export function latencyFigures(sketch: QuantileSketch): LatencyFigures {
  if (sketch.count === 0)
    return { count: 0, p50: null, p95: null, p99: null, min: null, max: null, mean: null };
  return {
    count: sketch.count,
    p50: finite(sketch.quantile(0.5)),
    p95: finite(sketch.quantile(0.95)),
    p99: finite(sketch.quantile(0.99)),
    min: finite(sketch.min),
    max: finite(sketch.max),
    mean: sketch.sum / sketch.count,
  };
}

/**
 * productivity = 100 × Σ wᵢ·cᵢ / Σ wᵢ over the components that have data:
 * acceptance rate (w 0.4), tool success rate (w 0.4), pace = r / (r + 1) with r = tools per
 * minute per session (w 0.2). Null when no component has data.
 */
export function productivityScore(
  acceptanceRate: number | null,
  toolSuccessRate: number | null,
  toolsPerMinute: number | null,
): number | null {
  const parts: Array<[number, number | null]> = [
    [PRODUCTIVITY_WEIGHTS.acceptance, acceptanceRate],
    [PRODUCTIVITY_WEIGHTS.toolSuccess, toolSuccessRate],
    [
      PRODUCTIVITY_WEIGHTS.pace,
      toolsPerMinute === null ? null : toolsPerMinute / (toolsPerMinute + 1),
    ],
  ];
  let weight = 0;
  let total = 0;
  for (const [w, value] of parts) {
    if (value === null) continue;
    weight += w;
    total += w * value;
  }
  return weight === 0 ? null : (100 * total) / weight;
}

const CALL_FIELD_OF = {
  n: 'count',
  err: 'errors',
  in: 'inputTokens',
  out: 'outputTokens',
  cr: 'cacheReadTokens',
  cw: 'cacheWriteTokens',
  cost: 'cost',
} as const satisfies Record<string, keyof CallFigures>;

function emptyCalls(): CallFigures {
  return {
    count: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cost: 0,
  };
}

function callsOf(sum: (field: string) => number): CallFigures {
  return {
    count: sum('mc.n'),
    errors: sum('mc.err'),
    inputTokens: sum('mc.in'),
    outputTokens: sum('mc.out'),
    cacheReadTokens: sum('mc.cr'),
    cacheWriteTokens: sum('mc.cw'),
    cost: sum('mc.cost'),
  };
}

function addCalls(into: CallFigures, value: (field: string) => number): void {
  const calls = callsOf(value);
  for (const key of Object.keys(calls) as Array<keyof CallFigures>) into[key] += calls[key];
}

export function computeFigures(
  buckets: BucketFields[],
  sessions: SessionFields[],
  alpha: number,
): MetricFigures {
  const sum = (field: string) => buckets.reduce((acc, b) => acc + (b.fields[field] ?? 0), 0);
  const sketchOf = (name: SketchName, rows: BucketFields[]) => {
    const sketch = new QuantileSketch(alpha);
    for (const bucket of rows) addSketchFields(sketch, name, bucket.fields);
    return sketch;
  };
  const toolRows = new Map<string, BucketFields[]>();
  for (const bucket of buckets) {
    if (bucket.tool === '') continue;
    const rows = toolRows.get(bucket.tool) ?? [];
    rows.push(bucket);
    toolRows.set(bucket.tool, rows);
  }
  const byTool: ToolFigures[] = [...toolRows]
    .map(([tool, rows]) => {
      const calls = rows.reduce((acc, b) => acc + (b.fields['tc.n'] ?? 0), 0);
      const successes = rows.reduce((acc, b) => acc + (b.fields['tc.ok'] ?? 0), 0);
      return {
        tool,
        calls,
        successes,
        successRate: ratio(successes, calls),
        durationMs: latencyFigures(sketchOf('tc.d', rows)),
      };
    })
    .sort((a, b) => b.calls - a.calls || a.tool.localeCompare(b.tool));

  const byModel = new Map<string, CallFigures & { model: string }>();
  const byAgent = new Map<string, AgentFigures>();
  for (const bucket of buckets) {
    const f = bucket.fields;
    let agent = byAgent.get(bucket.agentId);
    if (agent === undefined) {
      agent = { agentId: bucket.agentId, events: 0, toolCalls: 0, ...emptyCalls() };
      byAgent.set(bucket.agentId, agent);
    }
    addCalls(agent, (field) => f[field] ?? 0);
    agent.events += f['ev'] ?? 0;
    agent.toolCalls += f['tc.n'] ?? 0;
    for (const [field, value] of Object.entries(f)) {
      const parsed = parseModelField(field);
      if (parsed === undefined) continue;
      let model = byModel.get(parsed.model);
      if (model === undefined) {
        model = { model: parsed.model, ...emptyCalls() };
        byModel.set(parsed.model, model);
      }
      model[CALL_FIELD_OF[parsed.figure]] += value;
    }
  }

  const accepted = sum('sg.accepted');
  const rejected = sum('sg.rejected');
  const toolCalls = sum('tc.n');
  const toolSuccesses = sum('tc.ok');

  let durationTotal = 0;
  let durationCount = 0;
  let paceTotal = 0;
  let paceCount = 0;
  for (const session of sessions) {
    const end = session.fields['end'];
    const start = session.fields['start'];
    if (end === undefined || start === undefined || end < start) continue;
    const durationMs = end - start;
    durationTotal += durationMs;
    durationCount += 1;
    if (durationMs > 0) {
      paceTotal += (session.fields['tools'] ?? 0) / (durationMs / 60_000);
      paceCount += 1;
    }
  }
  const acceptanceRate = ratio(accepted, accepted + rejected);
  const successRate = ratio(toolSuccesses, toolCalls);
  const toolsPerMinute = paceCount > 0 ? paceTotal / paceCount : null;
  return {
    events: sum('ev'),
    modelCalls: {
      ...callsOf(sum),
      latencyMs: latencyFigures(sketchOf('mc.l', buckets)),
      byModel: [...byModel.values()].sort(
        (a, b) => b.cost - a.cost || b.count - a.count || a.model.localeCompare(b.model),
      ),
    },
    byAgent: [...byAgent.values()].sort(
      (a, b) => b.cost - a.cost || b.events - a.events || a.agentId.localeCompare(b.agentId),
    ),
    suggestions: {
      shown: sum('sg.shown'),
      accepted,
      rejected,
      acceptanceRate,
      latencyMs: latencyFigures(sketchOf('sg.l', buckets)),
    },
    tools: {
      calls: toolCalls,
      successes: toolSuccesses,
      successRate,
      durationMs: latencyFigures(sketchOf('tc.d', [...toolRows.values()].flat())),
      byTool,
    },
    sessions: {
      started: sum('ss.n'),
      ended: sum('se.n'),
      meanDurationMs: durationCount > 0 ? durationTotal / durationCount : null,
      toolsPerMinute,
    },
    productivityScore: productivityScore(acceptanceRate, successRate, toolsPerMinute),
  };
}

export interface SeriesPoint {
  /** Start of the step, ISO-8601. */
  start: string;
  events: number;
  modelCalls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cost: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencyP99Ms: number | null;
  suggestionsAccepted: number;
  suggestionsRejected: number;
  acceptanceRate: number | null;
  toolCalls: number;
  toolSuccessRate: number | null;
}

/** One point per step from fromMinute to toMinute (inclusive), empty steps included. */
export function computeSeries(
  buckets: BucketFields[],
  fromMinute: number,
  toMinute: number,
  stepMinutes: number,
  alpha: number,
): SeriesPoint[] {
  const first = Math.floor(fromMinute / stepMinutes);
  const last = Math.floor(toMinute / stepMinutes);
  const groups = new Map<number, BucketFields[]>();
  for (const bucket of buckets) {
    const step = Math.floor(bucket.minute / stepMinutes);
    const rows = groups.get(step) ?? [];
    rows.push(bucket);
    groups.set(step, rows);
  }
  const points: SeriesPoint[] = [];
  for (let step = first; step <= last; step += 1) {
    const rows = groups.get(step) ?? [];
    const sum = (field: string) => rows.reduce((acc, b) => acc + (b.fields[field] ?? 0), 0);
    const latency = new QuantileSketch(alpha);
    for (const bucket of rows) addSketchFields(latency, 'mc.l', bucket.fields);
    const figures = latencyFigures(latency);
    const accepted = sum('sg.accepted');
    const rejected = sum('sg.rejected');
    points.push({
      start: new Date(step * stepMinutes * 60_000).toISOString(),
      events: sum('ev'),
      modelCalls: sum('mc.n'),
      inputTokens: sum('mc.in'),
      outputTokens: sum('mc.out'),
      cacheReadTokens: sum('mc.cr'),
      cacheWriteTokens: sum('mc.cw'),
      cost: sum('mc.cost'),
      latencyP50Ms: figures.p50,
      latencyP95Ms: figures.p95,
      latencyP99Ms: figures.p99,
      suggestionsAccepted: accepted,
      suggestionsRejected: rejected,
      acceptanceRate: ratio(accepted, accepted + rejected),
      toolCalls: sum('tc.n'),
      toolSuccessRate: ratio(sum('tc.ok'), sum('tc.n')),
    });
  }
  return points;
}
