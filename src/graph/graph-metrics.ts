// Prometheus counters of graph extraction, on the runtime's registry (never the global one): how
// many chunks each extractor read and how many it had to leave out, so a model that keeps
// returning invalid JSON shows on a dashboard, not only in a log line.
import { Counter, type Registry } from 'prom-client';

export interface GraphMetrics {
  /** Chunks an extraction read (`extracted`) or left out (`failed`, by reason). */
  chunks(extractor: string, extracted: number, failed: { reason: string }[]): void;
}

export const noGraphMetrics: GraphMetrics = { chunks: () => undefined };

export function createGraphMetrics(registry: Registry): GraphMetrics {
  const chunks = new Counter({
    name: 'engram_graph_chunks_total',
    help: 'Chunks sent to the graph extractor, by extractor and outcome (extracted, or failed with its reason).',
    labelNames: ['extractor', 'outcome', 'reason'],
    registers: [registry],
  });
  return {
    chunks(extractor, extracted, failed) {
      if (extracted > 0) chunks.inc({ extractor, outcome: 'extracted', reason: '' }, extracted);
      for (const failure of failed)
        chunks.inc({ extractor, outcome: 'failed', reason: failure.reason });
    },
  };
}
