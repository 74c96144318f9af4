// The soak's report: p50/p95 per minute per operation, the p95 drift between the second and
// the last minute, memory slopes after warm-up, checked against the goals, and the per-minute
// table written to bench-results/soak-*.json. bench/suites/soak.ts gathers the samples.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quantile, type BenchContext, type Measurement } from '../harness.js';

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
  requestsPerMinute: number;
  tenants: number;
  distributed: boolean;
  localEmbedder: boolean;
}

export interface MemorySample {
  atMs: number;
  rssBytes: number;
  heapUsedBytes: number;
}

interface MinuteStats {
  minute: number;
  operations: Record<string, { count: number; errors: number; p50: number; p95: number }>;
  rssMb: number;
  heapUsedMb: number;
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
  memory: MemorySample[],
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
    minutes.push(stats);
  }

  const verdicts: string[] = [];
  for (const operation of ['all', ...REPORTED]) {
    const second = minutes[1]?.operations[operation]?.p95 ?? Number.NaN;
    const last = minutes.at(-1)?.operations[operation]?.p95 ?? Number.NaN;
    const ratio = last / second;
    const met = ratio <= 1.5;
    const verdict = Number.isNaN(ratio) ? 'n/a (needs 3 minutes)' : met ? 'met' : 'MISSED';
    if (operation === 'all' || verdict === 'MISSED')
      verdicts.push(`${operation} p95 last/second ${ratio.toFixed(2)}`);
    measurements.push({
      name: `${operation} p95 last minute ÷ second minute`,
      unit: '×',
      value: ratio,
      note: `goal ≤ 1.5: ${verdict}`,
    });
  }
  // Minute 1 is warm-up. The heap is a sawtooth (it climbs until a major GC), so a slope over
  // raw samples shorter than a few GC cycles mostly measures the tooth; the slope of each
  // minute's lowest sample (the floor the collector gets back to) is what a leak moves.
  const warm = memory.filter((m) => m.atMs >= 60_000);
  const floors = (read: (m: MemorySample) => number): Array<[number, number]> => {
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
