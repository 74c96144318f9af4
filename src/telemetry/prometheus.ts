// The telemetry figures as Prometheus gauges on the registry passed in (the runtime's, exposed
// at /metrics): each scrape computes the summary of the last `window` per tenant — the same
// numbers as GET /v1/metrics/summary — plus the stream's backlog and dead letters.
import { Gauge, type Registry } from 'prom-client';
import type { StreamStats } from '../ports/event-stream.js';
import type { Summary, TelemetryService, WindowName } from './service.js';

export interface TelemetryGaugeOptions {
  registry: Registry;
  service: TelemetryService;
  /** Tenants to report (the configured API-key tenants, or ["default"]). */
  tenants: () => string[];
  window?: WindowName;
}

interface Snapshot {
  at: number;
  summaries: Array<[string, Summary]>;
  stream: StreamStats;
}

export function registerTelemetryGauges(options: TelemetryGaugeOptions): void {
  const window = options.window ?? '5m';
  let cached: Promise<Snapshot> | undefined;
  let cachedAt = 0;

  function snapshot(): Promise<Snapshot> {
    // One computation per scrape, shared by every gauge below.
    if (cached === undefined || Date.now() - cachedAt > 1000) {
      cachedAt = Date.now();
      cached = (async () => ({
        at: cachedAt,
        summaries: await Promise.all(
          options
            .tenants()
            .map(
              async (tenant) =>
                [tenant, await options.service.summary(tenant, { window })] as [string, Summary],
            ),
        ),
        stream: await options.service.streamStats(),
      }))();
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

  const perTenant =
    (pick: (s: Summary) => number | null) =>
    (set: (l: Record<string, string>, v: number | null) => void, snap: Snapshot) => {
      for (const [tenant, s] of snap.summaries) set({ tenant, window }, pick(s));
    };

  gauge(
    'engram_telemetry_events',
    'Events folded in the window',
    ['tenant', 'window'],
    perTenant((s) => s.events),
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
    perTenant((s) => s.modelCalls.count),
  );
  gauge(
    'engram_telemetry_model_tokens',
    'Model tokens in the window',
    ['tenant', 'window', 'direction'],
    (set, snap) => {
      for (const [tenant, s] of snap.summaries) {
        set({ tenant, window, direction: 'input' }, s.modelCalls.inputTokens);
        set({ tenant, window, direction: 'output' }, s.modelCalls.outputTokens);
      }
    },
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
    (set, snap) => {
      for (const [tenant, s] of snap.summaries)
        for (const t of s.tools.byTool) set({ tenant, window, tool: t.tool }, t.calls);
    },
  );
  gauge(
    'engram_telemetry_tool_success_rate',
    'Successful / all tool calls',
    ['tenant', 'window', 'tool'],
    (set, snap) => {
      for (const [tenant, s] of snap.summaries) {
        set({ tenant, window, tool: '*' }, s.tools.successRate);
        for (const t of s.tools.byTool) set({ tenant, window, tool: t.tool }, t.successRate);
      }
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
