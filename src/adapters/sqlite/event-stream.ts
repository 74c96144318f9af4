// The embedded event stream: a table in the SQLite file. A consumer claims rows with a lease
// (owner + deadline) and deletes them on ack; a row whose lease runs out is claimed again by
// anyone, with its delivery count raised — the SQL version of XREADGROUP + XAUTOCLAIM. Works
// across processes on one file: every claim is one IMMEDIATE transaction. Backpressure: an
// append is refused whole while the backlog has reached maxBacklog, measured as the span of row
// ids still in the table (max − min + 1, two index lookups; it counts holes left by entries
// acknowledged out of order, so it can only overstate the backlog, never understate it).
import type { Clock } from '../../domain/clock.js';
import type {
  DeadLetter,
  EventStream,
  NewStreamEntry,
  ReadOptions,
  StreamEntry,
  StreamStats,
} from '../../ports/event-stream.js';
import { backlogFullError, sqlCursor } from '../stream-refusals.js';
import type { SqliteHandle } from './database.js';

export interface SqliteEventStreamOptions {
  clock: Clock;
  /** How long a delivery is leased to its consumer before others may claim it. */
  leaseMs: number;
  /** Poll interval while waiting for new rows. */
  pollMs?: number;
  /** Appends are refused while this many entries are unacknowledged (unbounded if absent). */
  maxBacklog?: number;
}

interface StreamRow {
  id: number;
  tenant_id: string;
  payload: string;
  deliveries: number;
}

interface DeadRow {
  id: number;
  tenant_id: string;
  original_id: string;
  payload: string;
  error: string;
  deliveries: number;
  failed_at: number;
}

function toEntry(row: StreamRow): StreamEntry {
  return {
    id: String(row.id),
    tenantId: row.tenant_id,
    payload: row.payload,
    deliveries: row.deliveries,
  };
}

function toDead(row: DeadRow): DeadLetter {
  return {
    id: String(row.id),
    tenantId: row.tenant_id,
    originalId: row.original_id,
    payload: row.payload,
    error: row.error,
    deliveries: row.deliveries,
    failedAt: row.failed_at,
  };
}

export function createSqliteEventStream(
  db: SqliteHandle,
  options: SqliteEventStreamOptions,
): EventStream {
  const { clock, leaseMs } = options;
  const pollMs = options.pollMs ?? 50;
  const insert = db.prepare(
    'INSERT INTO telemetry_stream (tenant_id, payload, appended_at) VALUES (?, ?, ?)',
  );
  const claimFree = db.prepare<[string, number, number, number], StreamRow>(`
    UPDATE telemetry_stream SET lease_owner = ?, lease_until = ?, deliveries = deliveries + 1
    WHERE id IN (SELECT id FROM telemetry_stream WHERE lease_until IS NULL OR lease_until <= ? ORDER BY id LIMIT ?)
    RETURNING id, tenant_id, payload, deliveries`);
  const claimOwn = db.prepare<[number, string, number], StreamRow>(`
    UPDATE telemetry_stream SET lease_until = ?, deliveries = deliveries + 1
    WHERE id IN (SELECT id FROM telemetry_stream WHERE lease_owner = ? ORDER BY id LIMIT ?)
    RETURNING id, tenant_id, payload, deliveries`);
  const claimExpired = db.prepare<[string, number, number, number], StreamRow>(`
    UPDATE telemetry_stream SET lease_owner = ?, lease_until = ?, deliveries = deliveries + 1
    WHERE id IN (SELECT id FROM telemetry_stream WHERE lease_owner IS NOT NULL AND lease_until <= ? ORDER BY id LIMIT ?)
    RETURNING id, tenant_id, payload, deliveries`);
  const remove = db.prepare('DELETE FROM telemetry_stream WHERE id = ?');
  const release = db.prepare(
    'UPDATE telemetry_stream SET lease_owner = NULL, lease_until = ?, last_error = ? WHERE id = ? AND lease_owner = ?',
  );
  const insertDead = db.prepare<[string, string, string, string, number, number], { id: number }>(`
    INSERT INTO telemetry_dead_letters (tenant_id, original_id, payload, error, deliveries, failed_at)
    VALUES (?, ?, ?, ?, ?, ?) RETURNING id`);
  const listDead = db.prepare<[string, number, number], DeadRow>(
    'SELECT * FROM telemetry_dead_letters WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?',
  );
  const span = db.prepare<[], { span: number | null }>(
    'SELECT max(id) - min(id) + 1 AS span FROM telemetry_stream',
  );
  const deadById = db.prepare<[string, number], DeadRow>(
    'SELECT * FROM telemetry_dead_letters WHERE tenant_id = ? AND id = ?',
  );
  const removeDead = db.prepare('DELETE FROM telemetry_dead_letters WHERE id = ?');
  const counts = db.prepare<[], { length: number; pending: number; dead: number }>(`
    SELECT (SELECT count(*) FROM telemetry_stream) AS length,
           (SELECT count(*) FROM telemetry_stream WHERE lease_owner IS NOT NULL) AS pending,
           (SELECT count(*) FROM telemetry_dead_letters) AS dead`);

  function checkBacklog(): void {
    if (options.maxBacklog === undefined) return;
    const backlog = span.get()?.span ?? 0;
    if (backlog >= options.maxBacklog) throw backlogFullError(backlog, options.maxBacklog);
  }
  const appendAll = db.transaction((entries: NewStreamEntry[], now: number) => {
    checkBacklog();
    return entries.map((entry) =>
      String(insert.run(entry.tenantId, entry.payload, now).lastInsertRowid),
    );
  });
  const ackAll = db.transaction((ids: string[]) => {
    for (const id of ids) remove.run(Number(id));
  });
  const moveToDead = db.transaction((entry: StreamEntry, error: string, now: number) => {
    const row = insertDead.get(
      entry.tenantId,
      entry.id,
      entry.payload,
      error,
      entry.deliveries,
      now,
    )!;
    remove.run(Number(entry.id));
    return row.id;
  });
  const replay = db.transaction((rows: DeadRow[], now: number) => {
    if (rows.length > 0) checkBacklog();
    for (const row of rows) {
      insert.run(row.tenant_id, row.payload, now);
      removeDead.run(row.id);
    }
    return rows.length;
  });
  const resumed = new Set<string>();
  let closed = false;

  return {
    async append(entries) {
      if (entries.length === 0) return [];
      return appendAll.immediate(entries, clock.now());
    },

    async read(consumer, { count, blockMs }: ReadOptions) {
      if (!resumed.has(consumer)) {
        // Our own leases from an earlier run of this consumer come back first.
        resumed.add(consumer);
        const own = db
          .transaction(() => claimOwn.all(clock.now() + leaseMs, consumer, count))
          .immediate();
        if (own.length > 0) return own.map(toEntry);
      }
      const deadline = Date.now() + blockMs;
      for (;;) {
        const now = clock.now();
        const rows = db
          .transaction(() => claimFree.all(consumer, now + leaseMs, now, count))
          .immediate();
        if (rows.length > 0 || closed || Date.now() >= deadline) return rows.map(toEntry);
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(pollMs, Math.max(1, deadline - Date.now()))),
        );
      }
    },

    async claimIdle(consumer, { idleMs, count }) {
      // A lease deadline is delivery time + leaseMs, so "idle past idleMs" is deadline ≤ now + leaseMs − idleMs.
      const now = clock.now();
      const rows = db
        .transaction(() => claimExpired.all(consumer, now + leaseMs, now + leaseMs - idleMs, count))
        .immediate();
      return rows.map(toEntry);
    },

    async ack(_consumer, ids) {
      if (ids.length > 0) ackAll.immediate(ids);
    },

    async release(consumer, entry, error) {
      // Not claimable again until a lease has passed, as with an idle Redis pending entry.
      release.run(clock.now() + leaseMs, error, Number(entry.id), consumer);
    },

    async deadLetter(_consumer, entry, error) {
      const now = clock.now();
      const id = moveToDead.immediate(entry, error, now);
      return {
        id: String(id),
        tenantId: entry.tenantId,
        originalId: entry.id,
        payload: entry.payload,
        error,
        deliveries: entry.deliveries,
        failedAt: now,
      };
    },

    async listDeadLetters(tenantId, { limit, after }) {
      const rows = listDead.all(tenantId, sqlCursor(after), limit + 1).map(toDead);
      if (rows.length <= limit) return { deadLetters: rows };
      const page = rows.slice(0, limit);
      return { deadLetters: page, next: page[limit - 1]!.id };
    },

    async replayDeadLetters(tenantId, ids) {
      const rows =
        ids === undefined
          ? listDead.all(tenantId, 0, Number.MAX_SAFE_INTEGER)
          : ids
              .map((id) => deadById.get(tenantId, Number(id)))
              .filter((row): row is DeadRow => row !== undefined);
      return replay.immediate(rows, clock.now());
    },

    async stats(): Promise<StreamStats> {
      const row = counts.get()!;
      return { length: row.length, pending: row.pending, deadLetters: row.dead };
    },

    async close() {
      closed = true;
    },
  };
}
