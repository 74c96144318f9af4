// What recall returns for one ranked candidate: the item with its score breakdown, a long memory
// cut to its best passage (with offsets into the full text), and the item's confidence.
import { confidence, termCoverage, type ConfidenceModel } from './confidence.js';
import type { ScoreBreakdown } from './fusion.js';
import { bestPassage } from './passages.js';
import type { Entry } from './recall-candidates.js';
import type { RecallItem } from './recall-types.js';

export function presentItem(
  e: Entry,
  s: ScoreBreakdown,
  asked: ReadonlySet<string>,
  model: ConfidenceModel,
): RecallItem {
  const passage = e.cand.group === 'memory' ? bestPassage(e.item.text, asked) : undefined;
  const text = passage?.text ?? e.item.text;
  const coverage = termCoverage(asked, text);
  // NaN when either vector is all zeros (PostgreSQL's cosine distance): no similarity.
  const similarity = Number.isFinite(e.cand.vector) ? e.cand.vector! : null;
  return {
    ...e.item,
    text,
    source: passage
      ? { ...e.item.source, passage: { start: passage.start, end: passage.end } }
      : e.item.source,
    score: { ...s, textRank: e.textRank, vectorRank: e.vectorRank, similarity, coverage },
    confidence: confidence(model, { vector: similarity ?? undefined, coverage }),
  };
}
