// Metric store port: the shared, exact metric state that telemetry workers fold events into.
// A fold is a list of numeric operations on one (tenant, agent, tool, minute) bucket and on one
// session; the store applies an event's operations at most once per (tenant, eventId) — marking
// the event processed and applying its operations in one atomic step — so redelivered,
// replayed or re-stamped (same eventId, later ts) events never count twice while the id is
// remembered (the dedup TTL). Every store checks each fold with foldProblem BEFORE it marks
// anything: a bad fold is returned in `rejected` and the rest of its batch still folds.
// Adapters: SQLite, PostgreSQL (tables), Redis (hashes + Lua).

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

export interface FoldRejection {
  /** Index of the fold in the batch. */
  index: number;
  error: string;
}

export interface FoldResult {
  /** Events applied now. */
  folded: number;
  /** Events already applied before (redelivery, replay, client retry): skipped. */
  duplicates: number;
  /** Folds that failed foldProblem: neither marked nor applied (dead-letter them). */
  rejected: FoldRejection[];
}

/** Largest magnitude of an operation's value (timestamps in ms fit; sums never reach Infinity). */
export const MAX_FOLD_VALUE = Number.MAX_SAFE_INTEGER;
const MAX_NAME = 200;
// Ids and names become SQL aggregation keys joined by U+0000 and Redis key parts: no control
// characters.
const CONTROL = /[\p{Cc}]/u;

function nameProblem(what: string, value: string, allowEmpty = false): string | undefined {
  if (typeof value !== 'string') return `${what} is not a string`;
  if (value.length === 0 && !allowEmpty) return `${what} is empty`;
  if (value.length > MAX_NAME) return `${what} is longer than ${MAX_NAME} characters`;
  if (CONTROL.test(value)) return `${what} contains control characters`;
  return undefined;
}

function opsProblem(what: string, ops: FoldOp[]): string | undefined {
  for (const op of ops) {
    const problem = nameProblem(`${what} field`, op.field);
    if (problem !== undefined) return problem;
    if (op.kind !== 'add' && op.kind !== 'min' && op.kind !== 'max')
      return `${what} ${op.field}: unknown operation`;
    if (!Number.isFinite(op.value) || Math.abs(op.value) > MAX_FOLD_VALUE)
      return `${what} ${op.field}: value ${op.value} is not a finite number within ±${MAX_FOLD_VALUE}`;
  }
  return undefined;
}

/**
 * Why a fold cannot be applied, or undefined when it can. Stores call it on every fold before
 * marking any event processed, so one bad event can neither fail its batch half-way nor be
 * marked seen without being counted.
 */
export function foldProblem(fold: EventFold): string | undefined {
  return (
    nameProblem('tenantId', fold.tenantId) ??
    nameProblem('eventId', fold.eventId) ??
    nameProblem('agentId', fold.agentId) ??
    nameProblem('tool', fold.tool, true) ??
    nameProblem('sessionId', fold.session.sessionId) ??
    (Number.isSafeInteger(fold.minute) ? undefined : `minute ${fold.minute} is not an integer`) ??
    (fold.session.endedMinute === undefined || Number.isSafeInteger(fold.session.endedMinute)
      ? undefined
      : `endedMinute ${fold.session.endedMinute} is not an integer`) ??
    opsProblem('bucket', fold.ops) ??
    opsProblem('session', fold.session.ops)
  );
}

/** Splits a batch into the folds a store may apply and the rejected ones (with their index). */
export function checkFolds(folds: EventFold[]): { valid: EventFold[]; rejected: FoldRejection[] } {
  const valid: EventFold[] = [];
  const rejected: FoldRejection[] = [];
  folds.forEach((fold, index) => {
    const error = foldProblem(fold);
    if (error === undefined) valid.push(fold);
    else rejected.push({ index, error: `invalid fold: ${error}` });
  });
  return { valid, rejected };
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
  /**
   * Applies each valid event's operations exactly once (idempotent by tenant and eventId, never
   * by timestamp); invalid folds come back in `rejected` untouched. Throws only when the store
   * itself fails, and then applies and marks nothing of the batch.
   */
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
