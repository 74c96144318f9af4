// Folded telemetry metrics in PostgreSQL (distributed store without Redis). Exactly once: in ONE
// transaction the batch's event ids are inserted into telemetry_processed (ON CONFLICT DO
// NOTHING RETURNING gives the ids that are new) and only those events' operations are applied;
// commit makes both visible together, rollback neither. A concurrent fold of the same event
// waits on the id's row lock and then finds it taken. Rows are written in key order so two
// workers lock them in the same order (no deadlocks).
import type pg from 'pg';
import type { Clock } from '../../domain/clock.js';
import {
  checkFolds,
  type BucketFields,
  type EventFold,
  type FoldResult,
  type MetricQuery,
  type MetricStore,
  type SessionFields,
} from '../../ports/metric-store.js';
import {
  combine,
  groupBuckets,
  groupSessions,
  SEP,
  type BucketRow,
  type Pending,
  type SessionRow,
} from '../metric-rows.js';
import { withTransaction } from './transaction.js';

const UPDATE = {
  add: (table: string) => `${table}.value + excluded.value`,
  min: (table: string) => `LEAST(${table}.value, excluded.value)`,
  max: (table: string) => `GREATEST(${table}.value, excluded.value)`,
} as const;

export function createPostgresMetricStore(pool: pg.Pool, options: { clock: Clock }): MetricStore {
  async function fold(batch: EventFold[]): Promise<FoldResult> {
    const { valid: folds, rejected } = checkFolds(batch);
    if (folds.length === 0) return { folded: 0, duplicates: 0, rejected };
    return withTransaction(pool, async (client) => {
      const ids = [...new Set(folds.map((f) => `${f.tenantId}${SEP}${f.eventId}`))].sort();
      const inserted = await client.query<{ tenant_id: string; event_id: string }>(
        `INSERT INTO telemetry_processed (tenant_id, event_id, processed_at)
         SELECT t, e, $3 FROM unnest($1::text[], $2::text[]) AS u(t, e)
         ON CONFLICT DO NOTHING RETURNING tenant_id, event_id`,
        [ids.map((id) => id.split(SEP)[0]), ids.map((id) => id.split(SEP)[1]), options.clock.now()],
      );
      const fresh = new Set(inserted.rows.map((row) => `${row.tenant_id}${SEP}${row.event_id}`));
      const buckets = new Map<string, Pending>();
      const sessions = new Map<string, Pending>();
      const ends = new Set<string>();
      let folded = 0;
      for (const f of folds) {
        const id = `${f.tenantId}${SEP}${f.eventId}`;
        if (!fresh.delete(id)) continue;
        folded += 1;
        const bucketKey = [f.tenantId, f.minute, f.agentId, f.tool].join(SEP);
        for (const op of f.ops) combine(buckets, `${bucketKey}${SEP}${op.field}`, op);
        const sessionKey = [f.tenantId, f.session.sessionId, f.agentId].join(SEP);
        for (const op of f.session.ops) combine(sessions, `${sessionKey}${SEP}${op.field}`, op);
        if (f.session.endedMinute !== undefined) {
          ends.add([f.tenantId, f.session.endedMinute, f.session.sessionId, f.agentId].join(SEP));
        }
      }
      for (const kind of ['add', 'min', 'max'] as const) {
        const rows = [...buckets]
          .filter(([, p]) => p.kind === kind)
          .sort(([a], [b]) => (a < b ? -1 : 1));
        if (rows.length > 0) {
          const cols = rows.map(([key]) => key.split(SEP));
          await client.query(
            `INSERT INTO telemetry_buckets (tenant_id, minute, agent_id, tool, field, value)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::float8[])
             ON CONFLICT (tenant_id, minute, agent_id, tool, field) DO UPDATE SET value = ${UPDATE[kind]('telemetry_buckets')}`,
            [
              cols.map((c) => c[0]),
              cols.map((c) => c[1]),
              cols.map((c) => c[2]),
              cols.map((c) => c[3]),
              cols.map((c) => c[4]),
              rows.map(([, p]) => p.value),
            ],
          );
        }
        const sessionRows = [...sessions]
          .filter(([, p]) => p.kind === kind)
          .sort(([a], [b]) => (a < b ? -1 : 1));
        if (sessionRows.length > 0) {
          const cols = sessionRows.map(([key]) => key.split(SEP));
          await client.query(
            `INSERT INTO telemetry_sessions (tenant_id, session_id, agent_id, field, value)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[])
             ON CONFLICT (tenant_id, session_id, field) DO UPDATE SET value = ${UPDATE[kind]('telemetry_sessions')}`,
            [
              cols.map((c) => c[0]),
              cols.map((c) => c[1]),
              cols.map((c) => c[2]),
              cols.map((c) => c[3]),
              sessionRows.map(([, p]) => p.value),
            ],
          );
        }
      }
      if (ends.size > 0) {
        const cols = [...ends].sort().map((key) => key.split(SEP));
        await client.query(
          `INSERT INTO telemetry_session_ends (tenant_id, minute, session_id, agent_id)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
          [
            cols.map((c) => c[0]),
            cols.map((c) => c[1]),
            cols.map((c) => c[2]),
            cols.map((c) => c[3]),
          ],
        );
      }
      return { folded, duplicates: folds.length - folded, rejected };
    });
  }

  return {
    fold,

    async readBuckets(query: MetricQuery): Promise<BucketFields[]> {
      const params: unknown[] = [query.tenantId, query.fromMinute, query.toMinute];
      let sql =
        'SELECT minute, agent_id, tool, field, value FROM telemetry_buckets WHERE tenant_id = $1 AND minute BETWEEN $2 AND $3';
      if (query.agentId !== undefined) {
        params.push(query.agentId);
        sql += ` AND agent_id = $${params.length}`;
      }
      if (query.tool !== undefined) {
        params.push(query.tool);
        sql += ` AND (tool = '' OR tool = $${params.length})`;
      }
      const result = await pool.query<BucketRow & { minute: string }>(sql, params);
      return groupBuckets(result.rows);
    },

    async readEndedSessions(query): Promise<SessionFields[]> {
      const params: unknown[] = [query.tenantId, query.fromMinute, query.toMinute];
      let agentFilter = '';
      if (query.agentId !== undefined) {
        params.push(query.agentId);
        agentFilter = `AND e.agent_id = $${params.length}`;
      }
      const result = await pool.query<SessionRow>(
        `SELECT session_id, agent_id, field, value FROM telemetry_sessions
         WHERE tenant_id = $1 AND session_id IN (
           SELECT e.session_id FROM telemetry_session_ends e
           WHERE e.tenant_id = $1 AND e.minute BETWEEN $2 AND $3 ${agentFilter})`,
        params,
      );
      return groupSessions(result.rows);
    },

    async prune({ processedBeforeMs, minuteBefore }) {
      const result = await pool.query<{ removed: string }>(
        `WITH p AS (DELETE FROM telemetry_processed WHERE processed_at < $1 RETURNING 1),
              b AS (DELETE FROM telemetry_buckets WHERE minute < $2 RETURNING 1),
              e AS (DELETE FROM telemetry_session_ends WHERE minute < $2 RETURNING 1),
              s AS (DELETE FROM telemetry_sessions WHERE (tenant_id, session_id) IN (
                      SELECT tenant_id, session_id FROM telemetry_sessions WHERE field = 'last' AND value < $3)
                    RETURNING 1)
         SELECT (SELECT count(*) FROM p) + (SELECT count(*) FROM b) + (SELECT count(*) FROM e) + (SELECT count(*) FROM s) AS removed`,
        [processedBeforeMs, minuteBefore, minuteBefore * 60_000],
      );
      return Number(result.rows[0]?.removed ?? 0);
    },

    async close() {
      // The pool belongs to whoever opened it.
    },
  };
}
