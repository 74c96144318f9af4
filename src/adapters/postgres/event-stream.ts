// The event stream as a PostgreSQL table (distributed store without Redis): consumers claim rows
// with FOR UPDATE SKIP LOCKED and a lease, delete them on ack; expired leases are claimed again
// with their delivery count raised. New rows are found by polling. Backpressure as in the SQLite
// stream: an append is refused whole while the id span still in the table has reached maxBacklog.
import type pg from 'pg';
import type { Clock } from '../../domain/clock.js';
import { backlogFullError, sqlCursor } from '../stream-refusals.js';
import type {
  DeadLetter,
  EventStream,
  ReadOptions,
  StreamEntry,
  StreamStats,
} from '../../ports/event-stream.js';

export interface PostgresEventStreamOptions {
  clock: Clock;
  leaseMs: number;
  pollMs?: number;
  /** Appends are refused while this many entries are unacknowledged (unbounded if absent). */
  maxBacklog?: number;
}

interface StreamRow {
  id: string;
  tenant_id: string;
  payload: string;
  deliveries: number;
}

interface DeadRow {
  id: string;
  tenant_id: string;
  original_id: string;
  payload: string;
  error: string;
  deliveries: number;
  failed_at: string;
}

const RETURNING = 'RETURNING s.id, s.tenant_id, s.payload, s.deliveries';

function toEntries(rows: StreamRow[]): StreamEntry[] {
  return rows
    .map((row) => ({
      id: String(row.id),
      tenantId: row.tenant_id,
      payload: row.payload,
      deliveries: row.deliveries,
    }))
    .sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
}

function toDead(row: DeadRow): DeadLetter {
  return {
    id: String(row.id),
    tenantId: row.tenant_id,
    originalId: row.original_id,
    payload: row.payload,
    error: row.error,
    deliveries: row.deliveries,
    failedAt: Number(row.failed_at),
  };
}

export function createPostgresEventStream(
  pool: pg.Pool,
  options: PostgresEventStreamOptions,
): EventStream {
  const { clock, leaseMs } = options;
  const pollMs = options.pollMs ?? 100;
  const resumed = new Set<string>();
  let closed = false;

  async function claim(
    where: string,
    params: unknown[],
    owner: string,
    count: number,
  ): Promise<StreamEntry[]> {
    const now = clock.now();
    const result = await pool.query<StreamRow>(
      `UPDATE telemetry_stream s SET lease_owner = $1, lease_until = $2, deliveries = s.deliveries + 1
       FROM (SELECT id FROM telemetry_stream WHERE ${where} ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) c
       WHERE s.id = c.id ${RETURNING}`,
      [owner, now + leaseMs, count, ...params],
    );
    return toEntries(result.rows);
  }

  return {
    async append(entries) {
      if (entries.length === 0) return [];
      // The bound check and the insert are one statement: nothing of a refused batch is stored.
      const bound = options.maxBacklog ?? Number.MAX_SAFE_INTEGER;
      const result = await pool.query<{ id: string }>(
        `WITH b AS (SELECT coalesce(max(id) - min(id) + 1, 0) AS span FROM telemetry_stream)
         INSERT INTO telemetry_stream (tenant_id, payload, appended_at)
         SELECT t, p, $3 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(t, p, n)
         WHERE (SELECT span FROM b) < $4 ORDER BY n RETURNING id`,
        [entries.map((e) => e.tenantId), entries.map((e) => e.payload), clock.now(), bound],
      );
      if (result.rows.length === 0) {
        const span = await pool.query<{ span: string }>(
          'SELECT coalesce(max(id) - min(id) + 1, 0) AS span FROM telemetry_stream',
        );
        throw backlogFullError(Number(span.rows[0]?.span ?? bound), bound);
      }
      return result.rows.map((row) => String(row.id));
    },

    async read(consumer, { count, blockMs }: ReadOptions) {
      if (!resumed.has(consumer)) {
        resumed.add(consumer);
        const own = await claim('lease_owner = $4', [consumer], consumer, count);
        if (own.length > 0) return own;
      }
      const deadline = Date.now() + blockMs;
      for (;;) {
        const rows = await claim(
          'lease_until IS NULL OR lease_until <= $4',
          [clock.now()],
          consumer,
          count,
        );
        if (rows.length > 0 || closed || Date.now() >= deadline) return rows;
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(pollMs, Math.max(1, deadline - Date.now()))),
        );
      }
    },

    async claimIdle(consumer, { idleMs, count }) {
      return claim(
        'lease_owner IS NOT NULL AND lease_until <= $4',
        [clock.now() + leaseMs - idleMs],
        consumer,
        count,
      );
    },

    async ack(_consumer, ids) {
      if (ids.length > 0)
        await pool.query('DELETE FROM telemetry_stream WHERE id = ANY($1::bigint[])', [ids]);
    },

    async release(consumer, entry, error) {
      await pool.query(
        'UPDATE telemetry_stream SET lease_owner = NULL, lease_until = $1, last_error = $2 WHERE id = $3 AND lease_owner = $4',
        [clock.now() + leaseMs, error, entry.id, consumer],
      );
    },

    async deadLetter(_consumer, entry, error) {
      const now = clock.now();
      const result = await pool.query<{ id: string }>(
        `WITH gone AS (DELETE FROM telemetry_stream WHERE id = $2::bigint)
         INSERT INTO telemetry_dead_letters (tenant_id, original_id, payload, error, deliveries, failed_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [entry.tenantId, entry.id, entry.payload, error, entry.deliveries, now],
      );
      return {
        id: String(result.rows[0]!.id),
        tenantId: entry.tenantId,
        originalId: entry.id,
        payload: entry.payload,
        error,
        deliveries: entry.deliveries,
        failedAt: now,
      };
    },

    async listDeadLetters(tenantId, { limit, after }) {
      const result = await pool.query<DeadRow>(
        'SELECT * FROM telemetry_dead_letters WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3',
        [tenantId, sqlCursor(after), limit + 1],
      );
      const rows = result.rows.map(toDead);
      if (rows.length <= limit) return { deadLetters: rows };
      const page = rows.slice(0, limit);
      return { deadLetters: page, next: page[limit - 1]!.id };
    },

    async replayDeadLetters(tenantId, ids) {
      if (options.maxBacklog !== undefined) {
        const span = await pool.query<{ span: string }>(
          'SELECT coalesce(max(id) - min(id) + 1, 0) AS span FROM telemetry_stream',
        );
        const backlog = Number(span.rows[0]?.span ?? 0);
        if (backlog >= options.maxBacklog) throw backlogFullError(backlog, options.maxBacklog);
      }
      const filter = ids === undefined ? '' : 'AND id = ANY($3::bigint[])';
      const params: unknown[] = [tenantId, clock.now()];
      if (ids !== undefined) params.push(ids.filter((id) => /^\d+$/.test(id)));
      const result = await pool.query(
        `WITH moved AS (DELETE FROM telemetry_dead_letters WHERE tenant_id = $1 ${filter} RETURNING id, tenant_id, payload)
         INSERT INTO telemetry_stream (tenant_id, payload, appended_at) SELECT tenant_id, payload, $2 FROM moved ORDER BY id`,
        params,
      );
      return result.rowCount ?? 0;
    },

    async stats(): Promise<StreamStats> {
      const result = await pool.query<{ length: string; pending: string; dead: string }>(`
        SELECT (SELECT count(*) FROM telemetry_stream) AS length,
               (SELECT count(*) FROM telemetry_stream WHERE lease_owner IS NOT NULL) AS pending,
               (SELECT count(*) FROM telemetry_dead_letters) AS dead`);
      const row = result.rows[0]!;
      return {
        length: Number(row.length),
        pending: Number(row.pending),
        deadLetters: Number(row.dead),
      };
    },

    async close() {
      closed = true;
    },
  };
}
