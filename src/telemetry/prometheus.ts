// The telemetry figures as Prometheus gauges on the registry passed in (the runtime's, exposed
// at /metrics): each scrape computes the summary of the last `window` per tenant — the same
// numbers as GET /v1/metrics/summary — plus the stream's backlog and dead letters.
// Label values are bounded: a tenant sending ten thousand tool names must not make a scrape
// megabytes long. Past `maxLabelValues` tenants (by events) or tools per tenant (by calls), the
// rest are folded into the label value "__other__" (never a tenant's name: parseApiKeys reserves
// it; a tool may be called "other"): counts are summed, success rates recomputed from
// the sums; quantiles and other ratios, which cannot be merged from the summary, are left out.
// Models and agents per tenant are capped the same way (most cost, then calls, first); the
// per-model and per-agent gauges cover the reported tenants (the folded ones are in the totals).
import { Gauge, type Registry } from 'prom-client';
import type { StreamStats } from '../ports/event-stream.js';
import type { Summary, TelemetryService, WindowName } from './service.js';

export interface TelemetryGaugeOptions {
  registry: Registry;
  service: TelemetryService;
  /** Tenants to report (the configured API-key tenants, or ["default"]). */
  tenants: () => string[];
  window?: WindowName;
  /** Distinct tenants, and tools per tenant, reported before the rest become "__other__". */
  maxLabelValues?: number;
}

export const OTHER_LABEL = '__other__';
const DEFAULT_MAX_LABEL_VALUES = 50;

interface ToolCount {
  tool: string;
  calls: number;
  successes: number;
}

/** The `max` tools with most calls, then one "__other__" holding the sums of the rest. */
export function capTools(tools: readonly ToolCount[], max: number): ToolCount[] {
  const ranked = [...tools].sort((a, b) => b.calls - a.calls || a.tool.localeCompare(b.tool));
  if (ranked.length <= max) return ranked;
  const kept = new Map<string, ToolCount>();
  const add = (tool: string, from: ToolCount) => {
    const sum = kept.get(tool) ?? { tool, calls: 0, successes: 0 };
    sum.calls += from.calls;
    sum.successes += from.successes;
    kept.set(tool, sum);
  };
  ranked.forEach((tool, rank) => add(rank < max ? tool.tool : OTHER_LABEL, tool));
  return [...kept.values()];
}

interface Breakdown {
  label: string;
  calls: number;
  cost: number;
}

/** The `max` entries with most cost (then calls), then one "__other__" with the rest summed. */
export function capBreakdown(entries: readonly Breakdown[], max: number): Breakdown[] {
  const ranked = [...entries].sort(
    (a, b) => b.cost - a.cost || b.calls - a.calls || a.label.localeCompare(b.label),
  );
  if (ranked.length <= max) return ranked;
  const other = { label: OTHER_LABEL, calls: 0, cost: 0 };
  for (const entry of ranked.slice(max)) {
    other.calls += entry.calls;
    other.cost += entry.cost;
  }
  return [...ranked.slice(0, max), other];
}

interface Snapshot {
  at: number;
  /** The reported tenants, most events first. */
  summaries: Array<[string, Summary]>;
  /** Tenants past the cap, summed: only the additive figures. */
  other: OtherTenants | undefined;
  stream: StreamStats;
}

interface OtherTenants {
  events: number;
  modelCalls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cost: number;
  tools: ToolCount[];
}

function foldTenants(all: Array<[string, Summary]>, max: number) {
  const ranked = [...all].sort((a, b) => b[1].events - a[1].events || a[0].localeCompare(b[0]));
  if (ranked.length <= max) return { summaries: ranked, other: undefined };
  const rest = ranked.slice(max);
  const other: OtherTenants = {
    events: 0,
    modelCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cost: 0,
    tools: [],
  };
  for (const [, s] of rest) {
    other.events += s.events;
    other.modelCalls += s.modelCalls.count;
    other.inputTokens += s.modelCalls.inputTokens;
    other.outputTokens += s.modelCalls.outputTokens;
    other.cacheReadTokens += s.modelCalls.cacheReadTokens;
    other.cacheWriteTokens += s.modelCalls.cacheWriteTokens;
    other.cost += s.modelCalls.cost;
    other.tools.push(...s.tools.byTool);
  }
  return { summaries: ranked.slice(0, max), other };
}

export function registerTelemetryGauges(options: TelemetryGaugeOptions): void {
  const window = options.window ?? '5m';
  const maxLabelValues = options.maxLabelValues ?? DEFAULT_MAX_LABEL_VALUES;
  let cached: Promise<Snapshot> | undefined;
  let cachedAt = 0;

  function snapshot(): Promise<Snapshot> {
    // One computation per scrape, shared by every gauge below.
    if (cached === undefined || Date.now() - cachedAt > 1000) {
      cachedAt = Date.now();
      cached = (async () => {
        const all = await Promise.all(
          options
            .tenants()
            .map(
              async (tenant) =>
                [tenant, await options.service.summary(tenant, { window })] as [string, Summary],
            ),
        );
        return {
          at: cachedAt,
          ...foldTenants(all, maxLabelValues),
          stream: await options.service.streamStats(),
        };
      })();
      cached.catch(() => {
        cached = undefined;
      });
    }
    return cached;
  }

  function gauge(
    name: string,
    help: string,
    labelNames: string[],
    fill: (
      set: (labels: Record<string, string>, value: number | null) => void,
      snap: Snapshot,
    ) => void,
  ): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [options.registry],
      async collect() {
        this.reset();
        const snap = await snapshot();
        fill((labels, value) => {
          if (value !== null && Number.isFinite(value)) this.set(labels, value);
        }, snap);
      },
    });
  }

  type Setter = (l: Record<string, string>, v: number | null) => void;
  const perTenant =
    (pick: (s: Summary) => number | null, pickOther?: (o: OtherTenants) => number) =>
    (set: Setter, snap: Snapshot) => {
      for (const [tenant, s] of snap.summaries) set({ tenant, window }, pick(s));
      if (snap.other !== undefined && pickOther !== undefined)
        set({ tenant: OTHER_LABEL, window }, pickOther(snap.other));
    };
  /** Each reported tenant's tools, capped, and the folded tenants' tools as tenant "__other__". */
  const perTool = (set: Setter, snap: Snapshot, value: (t: ToolCount) => number | null) => {
    const groups: Array<[string, readonly ToolCount[]]> = snap.summaries.map(([tenant, s]) => [
      tenant,
      s.tools.byTool,
    ]);
    if (snap.other !== undefined) groups.push([OTHER_LABEL, snap.other.tools]);
    for (const [tenant, tools] of groups) {
      for (const t of capTools(mergeTools(tools), maxLabelValues))
        set({ tenant, window, tool: t.tool }, value(t));
    }
  };

  gauge(
    'engram_telemetry_events',
    'Events folded in the window',
    ['tenant', 'window'],
    perTenant(
      (s) => s.events,
      (o) => o.events,
    ),
  );
  gauge(
    'engram_telemetry_model_latency_ms',
    'Model call latency quantiles (relative error 1 %)',
    ['tenant', 'window', 'quantile'],
    (set, snap) => {
      for (const [tenant, s] of snap.summaries) {
        set({ tenant, window, quantile: '0.5' }, s.modelCalls.latencyMs.p50);
        set({ tenant, window, quantile: '0.95' }, s.modelCalls.latencyMs.p95);
        set({ tenant, window, quantile: '0.99' }, s.modelCalls.latencyMs.p99);
      }
    },
  );
  gauge(
    'engram_telemetry_model_calls',
    'Model calls in the window',
    ['tenant', 'window'],
    perTenant(
      (s) => s.modelCalls.count,
      (o) => o.modelCalls,
    ),
  );
  gauge(
    'engram_telemetry_model_tokens',
    'Model tokens in the window',
    ['tenant', 'window', 'direction'],
    (set, snap) => {
      const tokens = (tenant: string, t: Omit<OtherTenants, 'tools'>) => {
        set({ tenant, window, direction: 'input' }, t.inputTokens);
        set({ tenant, window, direction: 'output' }, t.outputTokens);
        set({ tenant, window, direction: 'cache_read' }, t.cacheReadTokens);
        set({ tenant, window, direction: 'cache_write' }, t.cacheWriteTokens);
      };
      for (const [tenant, s] of snap.summaries)
        tokens(tenant, { ...s.modelCalls, events: s.events, modelCalls: s.modelCalls.count });
      if (snap.other !== undefined) tokens(OTHER_LABEL, snap.other);
    },
  );
  gauge(
    'engram_telemetry_cost_usd',
    'Model call cost in the window, USD (reported or priced from the model price table)',
    ['tenant', 'window'],
    perTenant(
      (s) => s.modelCalls.cost,
      (o) => o.cost,
    ),
  );
  const perModel = (set: Setter, snap: Snapshot, value: (b: Breakdown) => number) => {
    for (const [tenant, s] of snap.summaries) {
      const models = s.modelCalls.byModel.map((m) => ({
        label: m.model,
        calls: m.count,
        cost: m.cost,
      }));
      for (const m of capBreakdown(models, maxLabelValues))
        set({ tenant, window, model: m.label }, value(m));
    }
  };
  const perAgent = (set: Setter, snap: Snapshot, value: (b: Breakdown) => number) => {
    for (const [tenant, s] of snap.summaries) {
      const agents = s.byAgent.map((a) => ({ label: a.agentId, calls: a.count, cost: a.cost }));
      for (const a of capBreakdown(agents, maxLabelValues))
        set({ tenant, window, agent: a.label }, value(a));
    }
  };
  gauge(
    'engram_telemetry_model_cost_usd',
    'Model call cost in the window per model, USD',
    ['tenant', 'window', 'model'],
    (set, snap) => perModel(set, snap, (m) => m.cost),
  );
  gauge(
    'engram_telemetry_model_calls_by_model',
    'Model calls in the window per model',
    ['tenant', 'window', 'model'],
    (set, snap) => perModel(set, snap, (m) => m.calls),
  );
  gauge(
    'engram_telemetry_agent_cost_usd',
    'Model call cost in the window per agent, USD',
    ['tenant', 'window', 'agent'],
    (set, snap) => perAgent(set, snap, (a) => a.cost),
  );
  gauge(
    'engram_telemetry_model_calls_by_agent',
    'Model calls in the window per agent',
    ['tenant', 'window', 'agent'],
    (set, snap) => perAgent(set, snap, (a) => a.calls),
  );
  gauge(
    'engram_telemetry_acceptance_rate',
    'accepted / (accepted + rejected) suggestions',
    ['tenant', 'window'],
    perTenant((s) => s.suggestions.acceptanceRate),
  );
  gauge(
    'engram_telemetry_tool_calls',
    'Tool calls in the window',
    ['tenant', 'window', 'tool'],
    (set, snap) => perTool(set, snap, (t) => t.calls),
  );
  gauge(
    'engram_telemetry_tool_success_rate',
    'Successful / all tool calls',
    ['tenant', 'window', 'tool'],
    (set, snap) => {
      for (const [tenant, s] of snap.summaries)
        set({ tenant, window, tool: '*' }, s.tools.successRate);
      perTool(set, snap, (t) => (t.calls > 0 ? t.successes / t.calls : null));
    },
  );
  gauge(
    'engram_telemetry_tools_per_minute_per_session',
    'Mean tool calls per session minute',
    ['tenant', 'window'],
    perTenant((s) => s.sessions.toolsPerMinute),
  );
  gauge(
    'engram_telemetry_session_duration_ms',
    'Mean duration of sessions that ended in the window',
    ['tenant', 'window'],
    perTenant((s) => s.sessions.meanDurationMs),
  );
  gauge(
    'engram_telemetry_productivity_score',
    'Productivity score 0–100 (docs/telemetry.md)',
    ['tenant', 'window'],
    perTenant((s) => s.productivityScore),
  );
  gauge(
    'engram_telemetry_stream_pending',
    'Stream entries delivered and not yet acknowledged',
    [],
    (set, snap) => set({}, snap.stream.pending),
  );
  gauge('engram_telemetry_stream_length', 'Entries held by the stream', [], (set, snap) =>
    set({}, snap.stream.length),
  );
  gauge('engram_telemetry_dead_letters', 'Entries in the dead-letter list', [], (set, snap) =>
    set({}, snap.stream.deadLetters),
  );
}

/** Sums tools of the same name (the folded tenants' lists repeat names). */
function mergeTools(tools: readonly ToolCount[]): ToolCount[] {
  const byName = new Map<string, ToolCount>();
  for (const t of tools) {
    const sum = byName.get(t.tool) ?? { tool: t.tool, calls: 0, successes: 0 };
    sum.calls += t.calls;
    sum.successes += t.successes;
    byName.set(t.tool, sum);
  }
  return [...byName.values()];
}
