// Server-side latency for the soak: the server's own request-duration histogram
// (engram_http_request_duration_seconds on /metrics), scraped as the soak runs. The difference of
// two scrapes is the histogram of the requests served between them; its quantiles are estimated
// as Prometheus's histogram_quantile does (linear within the bucket that holds the rank).

/** Cumulative bucket counts per route: upper bounds ascending, +Inf last. */
export interface RouteHistogram {
  bounds: number[];
  counts: number[];
}

export type HistogramScrape = Map<string, RouteHistogram>;

const BUCKET_LINE = /^engram_http_request_duration_seconds_bucket\{([^}]*)\} ([0-9.e+-]+)$/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/** Bucket counts per "METHOD route" (all status codes summed) from Prometheus text. */
export function parseDurationHistogram(text: string): HistogramScrape {
  const byRoute = new Map<string, Map<number, number>>();
  for (const line of text.split('\n')) {
    const match = BUCKET_LINE.exec(line);
    if (match === null) continue;
    const labels = new Map([...match[1]!.matchAll(LABEL)].map((m) => [m[1]!, m[2]!]));
    const le = labels.get('le');
    if (le === undefined) continue;
    const key = `${labels.get('method') ?? '?'} ${labels.get('route') ?? '?'}`;
    const buckets = byRoute.get(key) ?? new Map<number, number>();
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(match[2]));
    byRoute.set(key, buckets);
  }
  const scrape: HistogramScrape = new Map();
  for (const [key, buckets] of byRoute) {
    const bounds = [...buckets.keys()].sort((a, b) => a - b);
    scrape.set(key, { bounds, counts: bounds.map((bound) => buckets.get(bound)!) });
  }
  return scrape;
}

/** The requests of `routes` served between two scrapes, as one histogram. */
export function histogramBetween(
  before: HistogramScrape,
  after: HistogramScrape,
  routes: readonly string[],
): RouteHistogram | undefined {
  let merged: RouteHistogram | undefined;
  for (const route of routes) {
    const end = after.get(route);
    if (end === undefined) continue;
    const start = before.get(route);
    const counts = end.counts.map((count, i) => count - (start?.counts[i] ?? 0));
    merged =
      merged === undefined
        ? { bounds: end.bounds, counts }
        : { bounds: merged.bounds, counts: merged.counts.map((c, i) => c + counts[i]!) };
  }
  return merged;
}

export function histogramCount(histogram: RouteHistogram | undefined): number {
  return histogram?.counts.at(-1) ?? 0;
}

/** Estimated q-quantile in milliseconds; NaN without requests. */
export function histogramQuantileMs(histogram: RouteHistogram | undefined, q: number): number {
  const total = histogramCount(histogram);
  if (histogram === undefined || total <= 0) return Number.NaN;
  const rank = q * total;
  const { bounds, counts } = histogram;
  const index = counts.findIndex((count) => count >= rank);
  const upper = bounds[index]!;
  const lower = index === 0 ? 0 : bounds[index - 1]!;
  // Past the largest finite bound there is nothing to interpolate towards.
  if (!Number.isFinite(upper)) return lower * 1000;
  const below = index === 0 ? 0 : counts[index - 1]!;
  const inBucket = counts[index]! - below;
  const share = inBucket === 0 ? 1 : (rank - below) / inBucket;
  return (lower + (upper - lower) * share) * 1000;
}
