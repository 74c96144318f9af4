// Unmapped OTLP records in PostgreSQL. A write is one transaction under a per-tenant advisory
// lock, so concurrent writers of one tenant (several API nodes) trim to the bound one after
// another and ids grow in commit order (newest first stays newest first); records are inserted
// with ON CONFLICT DO NOTHING on (tenant, key), so a re-sent record is skipped.
import type pg from 'pg';
import type { UnmappedStore } from '../../ports/unmapped-store.js';
import {
  countsOf,
  groupsQuery,
  listQuery,
  unmappedOf,
  type CountRow,
  type UnmappedRow,
} from '../unmapped-rows.js';
import { withTransaction } from './transaction.js';

const at = (n: number) => `$${n}`;

export function createPostgresUnmappedStore(pool: pg.Pool): UnmappedStore {
  return {
    async write(tenantId, records, options) {
      if (records.length === 0) return { stored: 0, duplicates: 0, dropped: 0 };
      return withTransaction(pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `otlp-unmapped:${tenantId}`,
        ]);
        const inserted = await client.query(
          `INSERT INTO otlp_unmapped (tenant_id, item_key, signal, name, reason, record, record_bytes, received_ms)
           SELECT $1, item_key, signal, name, reason, record, record_bytes, received_ms FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[])
             WITH ORDINALITY AS r(item_key, signal, name, reason, record, record_bytes, received_ms, n)
           ORDER BY n
           ON CONFLICT DO NOTHING`,
          [
            tenantId,
            records.map((r) => r.key),
            records.map((r) => r.signal),
            records.map((r) => r.name),
            records.map((r) => r.reason),
            records.map((r) => r.record),
            records.map((r) => r.recordBytes),
            records.map((r) => r.receivedMs),
          ],
        );
        const stored = inserted.rowCount ?? 0;
        const held = await client.query<{ n: string }>(
          'SELECT COUNT(*) AS n FROM otlp_unmapped WHERE tenant_id = $1',
          [tenantId],
        );
        const excess = Number(held.rows[0]?.n ?? 0) - options.maxRecords;
        let dropped = 0;
        if (excess > 0) {
          const trimmed = await client.query(
            `DELETE FROM otlp_unmapped WHERE id IN (
               SELECT id FROM otlp_unmapped WHERE tenant_id = $1 ORDER BY id LIMIT $2)`,
            [tenantId, excess],
          );
          dropped = trimmed.rowCount ?? 0;
        }
        if (stored > 0 || dropped > 0)
          await client.query(
            `INSERT INTO otlp_unmapped_totals (tenant_id, received, dropped) VALUES ($1, $2, $3)
             ON CONFLICT (tenant_id) DO UPDATE SET received = otlp_unmapped_totals.received + excluded.received,
               dropped = otlp_unmapped_totals.dropped + excluded.dropped`,
            [tenantId, stored, dropped],
          );
        return { stored, duplicates: records.length - stored, dropped };
      });
    },

    async list(tenantId, query) {
      const { sql, params } = listQuery(tenantId, query, at);
      const rows = await pool.query<UnmappedRow>(sql, params);
      return rows.rows.map(unmappedOf);
    },

    async counts(tenantId, options) {
      const [held, totals, groups] = await Promise.all([
        pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM otlp_unmapped WHERE tenant_id = $1', [
          tenantId,
        ]),
        pool.query<{ received: string; dropped: string }>(
          'SELECT received, dropped FROM otlp_unmapped_totals WHERE tenant_id = $1',
          [tenantId],
        ),
        pool.query<CountRow>(groupsQuery(at), [tenantId, options.limit]),
      ]);
      return countsOf(held.rows[0]?.n, totals.rows[0], groups.rows);
    },
  };
}
