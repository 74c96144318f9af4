// The LoCoMo recall evaluation: ingests each conversation's turns (only the turns, with each
// session's date) through MemoryService as a user's agent would — one user per conversation, one
// session per LoCoMo session, distilled when the session ends — then asks every non-adversarial
// question through RecallService and measures evidence recall@k: the share of a question's
// evidence turns found among the turns behind the top-k recalled items.
import type { RecallItem } from '../memory/recall/recall-service.js';
import type { LocomoConversation } from './locomo-data.js';
import {
  Accumulator,
  Bm25Baseline,
  firstDistinctTurns,
  latencySummary,
  phaseMeans,
  recallAt,
  recallTable,
  timingLines,
  turnsBehind,
  withinWords,
  wordCount,
  type EvalRunOptions,
  type RecallAtK,
  type TableRow,
} from './recall-metrics.js';

export type { RecallAtK } from './recall-metrics.js';

/** Words an agent reads per result slot in the word-budget figure (a LoCoMo turn averages ~30). */
export const WORDS_PER_SLOT = 40;

export const CATEGORY_NAMES: Record<number, string> = {
  1: 'multi-hop',
  2: 'temporal',
  3: 'open-domain',
  4: 'single-hop',
};

export interface LocomoEvalReport {
  conversations: string[];
  ks: number[];
  overall: RecallAtK;
  byCategory: Record<string, RecallAtK>;
  byConversation: Record<string, RecallAtK>;
  /** Plain BM25 over the turns (no stemming, no stopwords), measured in the same run. */
  baseline?: { overall: RecallAtK; byCategory: Record<string, RecallAtK> };
  /** Mean number of distinct turns behind the top max(ks) items (episodes cover several). */
  turnsBehindTopK: Record<number, number>;
  /** Mean number of words in the top k items' texts (what an agent would read). */
  wordsInTopK: Record<number, number>;
  /** Recall when the ranked list is cut at k distinct turns instead of k items. */
  atKTurns: { overall: RecallAtK; byCategory: Record<string, RecallAtK> };
  /**
   * Recall when the list is read up to k × WORDS_PER_SLOT words: the same reading budget for
   * every ranking, so a list of longer items gains nothing by being longer.
   */
  withinWords: { overall: RecallAtK; byCategory: Record<string, RecallAtK> };
  latencyMs: { p50: number; p95: number; max: number; count: number };
  /** Mean time per recall phase, as RecallService reports it. */
  phaseMeansMs: Record<string, number>;
  ingest: { turns: number; seconds: number; memories: number };
  skipped: { adversarial: number; noEvidence: number };
}

export interface LocomoEvalOptions extends EvalRunOptions {
  /** Conversations already ingested (ingestLocomo) into `memory`: skips ingestion. */
  ingested?: IngestedLocomo[];
  /** Called after each question with what was recalled (evidence ids are LoCoMo dia_ids). */
  onQuestion?: (outcome: QuestionOutcome) => void;
}

export interface QuestionOutcome {
  conversation: string;
  question: string;
  category: string;
  evidence: string[];
  /** The dia_ids behind each recalled item, best first. */
  ranked: string[][];
  items: RecallItem[];
}

/** One conversation as ingested: which LoCoMo turn each stored memory is, and the turns' texts. */
export interface IngestedLocomo {
  conv: LocomoConversation;
  diaOfMemory: Map<string, string>;
  turnTexts: Array<{ diaId: string; text: string }>;
  ingestMs: number;
}

/**
 * Ingests each conversation's turns as its own user: one session per LoCoMo session, turns with
 * their times, distilled when the session ends.
 */
export async function ingestLocomo(
  conversations: LocomoConversation[],
  options: Pick<LocomoEvalOptions, 'memory' | 'onProgress' | 'now'> & { tenantId: string },
): Promise<IngestedLocomo[]> {
  const now = options.now ?? (() => performance.now());
  const out: IngestedLocomo[] = [];
  for (const conv of conversations) {
    const userId = `locomo-${conv.name}`;
    const started = now();
    const diaOfMemory = new Map<string, string>();
    const turnTexts: Array<{ diaId: string; text: string }> = [];
    const total = conv.sessions.reduce((a, x) => a + x.turns.length, 0);
    let done = 0;
    for (const s of conv.sessions) {
      if (s.turns.length === 0) continue;
      const session = await options.memory.createSession(options.tenantId, {
        userId,
        metadata: { locomo: conv.name, session: s.index },
      });
      const { turns } = await options.memory.addTurns(
        options.tenantId,
        session.id,
        s.turns.map((t) => ({ speaker: t.speaker, content: t.content, at: t.at.getTime() })),
      );
      turns.forEach((m, i) => diaOfMemory.set(m.id, s.turns[i]!.diaId));
      for (const t of s.turns) turnTexts.push({ diaId: t.diaId, text: t.content });
      await options.memory.distillSession(options.tenantId, session.id, { includeWorking: true });
      done += s.turns.length;
      options.onProgress?.({ phase: 'ingest', conversation: conv.name, done, total });
    }
    await options.memory.settle();
    out.push({ conv, diaOfMemory, turnTexts, ingestMs: now() - started });
  }
  return out;
}

export async function runLocomoEval(
  conversations: LocomoConversation[],
  options: LocomoEvalOptions,
): Promise<LocomoEvalReport> {
  const ks = [...new Set(options.ks ?? [5, 10, 25])].sort((a, b) => a - b);
  const maxK = ks[ks.length - 1]!;
  const tenantId = options.tenantId ?? 'default';
  const now = options.now ?? (() => performance.now());
  const acc = new Accumulator(ks);
  const base = new Accumulator(ks);
  const latencies: number[] = [];
  const behind = new Map<number, number>();
  const wordsBehind = new Map<number, number>();
  const phases = new Map<string, number>();
  let questionsAsked = 0;
  const skipped = { adversarial: 0, noEvidence: 0 };
  let turnCount = 0;
  let ingestMs = 0;

  const ingested =
    options.ingested ??
    (await ingestLocomo(conversations, {
      memory: options.memory,
      tenantId,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      now,
    }));
  for (const { conv, diaOfMemory, turnTexts, ingestMs: ms } of ingested) {
    ingestMs += ms;
    turnCount += turnTexts.length;
    const userId = `locomo-${conv.name}`;

    let bm25: Bm25Baseline<string> | undefined;
    if (options.baseline === 'bm25') {
      bm25 = new Bm25Baseline();
      for (const t of turnTexts) bm25.add(t.diaId, t.text);
    }

    const asked = conv.questions.filter((q) => {
      if (q.category === 5) skipped.adversarial += 1;
      else if (q.evidence.length === 0) skipped.noEvidence += 1;
      else return true;
      return false;
    });
    let qi = 0;
    for (const q of asked) {
      const t0 = now();
      const result = await options.recall.recall({ tenantId, userId, query: q.question, k: maxK });
      latencies.push(now() - t0);
      for (const [phase, ms] of Object.entries(result.timingsMs))
        phases.set(phase, (phases.get(phase) ?? 0) + ms);
      const ranked = result.items.map((item) =>
        turnsBehind(item).map((id) => diaOfMemory.get(id) ?? id),
      );
      const category = CATEGORY_NAMES[q.category] ?? `category-${q.category}`;
      options.onQuestion?.({
        conversation: conv.name,
        question: q.question,
        category,
        evidence: q.evidence,
        ranked,
        items: result.items,
      });
      questionsAsked += 1;
      acc.addAll(['overall', `cat:${category}`, `conv:${conv.name}`], (k) =>
        recallAt(q.evidence, ranked, k),
      );
      // The same list cut at k distinct turns instead of k items: a fair figure when items are
      // episodes that stand for several turns each.
      const firstTurns = firstDistinctTurns(ranked);
      acc.addAll(['tb:overall', `tb:cat:${category}`], (k) => recallAt(q.evidence, firstTurns, k));
      acc.addAll(['wb:overall', `wb:cat:${category}`], (k) => {
        const read = withinWords(result.items, ranked, k * WORDS_PER_SLOT);
        return recallAt(q.evidence, read, read.length);
      });
      for (const k of ks) {
        const wordsTop = result.items.slice(0, k).reduce((a, item) => a + wordCount(item.text), 0);
        wordsBehind.set(k, (wordsBehind.get(k) ?? 0) + wordsTop);
        behind.set(k, (behind.get(k) ?? 0) + new Set(ranked.slice(0, k).flat()).size);
      }
      if (bm25) {
        const bRanked = bm25.rank(q.question, maxK);
        base.addAll(['overall', `cat:${category}`], (k) => recallAt(q.evidence, bRanked, k));
      }
      qi += 1;
      options.onProgress?.({
        phase: 'recall',
        conversation: conv.name,
        done: qi,
        total: asked.length,
      });
    }
  }

  const memories = await options.memory.store.countMemories({ tenantId });
  const report: LocomoEvalReport = {
    conversations: conversations.map((c) => c.name),
    ks,
    overall: acc.get('overall'),
    byCategory: acc.byPrefix('cat:'),
    byConversation: acc.byPrefix('conv:'),
    wordsInTopK: Object.fromEntries(
      ks.map((k) => [k, questionsAsked > 0 ? (wordsBehind.get(k) ?? 0) / questionsAsked : 0]),
    ),
    atKTurns: { overall: acc.get('tb:overall'), byCategory: acc.byPrefix('tb:cat:') },
    withinWords: { overall: acc.get('wb:overall'), byCategory: acc.byPrefix('wb:cat:') },
    turnsBehindTopK: Object.fromEntries(
      ks.map((k) => [k, questionsAsked > 0 ? (behind.get(k) ?? 0) / questionsAsked : 0]),
    ),
    latencyMs: latencySummary(latencies),
    phaseMeansMs: phaseMeans(phases, latencies.length),
    ingest: { turns: turnCount, seconds: ingestMs / 1000, memories },
    skipped,
  };
  if (options.baseline === 'bm25')
    report.baseline = { overall: base.get('overall'), byCategory: base.byPrefix('cat:') };
  return report;
}

/** The report as a plain-text table. */
export function formatLocomoReport(r: LocomoEvalReport): string {
  const rows: TableRow[] = [['overall', r.overall, r.baseline?.overall]];
  for (const [name, x] of Object.entries(r.byCategory))
    rows.push([`  ${name}`, x, r.baseline?.byCategory[name]]);
  for (const [name, x] of Object.entries(r.byConversation)) rows.push([`  ${name}`, x]);
  rows.push(['cut at k turns', r.atKTurns.overall]);
  for (const [name, x] of Object.entries(r.atKTurns.byCategory)) rows.push([`  ${name}`, x]);
  rows.push([`cut at ${WORDS_PER_SLOT}·k words`, r.withinWords.overall]);
  for (const [name, x] of Object.entries(r.withinWords.byCategory)) rows.push([`  ${name}`, x]);
  const lines = recallTable(r.ks, r.baseline !== undefined, rows);
  lines.push('');
  lines.push(
    `words in the top k items: ${r.ks.map((k) => `${k}→${(r.wordsInTopK[k] ?? 0).toFixed(0)}`).join(', ')}`,
  );
  lines.push(
    `turns behind the top k items: ${r.ks.map((k) => `${k}→${(r.turnsBehindTopK[k] ?? 0).toFixed(1)}`).join(', ')}`,
  );
  lines.push(...timingLines(r.latencyMs, r.phaseMeansMs));
  lines.push(
    `ingested ${r.ingest.turns} turns (${r.ingest.memories} memories with episodes) in ${r.ingest.seconds.toFixed(1)} s; skipped ${r.skipped.adversarial} adversarial and ${r.skipped.noEvidence} evidence-less questions`,
  );
  return lines.join('\n');
}
