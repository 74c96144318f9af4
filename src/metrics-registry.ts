// The Prometheus registry of one runtime, with Node's process metrics. prom-client also exports
// three gauges with a "_total" suffix, which Prometheus reserves for counters (promtool flags
// them); their per-type twins (nodejs_active_handles{type=…} etc.) carry the same information.
import { Registry, collectDefaultMetrics } from 'prom-client';

const MISNAMED_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_GAUGES) registry.removeSingleMetric(name);
  return registry;
}
