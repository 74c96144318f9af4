// Metric store port: the shared, exact metric state that telemetry workers fold events into.
// A fold is a list of numeric operations on one (tenant, agent, tool, minute) bucket and on one
// session; the store applies an event's operations at most once per (tenant, eventId) — marking
// the event processed and applying its operations in one atomic step — so redelivered or
// replayed events never count twice. Adapters: SQLite, PostgreSQL (tables), Redis (hashes + Lua).

export type FoldOpKind = 'add' | 'min' | 'max';

export interface FoldOp {
  field: string;
  kind: FoldOpKind;
  value: number;
}

export interface EventFold {
  tenantId: string;
  eventId: string;
  agentId: string;
  /** The tool of a tool_call event, '' for every other event. */
  tool: string;
  /** floor(ts / 60 000). */
  minute: number;
  ops: FoldOp[];
  session: {
    sessionId: string;
    /** Empty for events that do not change session state. */
    ops: FoldOp[];
    /** Set by session_end: the session is listed under this minute for window queries. */
    endedMinute?: number;
  };
}

export interface FoldResult {
  /** Events applied now. */
  folded: number;
  /** Events already applied before (redelivery, replay, client retry): skipped. */
  duplicates: number;
}

export interface MetricQuery {
  tenantId: string;
  /** Inclusive minute range. */
  fromMinute: number;
  toMinute: number;
  agentId?: string;
  tool?: string;
}

export interface BucketFields {
  agentId: string;
  tool: string;
  minute: number;
  fields: Record<string, number>;
}

export interface SessionFields {
  sessionId: string;
  agentId: string;
  fields: Record<string, number>;
}

export interface MetricStore {
  /** Applies each event's operations exactly once (idempotent by tenant and eventId). */
  fold(folds: EventFold[]): Promise<FoldResult>;
  /** Buckets in the minute range; `tool` narrows tool buckets only (buckets of other events have tool ''). */
  readBuckets(query: MetricQuery): Promise<BucketFields[]>;
  /** Sessions that ended in the minute range. */
  readEndedSessions(query: Omit<MetricQuery, 'tool'>): Promise<SessionFields[]>;
  /**
   * Forgets processed ids marked before `processedBeforeMs` and metrics of minutes before
   * `minuteBefore` (SQL stores; Redis keys expire by TTL). Returns the rows removed.
   */
  prune(input: { processedBeforeMs: number; minuteBefore: number }): Promise<number>;
  close(): Promise<void>;
}
