// Folded telemetry metrics in the embedded store. Exactly once: in ONE immediate transaction,
// each event's id is inserted into telemetry_processed (INSERT OR IGNORE) and only events whose
// row was new have their operations applied; the transaction commits both or neither. A crash
// before commit leaves no trace (the event is redelivered and folded then); a crash after commit
// but before the stream ack makes the redelivery find the id and skip it. Operations of a batch
// are aggregated in memory first, so a batch costs one upsert per distinct field, not per event.
import type { Clock } from '../../domain/clock.js';
import {
  checkFolds,
  type BucketFields,
  type EventFold,
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
import type { SqliteHandle } from './database.js';

export interface SqliteMetricStoreOptions {
  clock: Clock;
}

export function createSqliteMetricStore(
  db: SqliteHandle,
  options: SqliteMetricStoreOptions,
): MetricStore {
  const markProcessed = db.prepare(
    'INSERT OR IGNORE INTO telemetry_processed (tenant_id, event_id, processed_at) VALUES (?, ?, ?)',
  );
  const bucketSql = (update: string) =>
    db.prepare(`INSERT INTO telemetry_buckets (tenant_id, minute, agent_id, tool, field, value) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (tenant_id, minute, agent_id, tool, field) DO UPDATE SET value = ${update}`);
  const sessionSql = (update: string) =>
    db.prepare(`INSERT INTO telemetry_sessions (tenant_id, session_id, agent_id, field, value) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (tenant_id, session_id, field) DO UPDATE SET value = ${update}`);
  const updates = {
    add: 'value + excluded.value',
    min: 'min(value, excluded.value)',
    max: 'max(value, excluded.value)',
  } as const;
  const bucketUpsert = {
    add: bucketSql(updates.add),
    min: bucketSql(updates.min),
    max: bucketSql(updates.max),
  };
  const sessionUpsert = {
    add: sessionSql(updates.add),
    min: sessionSql(updates.min),
    max: sessionSql(updates.max),
  };
  const markEnded = db.prepare(
    'INSERT OR IGNORE INTO telemetry_session_ends (tenant_id, minute, session_id, agent_id) VALUES (?, ?, ?, ?)',
  );

  const foldAll = db.transaction((folds: EventFold[], now: number): number => {
    const buckets = new Map<string, Pending>();
    const sessions = new Map<string, Pending>();
    let folded = 0;
    for (const fold of folds) {
      if (markProcessed.run(fold.tenantId, fold.eventId, now).changes === 0) continue;
      folded += 1;
      const bucketKey = [fold.tenantId, fold.minute, fold.agentId, fold.tool].join(SEP);
      for (const op of fold.ops) combine(buckets, `${bucketKey}${SEP}${op.field}`, op);
      const sessionKey = [fold.tenantId, fold.session.sessionId, fold.agentId].join(SEP);
      for (const op of fold.session.ops) combine(sessions, `${sessionKey}${SEP}${op.field}`, op);
      if (fold.session.endedMinute !== undefined) {
        markEnded.run(
          fold.tenantId,
          fold.session.endedMinute,
          fold.session.sessionId,
          fold.agentId,
        );
      }
    }
    for (const [key, pending] of buckets) {
      const [tenantId, minute, agentId, tool, field] = key.split(SEP);
      bucketUpsert[pending.kind].run(tenantId, Number(minute), agentId, tool, field, pending.value);
    }
    for (const [key, pending] of sessions) {
      const [tenantId, sessionId, agentId, field] = key.split(SEP);
      sessionUpsert[pending.kind].run(tenantId, sessionId, agentId, field, pending.value);
    }
    return folded;
  });

  return {
    async fold(folds) {
      const { valid, rejected } = checkFolds(folds);
      if (valid.length === 0) return { folded: 0, duplicates: 0, rejected };
      const folded = foldAll.immediate(valid, options.clock.now());
      return { folded, duplicates: valid.length - folded, rejected };
    },

    async readBuckets(query: MetricQuery): Promise<BucketFields[]> {
      const conditions = ['tenant_id = ?', 'minute BETWEEN ? AND ?'];
      const params: Array<string | number> = [query.tenantId, query.fromMinute, query.toMinute];
      if (query.agentId !== undefined) {
        conditions.push('agent_id = ?');
        params.push(query.agentId);
      }
      if (query.tool !== undefined) {
        conditions.push(`(tool = '' OR tool = ?)`);
        params.push(query.tool);
      }
      const rows = db
        .prepare<unknown[], BucketRow & { minute: number }>(
          `SELECT minute, agent_id, tool, field, value FROM telemetry_buckets WHERE ${conditions.join(' AND ')}`,
        )
        .all(...params);
      return groupBuckets(rows);
    },

    async readEndedSessions(query): Promise<SessionFields[]> {
      const agentFilter = query.agentId === undefined ? '' : 'AND e.agent_id = ?';
      const params: Array<string | number> = [query.tenantId, query.fromMinute, query.toMinute];
      if (query.agentId !== undefined) params.push(query.agentId);
      const rows = db
        .prepare<unknown[], SessionRow>(
          `SELECT session_id, agent_id, field, value FROM telemetry_sessions
           WHERE tenant_id = ? AND session_id IN (
             SELECT e.session_id FROM telemetry_session_ends e
             WHERE e.tenant_id = ? AND e.minute BETWEEN ? AND ? ${agentFilter})`,
        )
        .all(query.tenantId, ...params);
      return groupSessions(rows);
    },

    async prune({ processedBeforeMs, minuteBefore }) {
      const run = db.transaction(() => {
        let removed = db
          .prepare('DELETE FROM telemetry_processed WHERE processed_at < ?')
          .run(processedBeforeMs).changes;
        removed += db
          .prepare('DELETE FROM telemetry_buckets WHERE minute < ?')
          .run(minuteBefore).changes;
        removed += db
          .prepare('DELETE FROM telemetry_session_ends WHERE minute < ?')
          .run(minuteBefore).changes;
        removed += db
          .prepare(
            `DELETE FROM telemetry_sessions WHERE (tenant_id, session_id) IN (
               SELECT tenant_id, session_id FROM telemetry_sessions WHERE field = 'last' AND value < ?)`,
          )
          .run(minuteBefore * 60_000).changes;
        return removed;
      });
      return run.immediate();
    },

    async close() {
      // The database handle belongs to whoever opened it.
    },
  };
}
