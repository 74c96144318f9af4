// The OTLP receiver: decodes an export (protobuf or JSON), maps it to Engram events and ingests
// them through the telemetry service — the same validation, stream, backpressure and
// event-id dedup as POST /v1/events — or, for metrics, stores the data points as series; then
// answers in the spec's shape: partialSuccess with the count of spans / log records / data
// points not folded or stored, and why.
import { Counter, type Registry } from 'prom-client';
import type { TelemetryService } from '../service.js';
import { OtlpInputError } from './attributes.js';
import { mapLogs } from './map-logs.js';
import { mapMetrics } from './map-metrics.js';
import type { MetricSeriesService } from './metric-series.js';
import { mapSpans } from './map-spans.js';
import type { MappedExport } from './mapped.js';
import { decodeRequest, type OtlpSignal } from './proto.js';

export type OtlpEncoding = 'protobuf' | 'json';

const REJECTED_FIELD: Record<OtlpSignal, string> = {
  traces: 'rejectedSpans',
  logs: 'rejectedLogRecords',
  metrics: 'rejectedDataPoints',
};
const ITEM_NAME: Record<OtlpSignal, string> = {
  traces: 'span',
  logs: 'log record',
  metrics: 'data point',
};
/** Distinct reasons quoted in one errorMessage. */
const MAX_REASONS = 5;

export interface OtlpReceiverOptions {
  service: TelemetryService;
  /** Where metric data points are stored. */
  series: MetricSeriesService;
  /** Events per service.ingest call (ENGRAM_TELEMETRY_BATCH_MAX_EVENTS). */
  batchMaxEvents: number;
  registry?: Registry;
}

export interface OtlpExportResult {
  /** Items (spans, log records, data points) in the export. */
  items: number;
  rejected: number;
  /** The Export*ServiceResponse in its JSON shape. */
  response: Record<string, unknown>;
}

export interface OtlpReceiver {
  receive(
    tenantId: string,
    signal: OtlpSignal,
    body: Buffer,
    encoding: OtlpEncoding,
  ): Promise<OtlpExportResult>;
}

function decode(signal: OtlpSignal, body: Buffer, encoding: OtlpEncoding): Record<string, unknown> {
  if (encoding === 'protobuf') {
    try {
      return decodeRequest(signal, body);
    } catch (error) {
      // protobufjs refuses deep nesting itself ("max depth exceeded"); a RangeError is the stack.
      const message = (error as Error).message;
      const reason =
        error instanceof RangeError || /max depth/i.test(message)
          ? 'messages are nested too deeply'
          : message;
      throw new OtlpInputError(`The body is not an OTLP ${signal} protobuf request: ${reason}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new OtlpInputError(`The body is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new OtlpInputError(`The body must be a JSON object (an OTLP ${signal} request)`);
  return parsed as Record<string, unknown>;
}

export function createOtlpReceiver(options: OtlpReceiverOptions): OtlpReceiver {
  const registers = options.registry === undefined ? [] : [options.registry];
  const items = new Counter({
    name: 'engram_otlp_items_total',
    help: 'OTLP spans, log records and data points received, by signal and outcome (folded: appended as events or stored as series points; rejected: not mapped or not valid, reported in partialSuccess).',
    labelNames: ['signal', 'outcome'],
    registers,
  });

  /** Appends the events in service-sized batches; returns the reasons of rejected items. */
  async function ingest(tenantId: string, mapped: MappedExport): Promise<Map<number, string>> {
    const rejected = new Map<number, string>();
    for (const { item, reason } of mapped.unmapped) rejected.set(item, reason);
    for (let at = 0; at < mapped.events.length; at += options.batchMaxEvents) {
      const chunk = mapped.events.slice(at, at + options.batchMaxEvents);
      const result = await options.service.ingest(
        tenantId,
        chunk.map((e) => e.event),
      );
      for (const r of result.rejected) {
        const item = chunk[r.index]?.item;
        if (item !== undefined && !rejected.has(item)) rejected.set(item, r.message);
      }
    }
    return rejected;
  }

  return {
    async receive(tenantId, signal, body, encoding) {
      const request = decode(signal, body, encoding);
      let mapped: { items: number };
      let rejected: Map<number, string>;
      if (signal === 'metrics') {
        const metrics = mapMetrics(request);
        mapped = metrics;
        rejected = await options.series.write(tenantId, metrics);
      } else {
        const events = signal === 'traces' ? mapSpans(request) : mapLogs(request);
        mapped = events;
        rejected = await ingest(tenantId, events);
      }
      items.inc({ signal, outcome: 'folded' }, mapped.items - rejected.size);
      items.inc({ signal, outcome: 'rejected' }, rejected.size);
      if (rejected.size === 0) return { items: mapped.items, rejected: 0, response: {} };
      const counts = new Map<string, number>();
      for (const reason of rejected.values()) counts.set(reason, (counts.get(reason) ?? 0) + 1);
      const reasons = [...counts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, MAX_REASONS)
        .map(([reason, n]) => `${n} × ${reason}`);
      const more =
        counts.size > MAX_REASONS ? ` (and ${counts.size - MAX_REASONS} more reasons)` : '';
      return {
        items: mapped.items,
        rejected: rejected.size,
        response: {
          partialSuccess: {
            [REJECTED_FIELD[signal]]: String(rejected.size),
            errorMessage: `${rejected.size} of ${mapped.items} ${ITEM_NAME[signal]}s not ${signal === 'metrics' ? 'stored' : 'folded'}: ${reasons.join('; ')}${more}`,
          },
        },
      };
    },
  };
}
