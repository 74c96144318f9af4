// Unmapped OTLP records in the embedded store. One immediate transaction per write: records are
// inserted with INSERT OR IGNORE on (tenant, key), so a re-sent record is skipped; then the
// tenant's oldest records past the bound are deleted and the totals (received, dropped) updated.
import type { UnmappedStore } from '../../ports/unmapped-store.js';
import {
  countsOf,
  groupsQuery,
  listQuery,
  unmappedOf,
  type CountRow,
  type UnmappedRow,
} from '../unmapped-rows.js';
import type { SqliteHandle } from './database.js';

const at = () => '?';

export function createSqliteUnmappedStore(db: SqliteHandle): UnmappedStore {
  const insert = db.prepare(
    `INSERT OR IGNORE INTO otlp_unmapped (tenant_id, item_key, signal, name, reason, record, record_bytes, received_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const count = db.prepare<[string], { n: number }>(
    'SELECT COUNT(*) AS n FROM otlp_unmapped WHERE tenant_id = ?',
  );
  const trim = db.prepare(
    `DELETE FROM otlp_unmapped WHERE id IN (
       SELECT id FROM otlp_unmapped WHERE tenant_id = ? ORDER BY id LIMIT ?)`,
  );
  const addTotals = db.prepare(
    `INSERT INTO otlp_unmapped_totals (tenant_id, received, dropped) VALUES (?, ?, ?)
     ON CONFLICT (tenant_id) DO UPDATE SET received = received + excluded.received, dropped = dropped + excluded.dropped`,
  );
  const totals = db.prepare<[string], { received: number; dropped: number }>(
    'SELECT received, dropped FROM otlp_unmapped_totals WHERE tenant_id = ?',
  );
  const groups = db.prepare<[string, number], CountRow>(groupsQuery(at));

  const writeAll = db.transaction(
    (tenantId: string, records: Parameters<UnmappedStore['write']>[1], maxRecords: number) => {
      let stored = 0;
      for (const r of records) {
        stored += insert.run(
          tenantId,
          r.key,
          r.signal,
          r.name,
          r.reason,
          r.record,
          r.recordBytes,
          r.receivedMs,
        ).changes;
      }
      const excess = (count.get(tenantId)?.n ?? 0) - maxRecords;
      const dropped = excess > 0 ? trim.run(tenantId, excess).changes : 0;
      if (stored > 0 || dropped > 0) addTotals.run(tenantId, stored, dropped);
      return { stored, duplicates: records.length - stored, dropped };
    },
  );

  return {
    async write(tenantId, records, options) {
      if (records.length === 0) return { stored: 0, duplicates: 0, dropped: 0 };
      return writeAll.immediate(tenantId, records, options.maxRecords);
    },

    async list(tenantId, query) {
      const { sql, params } = listQuery(tenantId, query, at);
      return db
        .prepare<unknown[], UnmappedRow>(sql)
        .all(...params)
        .map(unmappedOf);
    },

    async counts(tenantId, options) {
      return countsOf(
        count.get(tenantId)?.n,
        totals.get(tenantId),
        groups.all(tenantId, options.limit),
      );
    },
  };
}
