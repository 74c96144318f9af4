// Telemetry over a chosen window, refreshed every 10 s: model-call latency p50/p95/p99, events
// and calls per step and acceptance rate as charts (GET /v1/metrics/series); cost, tokens and
// calls by model, agent and tool with tools per minute and the productivity score (GET
// /v1/metrics/summary); the dead letters with replay.
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api';
import type { MetricsSeries, MetricsSummary } from '../api-types';
import { DeadLetters } from '../components/dead-letters';
import { ErrorNotice } from '../components/error-notice';
import { LineChart } from '../components/line-chart';
import { WindowBreakdown } from '../components/window-breakdown';
import { usePolling } from '../use-polling';

const REFRESH_MS = 10_000;
/** The step per window: at most a few hundred points per chart. */
const WINDOWS = { '1h': '1m', '24h': '5m', '7d': '1h' } as const;
type WindowName = keyof typeof WINDOWS;

export function TelemetryPage() {
  const [span, setSpan] = useState<WindowName>('1h');
  const path = `/v1/metrics/series?window=${span}&step=${WINDOWS[span]}`;
  const { data, error } = usePolling(() => api<MetricsSeries>(path), REFRESH_MS, [path]);
  const summaryPath = `/v1/metrics/summary?window=${span}`;
  const summary = usePolling(() => api<MetricsSummary>(summaryPath), REFRESH_MS, [summaryPath]);
  const charts = useMemo(() => {
    if (data === undefined) return undefined;
    const times = data.points.map((point) => Date.parse(point.start) / 1000);
    return {
      times,
      latency: [
        { label: 'p50', values: data.points.map((p) => p.latencyP50Ms), colour: '#7a9be8' },
        { label: 'p95', values: data.points.map((p) => p.latencyP95Ms), colour: '#2f5bd3' },
        { label: 'p99', values: data.points.map((p) => p.latencyP99Ms), colour: '#b42318' },
      ],
      volume: [
        { label: 'events', values: data.points.map((p) => p.events), colour: '#2f5bd3' },
        { label: 'model calls', values: data.points.map((p) => p.modelCalls), colour: '#1d7a46' },
        { label: 'tool calls', values: data.points.map((p) => p.toolCalls), colour: '#8a5a00' },
      ],
      acceptance: [
        {
          label: 'acceptance',
          values: data.points.map((p) =>
            p.acceptanceRate === null ? null : p.acceptanceRate * 100,
          ),
          colour: '#1d7a46',
        },
      ],
    };
  }, [data]);
  return (
    <>
      <h1>Telemetry</h1>
      <label for="window">Window </label>
      <select
        id="window"
        value={span}
        onChange={(event) => setSpan(event.currentTarget.value as WindowName)}
      >
        {Object.keys(WINDOWS).map((name) => (
          <option key={name} value={name}>
            last {name}
          </option>
        ))}
      </select>
      <ErrorNotice error={error} />
      {charts === undefined ? null : (
        <div class="charts">
          <LineChart
            title="Model-call latency"
            times={charts.times}
            lines={charts.latency}
            unit="ms"
          />
          <LineChart title="Events per step" times={charts.times} lines={charts.volume} unit="" />
          <LineChart
            title="Suggestion acceptance"
            times={charts.times}
            lines={charts.acceptance}
            unit="%"
          />
        </div>
      )}
      <ErrorNotice error={summary.error} />
      {summary.data === undefined ? null : <WindowBreakdown summary={summary.data} />}
      <DeadLetters />
    </>
  );
}
