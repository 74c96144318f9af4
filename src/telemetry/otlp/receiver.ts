// The OTLP receiver: decodes an export (protobuf or JSON), maps it to Engram events and ingests
// them through the telemetry service — the same validation, stream, backpressure and
// event-id dedup as POST /v1/events — or, for metrics, stores the data points as series. Items
// nothing maps are kept as unmapped (unmapped.ts). The answer has the spec's shape:
// partialSuccess counts the items rejected as malformed (rejectedSpans / rejectedLogRecords /
// rejectedDataPoints) and says why; unmapped items are accepted, so they add only a warning to
// its errorMessage (with a rejected count of 0 when nothing was rejected, as the spec allows).
import { Counter, type Registry } from 'prom-client';
import type { TelemetryService } from '../service.js';
import { OtlpInputError } from './attributes.js';
import { mapLogs } from './map-logs.js';
import { mapMetrics } from './map-metrics.js';
import type { MetricSeriesService } from './metric-series.js';
import { mapSpans } from './map-spans.js';
import type { MappedExport } from './mapped.js';
import { decodeRequest, type OtlpSignal } from './proto.js';
import type { UnmappedService } from './unmapped.js';

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
  /** Where items nothing maps are kept. */
  unmapped: UnmappedService;
  /** Events per service.ingest call (ENGRAM_TELEMETRY_BATCH_MAX_EVENTS). */
  batchMaxEvents: number;
  registry?: Registry;
}

export interface OtlpExportResult {
  /** Items (spans, log records, data points) in the export. */
  items: number;
  rejected: number;
  /** Items nothing maps, kept as unmapped. */
  unmapped: number;
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

/** "3 × reason; 1 × other reason" for the most frequent reasons. */
function reasonsOf(reasons: Iterable<string>): string {
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const top = [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_REASONS)
    .map(([reason, n]) => `${n} × ${reason}`);
  const more = counts.size > MAX_REASONS ? ` (and ${counts.size - MAX_REASONS} more reasons)` : '';
  return `${top.join('; ')}${more}`;
}

export function createOtlpReceiver(options: OtlpReceiverOptions): OtlpReceiver {
  const registers = options.registry === undefined ? [] : [options.registry];
  const items = new Counter({
    name: 'engram_otlp_items_total',
    help: 'OTLP spans, log records and data points received, by signal and outcome (folded: appended as events or stored as series points; unmapped: well formed, nothing maps them, kept (GET /v1/telemetry/unmapped); rejected: malformed or refused, reported in partialSuccess).',
    labelNames: ['signal', 'outcome'],
    registers,
  });
  const dropped = new Counter({
    name: 'engram_otlp_unmapped_dropped_total',
    help: 'Unmapped OTLP records deleted to keep a tenant within ENGRAM_OTLP_MAX_UNMAPPED_PER_TENANT (oldest first).',
    labelNames: ['signal'],
    registers,
  });

  /** Appends the events in service-sized batches; returns the reasons of rejected items. */
  async function ingest(tenantId: string, mapped: MappedExport): Promise<Map<number, string>> {
    const rejected = new Map<number, string>();
    for (const { item, reason } of mapped.rejected) rejected.set(item, reason);
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
      const mapped =
        signal === 'metrics'
          ? mapMetrics(request)
          : signal === 'traces'
            ? mapSpans(request)
            : mapLogs(request);
      const { unmapped, items: total } = mapped;
      // Kept first: should the rest fail, the exporter retries, and the retry keeps them once.
      if (unmapped.length > 0) {
        const kept = await options.unmapped.keep(tenantId, signal, unmapped);
        dropped.inc({ signal }, kept.dropped);
      }
      const rejected =
        'series' in mapped
          ? await options.series.write(tenantId, mapped)
          : await ingest(tenantId, mapped);
      items.inc({ signal, outcome: 'folded' }, total - rejected.size - unmapped.length);
      items.inc({ signal, outcome: 'unmapped' }, unmapped.length);
      items.inc({ signal, outcome: 'rejected' }, rejected.size);
      const result = { items: total, rejected: rejected.size, unmapped: unmapped.length };
      if (rejected.size === 0 && unmapped.length === 0) return { ...result, response: {} };
      const what = `of ${total} ${ITEM_NAME[signal]}s`;
      const messages = [];
      if (rejected.size > 0)
        messages.push(`${rejected.size} ${what} rejected: ${reasonsOf(rejected.values())}`);
      if (unmapped.length > 0)
        messages.push(
          `${unmapped.length} ${what} accepted but not mapped, kept (GET /v1/telemetry/unmapped): ${reasonsOf(unmapped.map((u) => u.reason))}`,
        );
      return {
        ...result,
        response: {
          partialSuccess: {
            [REJECTED_FIELD[signal]]: String(rejected.size),
            errorMessage: messages.join('. '),
          },
        },
      };
    },
  };
}
