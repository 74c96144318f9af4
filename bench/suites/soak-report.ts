// The soak's report: p50/p95 per minute per operation (as the clients saw them and as the
// server's histogram measured them), the p95 drift between the second and the last minute,
// memory slopes after warm-up, checked against the goals, and the per-minute table written to
// bench-results/soak-*.json. bench/suites/soak.ts gathers the samples.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quantile, type BenchContext, type Measurement } from '../harness.js';
import {
  histogramBetween,
  histogramCount,
  histogramQuantileMs,
  type HistogramScrape,
} from './server-latency.js';

export const OPERATIONS = ['recall', 'context', 'turns', 'documents', 'events'] as const;
/** `burst`: once a minute (at its middle) every client sends a recall at the same moment. */
export const REPORTED = [...OPERATIONS, 'burst'] as const;
export type Operation = (typeof REPORTED)[number];
/** How often the server's RSS and heap are sampled. */
export const SAMPLE_EVERY_MS = 10_000;
export const MB = 1024 * 1024;

export interface SoakSettings {
  minutes: number;
  clients: number;
  processes: number;
  requestsPerMinute: number;
  tenants: number;
  distributed: boolean;
  localEmbedder: boolean;
}

/** One look at the server: RSS, heap and its request-duration histogram so far. */
export interface ServerSample {
  atMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  durations?: HistogramScrape;
}

/** The server's routes behind each operation (the server cannot tell a burst from a recall). */
const SERVER_ROUTES: Record<string, readonly string[]> = {
  recall: ['POST /v1/recall'],
  context: ['POST /v1/context'],
  turns: ['POST /v1/sessions', 'POST /v1/sessions/:id/turns'],
  documents: ['POST /v1/documents'],
  events: ['POST /v1/events'],
};
SERVER_ROUTES.all = Object.values(SERVER_ROUTES).flat();
/** A scrape counts as a minute's boundary when it is this close after it. */
const BOUNDARY_SLACK_MS = SAMPLE_EVERY_MS / 2;

interface LatencyStats {
  count: number;
  p50: number;
  p95: number;
}

interface MinuteStats {
  minute: number;
  operations: Record<string, LatencyStats & { errors: number }>;
  /** As the server measured it (recall includes the bursts). */
  server: Record<string, LatencyStats>;
  rssMb: number;
  heapUsedMb: number;
}

/** The server's figures for one minute: the difference of the scrapes at its two ends. */
function serverMinute(samples: ServerSample[], minute: number): Record<string, LatencyStats> {
  const at = (ms: number) =>
    samples.filter((s) => s.durations !== undefined && s.atMs <= ms + BOUNDARY_SLACK_MS).at(-1);
  const start = at((minute - 1) * 60_000);
  const end = at(minute * 60_000);
  const stats: Record<string, LatencyStats> = {};
  for (const [operation, routes] of Object.entries(SERVER_ROUTES)) {
    const histogram =
      start === undefined || end === undefined || start === end
        ? undefined
        : histogramBetween(start.durations!, end.durations!, routes);
    stats[operation] = {
      count: histogramCount(histogram),
      p50: histogramQuantileMs(histogram, 0.5),
      p95: histogramQuantileMs(histogram, 0.95),
    };
  }
  return stats;
}

/** Least-squares slope of y over x. */
export function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let numerator = 0;
  let denominator = 0;
  for (const [x, y] of points) {
    numerator += (x - meanX) * (y - meanY);
    denominator += (x - meanX) ** 2;
  }
  return denominator === 0 ? Number.NaN : numerator / denominator;
}

export interface Sample {
  operation: Operation;
  minute: number;
  ms: number;
  ok: boolean;
}

export function report(
  settings: SoakSettings,
  samples: Sample[],
  memory: ServerSample[],
  errors: Map<string, number>,
  context: BenchContext,
): Measurement[] {
  const measurements: Measurement[] = [];
  const minutes: MinuteStats[] = [];
  for (let minute = 1; minute <= settings.minutes; minute += 1) {
    const inMinute = samples.filter((s) => s.minute === minute);
    const atEnd = memory.filter((m) => m.atMs <= minute * 60_000 + SAMPLE_EVERY_MS).at(-1);
    const stats: MinuteStats = {
      minute,
      operations: {},
      server: serverMinute(memory, minute),
      rssMb: (atEnd?.rssBytes ?? Number.NaN) / MB,
      heapUsedMb: (atEnd?.heapUsedBytes ?? Number.NaN) / MB,
    };
    for (const operation of ['all', ...REPORTED]) {
      const chosen = inMinute.filter((s) => operation === 'all' || s.operation === operation);
      const ms = chosen.map((s) => s.ms);
      stats.operations[operation] = {
        count: chosen.length,
        errors: chosen.filter((s) => !s.ok).length,
        p50: quantile(ms, 0.5),
        p95: quantile(ms, 0.95),
      };
      measurements.push({
        name: `${operation} minute ${minute}`,
        unit: 'ms',
        samples: ms,
        note: `${chosen.filter((s) => !s.ok).length} failed`,
      });
    }
    for (const [operation, server] of Object.entries(stats.server))
      measurements.push({
        name: `server ${operation} minute ${minute} p95`,
        unit: 'ms',
        value: server.p95,
        note: `${server.count} requests, p50 ${server.p50.toFixed(1)} ms (server's histogram)`,
      });
    context.log(
      `minute ${minute}: all p95 ${stats.operations.all!.p95.toFixed(1)} ms at the clients, ` +
        `${stats.server.all!.p95.toFixed(1)} ms at the server (${stats.server.all!.count} requests)`,
    );
    minutes.push(stats);
  }

  const verdicts: string[] = [];
  const drift = (
    side: 'clients' | 'server',
    operation: string,
    read: (m: MinuteStats) => number,
  ) => {
    const ratio = read(minutes.at(-1)!) / read(minutes[1] ?? minutes[0]!);
    const verdict =
      minutes.length < 3 || Number.isNaN(ratio)
        ? 'n/a (needs 3 minutes)'
        : ratio <= 1.5
          ? 'met'
          : 'MISSED';
    if (operation === 'all' || verdict === 'MISSED')
      verdicts.push(`${side} ${operation} p95 last/second ${ratio.toFixed(2)}`);
    measurements.push({
      name: `${side === 'server' ? 'server ' : ''}${operation} p95 last minute ÷ second minute`,
      unit: '×',
      value: ratio,
      note: `goal ≤ 1.5: ${verdict}`,
    });
  };
  for (const operation of ['all', ...REPORTED])
    drift('clients', operation, (m) => m.operations[operation]?.p95 ?? Number.NaN);
  for (const operation of Object.keys(SERVER_ROUTES))
    drift('server', operation, (m) => m.server[operation]?.p95 ?? Number.NaN);
  // Minute 1 is warm-up. The heap is a sawtooth (it climbs until a major GC), so a slope over
  // raw samples shorter than a few GC cycles mostly measures the tooth; the slope of each
  // minute's lowest sample (the floor the collector gets back to) is what a leak moves.
  const warm = memory.filter((m) => m.atMs >= 60_000);
  const floors = (read: (m: ServerSample) => number): Array<[number, number]> => {
    const points: Array<[number, number]> = [];
    for (let minute = 2; minute <= settings.minutes; minute += 1) {
      const inMinute = warm.filter(
        (m) => m.atMs >= (minute - 1) * 60_000 && m.atMs <= minute * 60_000,
      );
      if (inMinute.length > 0) points.push([minute, Math.min(...inMinute.map(read)) / MB]);
    }
    return points;
  };
  const rssFloors = floors((m) => m.rssBytes);
  const rssSlope = slope(rssFloors);
  const heapSlope = slope(floors((m) => m.heapUsedBytes));
  const rawRssSlope = slope(warm.map((m) => [m.atMs / 60_000, m.rssBytes / MB]));
  const maxRssMb = Math.max(...memory.map((m) => m.rssBytes)) / MB;
  measurements.push(
    {
      name: 'RSS slope after warm-up (per-minute floor, minutes ≥ 2)',
      unit: 'MB/min',
      value: rssSlope,
      note: `goal < 1: ${rssFloors.length < 2 ? 'n/a (needs 3 minutes)' : rssSlope < 1 ? 'met' : 'MISSED'} (${rssFloors.length} minutes)`,
    },
    { name: 'heap-used slope after warm-up (per-minute floor)', unit: 'MB/min', value: heapSlope },
    { name: 'RSS slope after warm-up (every sample)', unit: 'MB/min', value: rawRssSlope },
    {
      name: 'largest RSS',
      unit: 'MB',
      value: maxRssMb,
      note: `goal < 2048: ${maxRssMb < 2048 ? 'met' : 'MISSED'}`,
    },
    { name: 'requests', unit: 'count', value: samples.length },
    { name: 'failed requests', unit: 'count', value: samples.filter((s) => !s.ok).length },
  );
  for (const [error, count] of [...errors].sort((a, b) => b[1] - a[1]).slice(0, 5))
    context.log(`error ×${count}: ${error}`);
  context.log(
    `verdict: ${verdicts.join('; ')}; RSS slope ${rssSlope.toFixed(2)} MB/min; max RSS ${maxRssMb.toFixed(0)} MB`,
  );

  mkdirSync('bench-results', { recursive: true });
  const file = join('bench-results', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        settings,
        minutes,
        memory: memory.map((m) => ({
          atSeconds: m.atMs / 1000,
          rssMb: m.rssBytes / MB,
          heapUsedMb: m.heapUsedBytes / MB,
        })),
        rssFloorSlopeMbPerMinute: rssSlope,
        heapFloorSlopeMbPerMinute: heapSlope,
        rssSampleSlopeMbPerMinute: rawRssSlope,
        maxRssMb,
        errors: Object.fromEntries(errors),
      },
      null,
      2,
    ),
  );
  context.log(`per-minute table: ${file}`);
  return measurements;
}
