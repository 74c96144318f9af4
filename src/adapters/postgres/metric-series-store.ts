// OTLP metric series in PostgreSQL. A write is one transaction that first takes a per-tenant
// advisory lock, so concurrent writers of one tenant (several API nodes) count its series one
// after another and the bound holds exactly; points are inserted with ON CONFLICT DO NOTHING on
// (tenant, series, time_ns), so a re-sent point is skipped.
import type pg from 'pg';
import type { MetricSeriesStore } from '../../ports/metric-series-store.js';
import { groupSeries, seriesColumns, type PointRow, type SeriesRow } from '../series-rows.js';
import { withTransaction } from './transaction.js';

export function createPostgresMetricSeriesStore(pool: pg.Pool): MetricSeriesStore {
  async function countSeries(client: pg.Pool | pg.PoolClient, tenantId: string) {
    const result = await client.query<{ n: string }>(
      'SELECT COUNT(*) AS n FROM otlp_series WHERE tenant_id = $1',
      [tenantId],
    );
    return Number(result.rows[0]?.n ?? 0);
  }

  return {
    async write(tenantId, series, points, options) {
      return withTransaction(pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`otlp:${tenantId}`]);
        const ids = series.map((s) => s.seriesId);
        const existing = await client.query<{ series_id: string }>(
          'SELECT series_id FROM otlp_series WHERE tenant_id = $1 AND series_id = ANY($2::text[])',
          [tenantId, ids],
        );
        const known = new Set(existing.rows.map((row) => row.series_id));
        let held = await countSeries(client, tenantId);
        const refused = new Set<string>();
        const added: Array<ReturnType<typeof seriesColumns>> = [];
        for (const s of series) {
          if (known.has(s.seriesId)) continue;
          if (held < options.maxSeries) {
            added.push(seriesColumns(s));
            known.add(s.seriesId);
            held += 1;
          } else refused.add(s.seriesId);
        }
        if (added.length > 0) {
          await client.query(
            `INSERT INTO otlp_series (tenant_id, series_id, name, kind, unit, temporality, monotonic, resource, attributes, last_ms)
             SELECT $1, * , $10 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[], $9::text[])
             ON CONFLICT DO NOTHING`,
            [
              tenantId,
              ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => added.map((columns) => columns[i])),
              options.nowMs,
            ],
          );
        }
        await client.query(
          'UPDATE otlp_series SET last_ms = GREATEST(last_ms, $3) WHERE tenant_id = $1 AND series_id = ANY($2::text[])',
          [tenantId, [...known].sort(), options.nowMs],
        );
        const kept = points.filter((p) => !refused.has(p.seriesId));
        if (kept.length === 0) return { written: 0, duplicates: 0, refused };
        const inserted = await client.query(
          `INSERT INTO otlp_points (tenant_id, series_id, time_ns, start_ns, value)
           SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[])
           ON CONFLICT DO NOTHING`,
          [
            tenantId,
            kept.map((p) => p.seriesId),
            kept.map((p) => p.timeNs),
            kept.map((p) => p.startNs),
            kept.map((p) => JSON.stringify(p.value)),
          ],
        );
        const written = inserted.rowCount ?? 0;
        return { written, duplicates: kept.length - written, refused };
      });
    },

    async read(tenantId, query) {
      const params: unknown[] = [tenantId, query.fromNs, query.toNs];
      const where = ['s.tenant_id = $1'];
      if (query.name !== undefined) {
        params.push(query.name);
        where.push(`s.name = $${params.length}`);
      }
      if (query.after !== undefined) {
        params.push(query.after.name, query.after.seriesId);
        const [name, id] = [params.length - 1, params.length];
        // Byte order (COLLATE "C"), as SQLite compares, so both stores page alike.
        where.push(
          `(s.name COLLATE "C" > $${name} OR (s.name = $${name} AND s.series_id COLLATE "C" > $${id}))`,
        );
      }
      params.push(query.limit);
      const series = await pool.query<SeriesRow>(
        `SELECT s.* FROM otlp_series s WHERE ${where.join(' AND ')} AND EXISTS (
           SELECT 1 FROM otlp_points p
           WHERE p.tenant_id = s.tenant_id AND p.series_id = s.series_id
             AND p.time_ns BETWEEN $2::bigint AND $3::bigint)
         ORDER BY s.name COLLATE "C", s.series_id COLLATE "C" LIMIT $${params.length}`,
        params,
      );
      const ids = series.rows.map((row) => row.series_id);
      if (ids.length === 0) return [];
      const [points, before] = await Promise.all([
        pool.query<PointRow>(
          `SELECT series_id, time_ns::text AS time_ns, start_ns::text AS start_ns, value
           FROM otlp_points
           WHERE tenant_id = $1 AND series_id = ANY($2::text[]) AND time_ns BETWEEN $3::bigint AND $4::bigint
           ORDER BY series_id, time_ns`,
          [tenantId, ids, query.fromNs, query.toNs],
        ),
        pool.query<PointRow>(
          `SELECT s.series_id, b.time_ns::text AS time_ns, b.start_ns::text AS start_ns, b.value
           FROM unnest($2::text[]) AS s(series_id) CROSS JOIN LATERAL (
             SELECT time_ns, start_ns, value FROM otlp_points
             WHERE tenant_id = $1 AND series_id = s.series_id AND time_ns < $3::bigint
             ORDER BY time_ns DESC LIMIT 1) b`,
          [tenantId, ids, query.fromNs],
        ),
      ]);
      return groupSeries(series.rows, points.rows, before.rows);
    },

    countSeries: (tenantId) => countSeries(pool, tenantId),

    async prune(beforeMs) {
      return withTransaction(pool, async (client) => {
        const points = await client.query('DELETE FROM otlp_points WHERE time_ns < $1::bigint', [
          (BigInt(beforeMs) * 1_000_000n).toString(),
        ]);
        const series = await client.query(
          `DELETE FROM otlp_series s WHERE last_ms < $1 AND NOT EXISTS (
             SELECT 1 FROM otlp_points p WHERE p.tenant_id = s.tenant_id AND p.series_id = s.series_id)`,
          [beforeMs],
        );
        return (points.rowCount ?? 0) + (series.rowCount ?? 0);
      });
    },
  };
}
