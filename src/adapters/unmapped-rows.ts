// Shared parts of the SQLite and PostgreSQL unmapped-record stores: the row shape both schemas
// use, its mapping to the port's type, and the one list and count queries (only the parameter
// placeholders differ: ? in SQLite, $n in PostgreSQL).
import type {
  StoredUnmapped,
  UnmappedCounts,
  UnmappedQuery,
  UnmappedSignal,
} from '../ports/unmapped-store.js';

export interface UnmappedRow {
  id: number | string;
  item_key: string;
  signal: string;
  name: string;
  reason: string;
  record: string;
  record_bytes: number | string;
  received_ms: number | string;
}

export interface CountRow {
  signal: string;
  name: string;
  reason: string;
  count: number | string;
}

export function unmappedOf(row: UnmappedRow): StoredUnmapped {
  return {
    id: Number(row.id),
    key: row.item_key,
    signal: row.signal as UnmappedSignal,
    name: row.name,
    reason: row.reason,
    record: row.record,
    recordBytes: Number(row.record_bytes),
    receivedMs: Number(row.received_ms),
  };
}

export function countsOf(
  held: number | string | undefined,
  totals: { received: number | string; dropped: number | string } | undefined,
  groups: CountRow[],
): UnmappedCounts {
  return {
    held: Number(held ?? 0),
    received: Number(totals?.received ?? 0),
    dropped: Number(totals?.dropped ?? 0),
    byName: groups.map((g) => ({
      signal: g.signal as UnmappedSignal,
      name: g.name,
      reason: g.reason,
      count: Number(g.count),
    })),
  };
}

/** The list query and its parameters; `at(n)` writes the n-th (1-based) placeholder. */
export function listQuery(
  tenantId: string,
  query: UnmappedQuery,
  at: (n: number) => string,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [tenantId];
  const where = [`tenant_id = ${at(1)}`];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(`${clause} ${at(params.length)}`);
  };
  if (query.beforeId !== undefined) add('id <', query.beforeId);
  if (query.signal !== undefined) add('signal =', query.signal);
  if (query.name !== undefined) add('name =', query.name);
  params.push(query.limit);
  return {
    sql: `SELECT id, item_key, signal, name, reason, record, record_bytes, received_ms
          FROM otlp_unmapped WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${at(params.length)}`,
    params,
  };
}

/** Held records grouped by signal, name and reason, most first; parameters: tenant, limit. */
export function groupsQuery(at: (n: number) => string): string {
  return `SELECT signal, name, reason, COUNT(*) AS count FROM otlp_unmapped WHERE tenant_id = ${at(1)}
          GROUP BY signal, name, reason ORDER BY count DESC, signal, name, reason LIMIT ${at(2)}`;
}
