// Metric series store port: OTLP metric data points kept as they were sent, one row per
// (tenant, series, timestamp), so a re-sent export changes nothing (the first write of a point
// wins) and cumulative values are turned into per-window increments when read, in time order,
// whatever order the points arrived in. A series is one metric name + kind + unit + temporality
// + monotonicity + resource attributes + point attributes. New series past a tenant's bound are
// refused (their points come back as refused), never stored in part.
// Adapters: SQLite and PostgreSQL tables of the main store (in every deployment, Redis or not).

export type SeriesKind = 'sum' | 'gauge' | 'histogram' | 'exponential_histogram';
export type Temporality = 'delta' | 'cumulative' | 'unspecified';
export type AttributeValue = string | number | boolean;

export interface SeriesDescriptor {
  /** A hash of everything below: the series' identity. */
  seriesId: string;
  name: string;
  kind: SeriesKind;
  unit: string;
  temporality: Temporality;
  monotonic: boolean;
  resource: Record<string, AttributeValue>;
  attributes: Record<string, AttributeValue>;
}

export interface Buckets {
  /** Bucket index of counts[0]. */
  offset: number;
  counts: number[];
}

export interface HistogramValue {
  count: number;
  sum: number | null;
  min: number | null;
  max: number | null;
  /** Explicit upper bounds; counts has one more entry than bounds. */
  bounds: number[];
  counts: number[];
}

export interface ExponentialHistogramValue {
  count: number;
  sum: number | null;
  min: number | null;
  max: number | null;
  scale: number;
  zeroCount: number;
  positive: Buckets;
  negative: Buckets;
}

/** A number for sums and gauges; the histogram shapes for histograms. */
export type PointValue = number | HistogramValue | ExponentialHistogramValue;

export interface SeriesPoint {
  seriesId: string;
  /** timeUnixNano as a decimal string (uint64 does not fit a JS number). */
  timeNs: string;
  /** startTimeUnixNano as a decimal string, '0' when the source sent none. */
  startNs: string;
  value: PointValue;
}

export interface SeriesWriteResult {
  /** Points stored now. */
  written: number;
  /** Points already stored (same series and timestamp): skipped. */
  duplicates: number;
  /** Series refused because the tenant holds maxSeries series; their points were not stored. */
  refused: Set<string>;
}

export interface StoredSeries extends SeriesDescriptor {
  /** Points in the range, oldest first. */
  points: SeriesPoint[];
  /** The latest point before the range (the base of a cumulative series' first increment). */
  before?: SeriesPoint;
}

export interface SeriesQuery {
  fromNs: string;
  toNs: string;
  name?: string;
  limit: number;
  after?: { name: string; seriesId: string };
}

export interface MetricSeriesStore {
  /**
   * Registers the series (new ones while the tenant holds fewer than maxSeries, in the order
   * given) and stores the points of registered series, each at most once by series and timeNs.
   */
  write(
    tenantId: string,
    series: SeriesDescriptor[],
    points: SeriesPoint[],
    options: { maxSeries: number; nowMs: number },
  ): Promise<SeriesWriteResult>;
  /**
   * Series with points in [fromNs, toNs] (decimal strings), optionally of one metric name,
   * ordered by name then seriesId (byte order in both stores), at most `limit`, after the
   * series `after` when given (the last of the previous page).
   */
  read(tenantId: string, query: SeriesQuery): Promise<StoredSeries[]>;
  /** Series the tenant holds (counted against maxSeries). */
  countSeries(tenantId: string): Promise<number>;
  /** Deletes points older than beforeMs and series with no point since; returns rows removed. */
  prune(beforeMs: number): Promise<number>;
}
