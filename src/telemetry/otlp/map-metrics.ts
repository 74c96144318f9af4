// OTLP metrics: this version stores no metric series, so every data point is counted and
// reported back as rejected (partialSuccess.rejectedDataPoints, with the reason), never dropped
// silently. The points' attributes are still held to the receiver's limits.
import { attributesOf } from './attributes.js';
import { emptyExport, fieldOf, listOf, type MappedExport } from './mapped.js';

const KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;
const REASON = 'OTLP metric series are not stored by this Engram version (send logs or spans)';

export function mapMetrics(request: Record<string, unknown>): MappedExport {
  const out = emptyExport();
  listOf(request, 'resourceMetrics').forEach((resourceMetrics, r) => {
    listOf(resourceMetrics, 'scopeMetrics').forEach((scopeMetrics, s) => {
      listOf(scopeMetrics, 'metrics').forEach((metric, m) => {
        for (const kind of KINDS) {
          listOf(fieldOf(metric, kind), 'dataPoints').forEach((point, p) => {
            attributesOf(
              fieldOf(point, 'attributes'),
              `resourceMetrics[${r}].scopeMetrics[${s}].metrics[${m}].${kind}.dataPoints[${p}]`,
            );
            out.unmapped.push({ item: out.items++, reason: REASON });
          });
        }
      });
    });
  });
  return out;
}
