// Measures shared by the recall evaluations (LoCoMo, BEAM): evidence recall@k accumulated per
// group of questions, the turns behind a recalled item, reading budgets, percentiles, AUROC and a
// plain BM25 baseline ranking over the same turns.
import type { MemoryService } from '../memory/memory-service.js';
import type { RecallItem, RecallService } from '../memory/recall/recall-service.js';
import { words } from '../memory/recall/text-analysis.js';
import { Bm25Index } from './bm25.js';

/** What every evaluation runs on and reports to; each adds its ingested data and outcomes. */
export interface EvalRunOptions {
  memory: MemoryService;
  recall: RecallService;
  tenantId?: string;
  ks?: number[];
  baseline?: 'bm25';
  /** Called as work progresses, for a progress bar. */
  onProgress?: (event: {
    phase: 'ingest' | 'recall';
    conversation: string;
    done: number;
    total: number;
  }) => void;
  now?: () => number;
}

export interface RecallAtK {
  questions: number;
  /** k → mean recall@k. */
  recall: Record<number, number>;
}

/** Sums recall@k per key (overall, per category, per conversation…), then averages. */
export class Accumulator {
  private readonly sums = new Map<string, { n: number; at: Map<number, number> }>();
  constructor(private readonly ks: number[]) {}
  add(key: string, k: number, value: number, countQuestion: boolean): void {
    let s = this.sums.get(key);
    if (!s) this.sums.set(key, (s = { n: 0, at: new Map() }));
    if (countQuestion) s.n += 1;
    s.at.set(k, (s.at.get(k) ?? 0) + value);
  }
  /** Adds one question's recall at every k under each key. */
  addAll(keys: string[], recallAtK: (k: number) => number): void {
    for (const k of this.ks) {
      const r = recallAtK(k);
      for (const key of keys) this.add(key, k, r, k === this.ks[0]);
    }
  }
  get(key: string): RecallAtK {
    const s = this.sums.get(key);
    const recall: Record<number, number> = {};
    for (const k of this.ks) recall[k] = s && s.n > 0 ? (s.at.get(k) ?? 0) / s.n : 0;
    return { questions: s?.n ?? 0, recall };
  }
  /** Every key starting with `prefix`, without it, sorted. */
  byPrefix(prefix: string): Record<string, RecallAtK> {
    const out: Record<string, RecallAtK> = {};
    for (const key of [...this.sums.keys()].filter((x) => x.startsWith(prefix)).sort())
      out[key.slice(prefix.length)] = this.get(key);
    return out;
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function latencySummary(latencies: number[]): {
  p50: number;
  p95: number;
  max: number;
  count: number;
} {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted[sorted.length - 1] ?? 0,
    count: sorted.length,
  };
}

/** The turns a recalled item stands for: itself, or an episode's or passage's turns. */
export function turnsBehind(item: RecallItem): string[] {
  return item.kind === 'turn' ? [item.id] : (item.source.turnIds ?? []);
}

export function wordCount(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

/** The turns of the leading items whose texts fit in `budget` words together. */
export function withinWords(items: RecallItem[], ranked: string[][], budget: number): string[][] {
  const out: string[][] = [];
  let used = 0;
  for (const [i, item] of items.entries()) {
    used += wordCount(item.text);
    if (used > budget) break;
    out.push(ranked[i]!);
  }
  return out;
}

/** Share of the evidence among the first k ranked turn sets. */
export function recallAt<T>(evidence: T[], rankedTurnSets: T[][], k: number): number {
  const seen = new Set(rankedTurnSets.slice(0, k).flat());
  return evidence.filter((e) => seen.has(e)).length / evidence.length;
}

/** The list cut at k distinct turns instead of k items (an episode stands for several). */
export function firstDistinctTurns<T>(rankedTurnSets: T[][]): T[][] {
  return [...new Set(rankedTurnSets.flat())].map((t) => [t]);
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative (ties count half). NaN when either side is empty.
 */
export function auroc(positives: number[], negatives: number[]): number {
  if (positives.length === 0 || negatives.length === 0) return Number.NaN;
  let wins = 0;
  for (const p of positives) for (const n of negatives) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (positives.length * negatives.length);
}

/** Plain BM25 (no stemming, no stopwords) over one conversation's turns, for the baseline column. */
export class Bm25Baseline<T> {
  private readonly index = new Bm25Index();
  private readonly keys: T[] = [];
  add(key: T, text: string): void {
    this.index.add(words(text));
    this.keys.push(key);
  }
  /** The best `k` turns for a query, as one-turn sets. */
  rank(query: string, k: number): T[][] {
    return [...this.index.score(words(query)).entries()]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, k)
      .map(([d]) => [this.keys[d]!]);
  }
}

/** Mean milliseconds per recall phase over `count` recalls. */
export function phaseMeans(totals: Map<string, number>, count: number): Record<string, number> {
  return Object.fromEntries(
    [...totals].map(([p, ms]) => [p, Math.round((ms / Math.max(1, count)) * 100) / 100]),
  );
}

export type TableRow = [label: string, recall: RecallAtK, baseline?: RecallAtK | undefined];

/** Recall rows as an aligned plain-text table: questions, R@k and, with a baseline, its R@k. */
export function recallTable(ks: number[], withBaseline: boolean, rows: TableRow[]): string[] {
  const head = [
    '',
    'questions',
    ...ks.map((k) => `R@${k}`),
    ...(withBaseline ? ks.map((k) => `bm25 R@${k}`) : []),
  ];
  const cells = [
    head,
    ...rows.map(([label, x, b]) => [
      label,
      String(x.questions),
      ...ks.map((k) => (x.recall[k] ?? 0).toFixed(3)),
      ...(withBaseline ? ks.map((k) => (b ? (b.recall[k] ?? 0).toFixed(3) : '')) : []),
    ]),
  ];
  const widths = head.map((_, i) => Math.max(...cells.map((x) => (x[i] ?? '').length)));
  return cells.map((x) =>
    x.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  );
}

/** The latency and per-phase lines every evaluation prints under its table. */
export function timingLines(
  latencyMs: { p50: number; p95: number; count: number },
  phaseMeansMs: Record<string, number>,
): string[] {
  return [
    `recall latency: p50 ${latencyMs.p50.toFixed(1)} ms, p95 ${latencyMs.p95.toFixed(1)} ms (${latencyMs.count} queries, query embedding included)`,
    `mean per recall phase: ${Object.entries(phaseMeansMs)
      .map(([p, ms]) => `${p} ${ms.toFixed(1)} ms`)
      .join(', ')}`,
  ];
}
