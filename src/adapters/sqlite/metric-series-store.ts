// OTLP metric series in the embedded store. One immediate transaction per write: the tenant's
// series are counted, new series registered while under the bound, and points inserted with
// INSERT OR IGNORE on (tenant, series, time_ns), so a re-sent point is skipped. Timestamps are
// 64-bit integers bound as BigInt and read back as text (nanoseconds pass 2^53). A read is three
// queries whatever the page size: the page of series, their points, their points before the range.
import type { MetricSeriesStore, SeriesPoint } from '../../ports/metric-series-store.js';
import { groupSeries, seriesColumns, type PointRow, type SeriesRow } from '../series-rows.js';
import type { SqliteHandle } from './database.js';

const POINT_COLUMNS =
  'series_id, CAST(time_ns AS TEXT) AS time_ns, CAST(start_ns AS TEXT) AS start_ns, value';

export function createSqliteMetricSeriesStore(db: SqliteHandle): MetricSeriesStore {
  const known = db.prepare('SELECT 1 FROM otlp_series WHERE tenant_id = ? AND series_id = ?');
  const count = db.prepare<[string], { n: number }>(
    'SELECT COUNT(*) AS n FROM otlp_series WHERE tenant_id = ?',
  );
  const addSeries = db.prepare(
    `INSERT INTO otlp_series (tenant_id, series_id, name, kind, unit, temporality, monotonic, resource, attributes, last_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const touch = db.prepare(
    'UPDATE otlp_series SET last_ms = max(last_ms, ?) WHERE tenant_id = ? AND series_id = ?',
  );
  const addPoint = db.prepare(
    'INSERT OR IGNORE INTO otlp_points (tenant_id, series_id, time_ns, start_ns, value) VALUES (?, ?, ?, ?, ?)',
  );
  const pointsIn = db.prepare<[string, string, bigint, bigint], PointRow>(
    `SELECT ${POINT_COLUMNS} FROM otlp_points
     WHERE tenant_id = ? AND series_id IN (SELECT value FROM json_each(?)) AND time_ns BETWEEN ? AND ?
     ORDER BY series_id, time_ns`,
  );
  const lastBefore = db.prepare<[string, string, string, bigint], PointRow>(
    `SELECT p.series_id, CAST(p.time_ns AS TEXT) AS time_ns, CAST(p.start_ns AS TEXT) AS start_ns, p.value
     FROM json_each(?) AS ids JOIN otlp_points p ON p.tenant_id = ? AND p.series_id = ids.value
     AND p.time_ns = (SELECT MAX(q.time_ns) FROM otlp_points q
                      WHERE q.tenant_id = ? AND q.series_id = ids.value AND q.time_ns < ?)`,
  );

  const writeAll = db.transaction(
    (
      tenantId: string,
      series: Parameters<MetricSeriesStore['write']>[1],
      points: SeriesPoint[],
      options: { maxSeries: number; nowMs: number },
    ) => {
      const refused = new Set<string>();
      let held = count.get(tenantId)?.n ?? 0;
      for (const s of series) {
        if (known.get(tenantId, s.seriesId) !== undefined) {
          touch.run(options.nowMs, tenantId, s.seriesId);
        } else if (held < options.maxSeries) {
          const [id, name, kind, unit, temporality, monotonic, resource, attributes] =
            seriesColumns(s);
          addSeries.run(
            tenantId,
            id,
            name,
            kind,
            unit,
            temporality,
            monotonic ? 1 : 0,
            resource,
            attributes,
            options.nowMs,
          );
          held += 1;
        } else refused.add(s.seriesId);
      }
      let written = 0;
      let stored = 0;
      for (const p of points) {
        if (refused.has(p.seriesId)) continue;
        stored += 1;
        written += addPoint.run(
          tenantId,
          p.seriesId,
          BigInt(p.timeNs),
          BigInt(p.startNs),
          JSON.stringify(p.value),
        ).changes;
      }
      return { written, duplicates: stored - written, refused };
    },
  );

  return {
    async write(tenantId, series, points, options) {
      return writeAll.immediate(tenantId, series, points, options);
    },

    async read(tenantId, query) {
      const from = BigInt(query.fromNs);
      const to = BigInt(query.toNs);
      const where = ['s.tenant_id = ?'];
      const params: unknown[] = [tenantId];
      if (query.name !== undefined) {
        where.push('s.name = ?');
        params.push(query.name);
      }
      if (query.after !== undefined) {
        where.push('(s.name > ? OR (s.name = ? AND s.series_id > ?))');
        params.push(query.after.name, query.after.name, query.after.seriesId);
      }
      const series = db
        .prepare<unknown[], SeriesRow>(
          `SELECT s.* FROM otlp_series s WHERE ${where.join(' AND ')} AND EXISTS (
             SELECT 1 FROM otlp_points p
             WHERE p.tenant_id = s.tenant_id AND p.series_id = s.series_id AND p.time_ns BETWEEN ? AND ?)
           ORDER BY s.name, s.series_id LIMIT ?`,
        )
        .all(...params, from, to, query.limit);
      if (series.length === 0) return [];
      // The page's points and each series' latest point before the range: two queries, whatever
      // the number of series.
      const ids = JSON.stringify(series.map((row) => row.series_id));
      return groupSeries(
        series,
        pointsIn.all(tenantId, ids, from, to),
        lastBefore.all(ids, tenantId, tenantId, from),
      );
    },

    async countSeries(tenantId) {
      return count.get(tenantId)?.n ?? 0;
    },

    async prune(beforeMs) {
      const run = db.transaction(() => {
        const beforeNs = BigInt(beforeMs) * 1_000_000n;
        let removed = db.prepare('DELETE FROM otlp_points WHERE time_ns < ?').run(beforeNs).changes;
        removed += db
          .prepare(
            `DELETE FROM otlp_series WHERE last_ms < ? AND NOT EXISTS (
               SELECT 1 FROM otlp_points p WHERE p.tenant_id = otlp_series.tenant_id AND p.series_id = otlp_series.series_id)`,
          )
          .run(beforeMs).changes;
        return removed;
      });
      return run.immediate();
    },
  };
}
