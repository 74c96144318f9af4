// Unmapped OTLP records port: spans, log records and metric data points that are well formed but
// that Engram has no mapping for (a span with no gen_ai.operation.name, a log event it does not
// know, a summary metric), kept per tenant as sent so nothing a client exported is silently
// dropped. Each record has an idempotency key (a span's trace id + span id, a log record's
// identity hash, a data point's series and time), so a re-sent export stores it once. A tenant
// holds at most maxRecords: past it the oldest are deleted and counted as dropped, in the same
// transaction. Records rejected as malformed are not unmapped; they are never stored here.
// Adapters: SQLite and PostgreSQL tables of the main store (in every deployment, Redis or not).

export type UnmappedSignal = 'traces' | 'logs' | 'metrics';

export interface UnmappedRecord {
  /** Idempotency key within the tenant. */
  key: string;
  signal: UnmappedSignal;
  /** Span name, log event name or metric name ('' when the record has none). */
  name: string;
  /** Why nothing maps it. */
  reason: string;
  /** The record as JSON text; a prefix of it when recordBytes is larger than the text. */
  record: string;
  /** Bytes of the whole record's JSON. */
  recordBytes: number;
  receivedMs: number;
}

export interface StoredUnmapped extends UnmappedRecord {
  /** Increases with every record a tenant stores: newest first is highest first. */
  id: number;
}

export interface UnmappedWriteResult {
  /** Records stored now. */
  stored: number;
  /** Records already stored (same key): skipped. */
  duplicates: number;
  /** Oldest records deleted to keep the tenant within maxRecords. */
  dropped: number;
}

export interface UnmappedCounts {
  /** Records the tenant holds now. */
  held: number;
  /** Records ever stored (a re-sent record counts once). */
  received: number;
  /** Records deleted past the bound. */
  dropped: number;
  /** Held records per signal, name and reason, most first (at most `limit` groups). */
  byName: Array<{ signal: UnmappedSignal; name: string; reason: string; count: number }>;
}

export interface UnmappedQuery {
  limit: number;
  /** Only records with an id below this one (the cursor of the previous page). */
  beforeId?: number;
  signal?: UnmappedSignal;
  name?: string;
}

export interface UnmappedStore {
  /** Stores the records not already held (by key), then trims the tenant to maxRecords. */
  write(
    tenantId: string,
    records: UnmappedRecord[],
    options: { maxRecords: number },
  ): Promise<UnmappedWriteResult>;
  /** The tenant's records, newest first. */
  list(tenantId: string, query: UnmappedQuery): Promise<StoredUnmapped[]>;
  counts(tenantId: string, options: { limit: number }): Promise<UnmappedCounts>;
}
