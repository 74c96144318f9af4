// Unmapped OTLP records of a tenant: the well-formed spans, log records and data points nothing
// maps are kept as sent (with their resource and scope), at most maxRecordsPerTenant per tenant
// (the oldest are dropped past it, and the drop is counted), so nothing an exporter sends is
// silently lost; GET /v1/telemetry/unmapped lists them and counts them by name and reason.
// Records rejected as malformed never come here: the export's answer reports them instead.
import type { Clock } from '../../domain/clock.js';
import type {
  UnmappedCounts,
  UnmappedSignal,
  UnmappedStore,
  UnmappedWriteResult,
} from '../../ports/unmapped-store.js';
import type { UnmappedItem } from './mapped.js';

/** Largest record kept whole (JSON bytes); a larger one is kept as its first this many bytes. */
export const MAX_RECORD_BYTES = 64 * 1024;
/** Name / reason groups a count answer lists at most. */
export const MAX_COUNT_GROUPS = 200;

export interface UnmappedView {
  id: number;
  signal: UnmappedSignal;
  name: string;
  reason: string;
  receivedAt: string;
  /** The record (with resource and scope); null when truncated. */
  record: unknown;
  truncated: boolean;
  /** The record's first MAX_RECORD_BYTES bytes of JSON when truncated, else null. */
  recordPrefix: string | null;
  recordBytes: number;
}

export interface UnmappedService {
  keep(
    tenantId: string,
    signal: UnmappedSignal,
    items: UnmappedItem[],
  ): Promise<UnmappedWriteResult>;
  list(
    tenantId: string,
    query: { limit: number; beforeId?: number; signal?: UnmappedSignal; name?: string },
  ): Promise<UnmappedView[]>;
  counts(tenantId: string): Promise<UnmappedCounts & { maxRecords: number }>;
}

function prefixOf(text: string, bytes: number): string {
  // A cut inside a multi-byte character decodes to U+FFFD: leave it out.
  return Buffer.from(text, 'utf8')
    .subarray(0, bytes)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
}

export function createUnmappedService(options: {
  store: UnmappedStore;
  clock: Clock;
  maxRecordsPerTenant: number;
}): UnmappedService {
  const { store, clock, maxRecordsPerTenant } = options;
  return {
    async keep(tenantId, signal, items) {
      const receivedMs = clock.now();
      return store.write(
        tenantId,
        items.map((u) => {
          const text = JSON.stringify(u.record);
          const recordBytes = Buffer.byteLength(text, 'utf8');
          return {
            key: u.key,
            signal,
            name: u.name,
            reason: u.reason,
            record: recordBytes > MAX_RECORD_BYTES ? prefixOf(text, MAX_RECORD_BYTES) : text,
            recordBytes,
            receivedMs,
          };
        }),
        { maxRecords: maxRecordsPerTenant },
      );
    },

    async list(tenantId, query) {
      const stored = await store.list(tenantId, query);
      return stored.map((r) => {
        const truncated = r.recordBytes > Buffer.byteLength(r.record, 'utf8');
        return {
          id: r.id,
          signal: r.signal,
          name: r.name,
          reason: r.reason,
          receivedAt: new Date(r.receivedMs).toISOString(),
          record: truncated ? null : (JSON.parse(r.record) as unknown),
          truncated,
          recordPrefix: truncated ? r.record : null,
          recordBytes: r.recordBytes,
        };
      });
    },

    async counts(tenantId) {
      const counts = await store.counts(tenantId, { limit: MAX_COUNT_GROUPS });
      return { ...counts, maxRecords: maxRecordsPerTenant };
    },
  };
}
