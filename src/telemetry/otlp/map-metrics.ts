// OTLP metrics → series points (docs/telemetry.md, "Metric series"). Every data point of a sum,
// gauge, histogram or exponential histogram becomes one point of its series: metric name, kind,
// unit, temporality, monotonicity, the resource's attributes and the point's attributes, hashed
// into a series id. A point that cannot be stored (no metric name, no timestamp, no value, a
// NO_RECORDED_VALUE flag, bucket counts that do not fit the bounds) is rejected with its reason;
// a summary's point is well formed but not stored as a series: it is unmapped and kept, keyed by
// metric, resource, attributes and times.
// Attribute lists are held to the receiver's limits (a 400 past them).
import { createHash } from 'node:crypto';
import type {
  AttributeValue,
  Buckets,
  PointValue,
  SeriesDescriptor,
  SeriesKind,
  SeriesPoint,
  Temporality,
} from '../../ports/metric-series-store.js';
import { attributesOf, MAX_ATTRIBUTES, type Attributes } from './attributes.js';
import { contextOf, fieldOf, listOf, type UnmappedItem } from './mapped.js';

export interface MappedMetrics {
  /** Data points in the export. */
  items: number;
  /** The series the points belong to, each once. */
  series: SeriesDescriptor[];
  points: Array<{ item: number; point: SeriesPoint }>;
  /** Points rejected as malformed, with why. */
  rejected: Array<{ item: number; reason: string }>;
  /** Well-formed points of a kind not stored as series (summaries), kept as unmapped. */
  unmapped: UnmappedItem[];
}

const KINDS: Array<[string, SeriesKind | undefined]> = [
  ['sum', 'sum'],
  ['gauge', 'gauge'],
  ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram'],
  ['summary', undefined],
];
const TEMPORALITY: Record<string, Temporality> = {
  '1': 'delta',
  '2': 'cumulative',
  AGGREGATION_TEMPORALITY_DELTA: 'delta',
  AGGREGATION_TEMPORALITY_CUMULATIVE: 'cumulative',
};
const NO_RECORDED_VALUE = 1;
/** Largest time the stores' signed 64-bit columns hold (year 2262). */
const MAX_NS = 9_223_372_036_854_775_807n;
const CONTROL = /[\p{Cc}]/u;

export function mapMetrics(request: Record<string, unknown>): MappedMetrics {
  const out: MappedMetrics = { items: 0, series: [], points: [], rejected: [], unmapped: [] };
  const seen = new Set<string>();
  listOf(request, 'resourceMetrics').forEach((resourceMetrics, r) => {
    const resource = sorted(
      attributesOf(
        fieldOf(fieldOf(resourceMetrics, 'resource'), 'attributes'),
        `resourceMetrics[${r}].resource`,
      ),
    );
    listOf(resourceMetrics, 'scopeMetrics').forEach((scopeMetrics, s) => {
      listOf(scopeMetrics, 'metrics').forEach((metric, m) => {
        const name = fieldOf(metric, 'name');
        const unit = fieldOf(metric, 'unit');
        for (const [field, kind] of KINDS) {
          const data = fieldOf(metric, field);
          const temporality =
            kind === 'gauge'
              ? 'unspecified'
              : (TEMPORALITY[String(fieldOf(data, 'aggregationTemporality'))] ?? 'unspecified');
          listOf(data, 'dataPoints').forEach((dataPoint, p) => {
            const where = `resourceMetrics[${r}].scopeMetrics[${s}].metrics[${m}].${field}.dataPoints[${p}]`;
            const item = out.items++;
            const attributes = sorted(attributesOf(fieldOf(dataPoint, 'attributes'), where));
            const problem = nameProblem(name);
            if (problem !== undefined) {
              out.rejected.push({ item, reason: problem });
              return;
            }
            if (kind === undefined) {
              out.unmapped.push(
                summaryPoint(item, {
                  metric,
                  resource,
                  attributes,
                  dataPoint,
                  scope: fieldOf(scopeMetrics, 'scope'),
                }),
              );
              return;
            }
            const read = pointOf(kind, dataPoint);
            if (typeof read === 'string') {
              out.rejected.push({ item, reason: `${name as string}: ${read}` });
              return;
            }
            const series: Omit<SeriesDescriptor, 'seriesId'> = {
              name: name as string,
              kind,
              unit: typeof unit === 'string' ? unit.slice(0, 200) : '',
              temporality,
              monotonic: kind === 'sum' && fieldOf(data, 'isMonotonic') === true,
              resource,
              attributes,
            };
            const seriesId = idOf(series);
            if (!seen.has(seriesId)) {
              seen.add(seriesId);
              out.series.push({ seriesId, ...series });
            }
            out.points.push({ item, point: { seriesId, ...read } });
          });
        }
      });
    });
  });
  return out;
}

/** A summary's data point, kept as unmapped under its metric, attributes and times. */
function summaryPoint(
  item: number,
  from: {
    metric: unknown;
    resource: Record<string, AttributeValue>;
    attributes: Record<string, AttributeValue>;
    dataPoint: unknown;
    scope: unknown;
  },
): UnmappedItem {
  const name = fieldOf(from.metric, 'name') as string;
  const time = (key: string) => nanos(fieldOf(from.dataPoint, key)) ?? null;
  return {
    item,
    key: `otlp:point:${hash([name, from.resource, from.attributes, time('startTimeUnixNano'), time('timeUnixNano')])}`,
    name,
    reason: 'summary data points are not stored as series (send a histogram)',
    record: {
      ...contextOf(from.resource, from.scope),
      metric: {
        name,
        unit: fieldOf(from.metric, 'unit') ?? '',
        description: fieldOf(from.metric, 'description') ?? '',
        kind: 'summary',
      },
      dataPoint: from.dataPoint,
    },
  };
}

function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'metric has no name';
  if (name.length > 200 || CONTROL.test(name))
    return 'metric name must be 1–200 characters without control characters';
  return undefined;
}

function sorted(attrs: Attributes): Record<string, AttributeValue> {
  return Object.fromEntries([...attrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function hash(identity: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
}

function idOf(series: Omit<SeriesDescriptor, 'seriesId'>): string {
  return hash([
    series.name,
    series.kind,
    series.unit,
    series.temporality,
    series.monotonic,
    series.resource,
    series.attributes,
  ]);
}

/** A uint64 as a decimal string (OTLP JSON sends strings or numbers), or undefined. */
function nanos(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,20}$/.test(text)) return undefined;
  const n = BigInt(text);
  return n > 0n && n <= MAX_NS ? n.toString() : undefined;
}

/** A finite number from a double, an int64 string or number; undefined otherwise. */
function numberOf(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function countOf(value: unknown): number | undefined {
  const n = numberOf(value ?? 0);
  return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}

function countsOf(list: unknown): number[] | undefined {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || list.length > MAX_ATTRIBUTES) return undefined;
  const counts = list.map(countOf);
  return counts.every((c) => c !== undefined) ? counts : undefined;
}

function bucketsOf(value: unknown): Buckets | undefined {
  const offset = numberOf(fieldOf(value, 'offset') ?? 0);
  const counts = countsOf(fieldOf(value, 'bucketCounts'));
  if (offset === undefined || !Number.isInteger(offset) || counts === undefined) return undefined;
  return { offset, counts };
}

/** The point's times and value, or why it cannot be stored. */
function pointOf(kind: SeriesKind, point: unknown): Omit<SeriesPoint, 'seriesId'> | string {
  const flags = numberOf(fieldOf(point, 'flags')) ?? 0;
  if ((flags & NO_RECORDED_VALUE) !== 0) return 'data point flagged NO_RECORDED_VALUE';
  const timeNs = nanos(fieldOf(point, 'timeUnixNano'));
  if (timeNs === undefined) return 'data point has no valid timeUnixNano';
  const startNs = nanos(fieldOf(point, 'startTimeUnixNano')) ?? '0';
  const value = valueOf(kind, point);
  if (typeof value === 'string') return value;
  return { timeNs, startNs, value };
}

function valueOf(kind: SeriesKind, point: unknown): PointValue | string {
  if (kind === 'sum' || kind === 'gauge') {
    const value = numberOf(fieldOf(point, 'asDouble')) ?? numberOf(fieldOf(point, 'asInt'));
    return value ?? 'data point has no finite asDouble or asInt value';
  }
  const count = countOf(fieldOf(point, 'count'));
  if (count === undefined) return 'data point count is not a non-negative integer';
  const common = {
    count,
    sum: numberOf(fieldOf(point, 'sum')) ?? null,
    min: numberOf(fieldOf(point, 'min')) ?? null,
    max: numberOf(fieldOf(point, 'max')) ?? null,
  };
  if (kind === 'histogram') {
    const counts = countsOf(fieldOf(point, 'bucketCounts'));
    const boundsList = fieldOf(point, 'explicitBounds') ?? [];
    const bounds = Array.isArray(boundsList) ? boundsList.map(numberOf) : [undefined];
    if (counts === undefined || bounds.some((b) => b === undefined))
      return 'histogram bucketCounts / explicitBounds are not lists of numbers';
    if (counts.length > 0 && counts.length !== bounds.length + 1)
      return `histogram has ${counts.length} bucket counts for ${bounds.length} bounds (expected bounds + 1)`;
    return { ...common, bounds: bounds as number[], counts };
  }
  const scale = numberOf(fieldOf(point, 'scale') ?? 0);
  const zeroCount = countOf(fieldOf(point, 'zeroCount'));
  const positive = bucketsOf(fieldOf(point, 'positive'));
  const negative = bucketsOf(fieldOf(point, 'negative'));
  if (
    scale === undefined ||
    !Number.isInteger(scale) ||
    scale < -10 ||
    scale > 20 ||
    zeroCount === undefined ||
    positive === undefined ||
    negative === undefined
  )
    return 'exponential histogram has no valid scale (-10–20), zeroCount or buckets';
  return { ...common, scale, zeroCount, positive, negative };
}
