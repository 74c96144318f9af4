// Shared parts of the SQLite and PostgreSQL metric stores: the in-memory aggregation of a fold
// batch (one pending value per distinct key) and the grouping of result rows into buckets and
// sessions. Only the SQL differs between the backends; both schemas use the same column names.
// pg returns bigint columns as strings, so minutes are converted with Number().
import type { BucketFields, FoldOp, SessionFields } from '../ports/metric-store.js';

export interface Pending {
  kind: FoldOp['kind'];
  value: number;
}

/** Joins the parts of an aggregation key; cannot occur in ids, tools or field names. */
export const SEP = '\u0000';

export function combine(into: Map<string, Pending>, key: string, op: FoldOp): void {
  const current = into.get(key);
  if (current === undefined) into.set(key, { kind: op.kind, value: op.value });
  else if (op.kind === 'add') current.value += op.value;
  else if (op.kind === 'min') current.value = Math.min(current.value, op.value);
  else current.value = Math.max(current.value, op.value);
}

export interface BucketRow {
  minute: number | string;
  agent_id: string;
  tool: string;
  field: string;
  value: number;
}

export interface SessionRow {
  session_id: string;
  agent_id: string;
  field: string;
  value: number;
}

/** One BucketFields per (minute, agent, tool), in order of first appearance. */
export function groupBuckets(rows: BucketRow[]): BucketFields[] {
  const byBucket = new Map<string, BucketFields>();
  for (const row of rows) {
    const key = [row.minute, row.agent_id, row.tool].join(SEP);
    let bucket = byBucket.get(key);
    if (bucket === undefined) {
      bucket = { agentId: row.agent_id, tool: row.tool, minute: Number(row.minute), fields: {} };
      byBucket.set(key, bucket);
    }
    bucket.fields[row.field] = row.value;
  }
  return [...byBucket.values()];
}

/** One SessionFields per session, in order of first appearance. */
export function groupSessions(rows: SessionRow[]): SessionFields[] {
  const bySession = new Map<string, SessionFields>();
  for (const row of rows) {
    let session = bySession.get(row.session_id);
    if (session === undefined) {
      session = { sessionId: row.session_id, agentId: row.agent_id, fields: {} };
      bySession.set(row.session_id, session);
    }
    session.fields[row.field] = row.value;
  }
  return [...bySession.values()];
}
