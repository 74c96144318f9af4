// Shared parts of the SQLite and PostgreSQL metric series stores: the row shapes both schemas
// use and their mapping to the port's types (attributes and values are JSON text in both).
import type {
  PointValue,
  SeriesDescriptor,
  SeriesKind,
  SeriesPoint,
  StoredSeries,
  Temporality,
} from '../ports/metric-series-store.js';

export interface SeriesRow {
  series_id: string;
  name: string;
  kind: string;
  unit: string;
  temporality: string;
  monotonic: number | boolean;
  resource: string;
  attributes: string;
}

export interface PointRow {
  series_id: string;
  /** Decimal text (both stores cast the 64-bit columns to text). */
  time_ns: string;
  start_ns: string;
  value: string;
}

export function pointOf(row: PointRow): SeriesPoint {
  return {
    seriesId: row.series_id,
    timeNs: row.time_ns,
    startNs: row.start_ns,
    value: JSON.parse(row.value) as PointValue,
  };
}

export function descriptorOf(row: SeriesRow): SeriesDescriptor {
  return {
    seriesId: row.series_id,
    name: row.name,
    kind: row.kind as SeriesKind,
    unit: row.unit,
    temporality: row.temporality as Temporality,
    monotonic: row.monotonic === true || row.monotonic === 1,
    resource: JSON.parse(row.resource) as SeriesDescriptor['resource'],
    attributes: JSON.parse(row.attributes) as SeriesDescriptor['attributes'],
  };
}

/** Groups series rows and their point rows (ordered by series, time) into StoredSeries. */
export function groupSeries(
  series: SeriesRow[],
  points: PointRow[],
  before: PointRow[],
): StoredSeries[] {
  const out = new Map<string, StoredSeries>();
  for (const row of series) out.set(row.series_id, { ...descriptorOf(row), points: [] });
  for (const row of points) out.get(row.series_id)?.points.push(pointOf(row));
  for (const row of before) {
    const s = out.get(row.series_id);
    if (s !== undefined) s.before = pointOf(row);
  }
  return [...out.values()];
}

/** The values bound for a new series row, in column order. */
export function seriesColumns(s: SeriesDescriptor) {
  return [
    s.seriesId,
    s.name,
    s.kind,
    s.unit,
    s.temporality,
    s.monotonic,
    JSON.stringify(s.resource),
    JSON.stringify(s.attributes),
  ] as const;
}
