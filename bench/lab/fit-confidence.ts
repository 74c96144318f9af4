// Lab: fits the confidence model (src/memory/recall/confidence.ts) — a logistic over an item's
// unscaled vector similarity and query-term coverage — to "is this recalled item evidence?" on the
// development conversations, by Newton's method on the log-likelihood (three parameters).
import { confidence, type ConfidenceModel } from '../../src/memory/recall/confidence.js';
import { auroc } from '../../src/eval/recall-metrics.js';

export interface LabeledItem {
  similarity: number;
  coverage: number;
  evidence: boolean;
}

export function fitConfidence(points: LabeledItem[], iterations = 50): ConfidenceModel {
  let w = [0, 0, 0];
  const x = (p: LabeledItem) => [1, p.similarity, p.coverage];
  for (let it = 0; it < iterations; it += 1) {
    const g = [0, 0, 0];
    const h = [
      [1e-6, 0, 0],
      [0, 1e-6, 0],
      [0, 0, 1e-6],
    ];
    for (const p of points) {
      const xi = x(p);
      const z = w[0]! * xi[0]! + w[1]! * xi[1]! + w[2]! * xi[2]!;
      const q = 1 / (1 + Math.exp(-z));
      const y = p.evidence ? 1 : 0;
      for (let a = 0; a < 3; a += 1) {
        g[a]! += (y - q) * xi[a]!;
        for (let b = 0; b < 3; b += 1) h[a]![b]! += q * (1 - q) * xi[a]! * xi[b]!;
      }
    }
    w = w.map((wi, a) => wi + solve3(h, g)[a]!);
  }
  return { bias: round(w[0]!), vector: round(w[1]!), coverage: round(w[2]!) };
}

const round = (v: number) => Math.round(v * 100) / 100;

/** Solves the 3×3 system h·d = g (Cramer's rule; h is positive definite here). */
function solve3(h: number[][], g: number[]): number[] {
  const det = (m: number[][]) =>
    m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) -
    m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) +
    m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  const d = det(h);
  return [0, 1, 2].map((c) => det(h.map((row, r) => row.map((v, j) => (j === c ? g[r]! : v)))) / d);
}

/** Models compared beside the fitted one. */
export const CONFIDENCE_CANDIDATES: ConfidenceModel[] = [
  { bias: -6, vector: 8, coverage: 4 },
  { bias: -5, vector: 6, coverage: 3 },
  { bias: -7, vector: 9, coverage: 3 },
];

/**
 * How a model does: per confidence band (0–0.2, …), mean confidence against the observed
 * evidence rate over the labelled items (calibration), and the AUROC of the best item's confidence
 * between answerable and abstention questions.
 */
export function reliability(
  model: ConfidenceModel,
  items: LabeledItem[],
  tops: LabeledItem[],
): string {
  const bands = Array.from({ length: 5 }, () => ({ n: 0, predicted: 0, observed: 0 }));
  for (const p of items) {
    const c = confidence(model, { vector: p.similarity, coverage: p.coverage });
    const band = bands[Math.min(4, Math.floor(c * 5))]!;
    band.n += 1;
    band.predicted += c;
    band.observed += p.evidence ? 1 : 0;
  }
  const score = (p: LabeledItem) =>
    confidence(model, { vector: p.similarity, coverage: p.coverage });
  const separation = auroc(
    tops.filter((p) => p.evidence).map(score),
    tops.filter((p) => !p.evidence).map(score),
  );
  return `AUROC ${separation.toFixed(3)} | ${bands
    .map((b) =>
      b.n === 0
        ? '-'
        : `${(b.predicted / b.n).toFixed(2)}→${(b.observed / b.n).toFixed(2)} (${b.n})`,
    )
    .join(' ')}`;
}
