// Confidence: how likely a recalled item is to hold what the query asks for, in [0, 1], from
// evidence that does not depend on the other candidates (fused scores are relative to the best
// candidate, so a list of poor matches still has a top score of 1). Two absolute signals:
// - the cosine similarity of the query and item vectors (when an embedder ran);
// - coverage: the share of the query's content terms (stemmed, stopwords removed) the item holds.
// A logistic over both, fitted on the development conversations (see docs/recall.md), so that an
// agent can say "I don't know" when even the best item is unlikely to answer.
import { terms } from './text-analysis.js';

export interface ConfidenceModel {
  bias: number;
  vector: number;
  coverage: number;
}

export const DEFAULT_CONFIDENCE: ConfidenceModel = { bias: -3.6, vector: 0, coverage: 4.1 };

/** Content terms of the query, once per recall. */
export function queryTerms(query: string): Set<string> {
  return new Set(terms(query));
}

/** Share of the query's content terms that occur in the text (0 when the query has none: no evidence). */
export function termCoverage(query: ReadonlySet<string>, text: string): number {
  if (query.size === 0) return 0;
  const held = new Set(terms(text));
  let n = 0;
  for (const t of query) if (held.has(t)) n += 1;
  return n / query.size;
}

export function confidence(
  model: ConfidenceModel,
  signals: { vector: number | undefined; coverage: number },
): number {
  // A zero vector has no cosine (PostgreSQL answers NaN): no vector evidence, as without an embedder.
  const vector = Number.isFinite(signals.vector) ? signals.vector! : 0;
  const z = model.bias + model.vector * vector + model.coverage * signals.coverage;
  return Math.round((1 / (1 + Math.exp(-z))) * 1000) / 1000;
}
