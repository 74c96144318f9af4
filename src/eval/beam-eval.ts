// The BEAM recall evaluation: ingests each conversation through MemoryService as an assistant's
// memory would receive it — one user per conversation, one session per batch at its time anchor,
// every message with its role as the speaker, distilled when the batch ends — then asks every
// probing question through RecallService. Reported: evidence recall@k per ability (messages found
// among the top-k items), the list cut at k distinct messages, o200k tokens in the top k,
// knowledge-update order (is the updated message ranked above the original?), abstention
// separation (AUROC of the best item's confidence, answerable vs abstention questions), and a
// plain BM25 column over the same messages.
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { MAX_TURN_CHARS } from '../memory/memory-service.js';
import type { RecallItem } from '../memory/recall/recall-service.js';
import type { BeamConversation, BeamQuestion } from './beam-data.js';
import {
  Accumulator,
  auroc,
  Bm25Baseline,
  firstDistinctTurns,
  latencySummary,
  phaseMeans,
  recallAt,
  recallTable,
  timingLines,
  turnsBehind,
  type EvalRunOptions,
  type RecallAtK,
  type TableRow,
} from './recall-metrics.js';

export interface BeamEvalReport {
  conversations: string[];
  ks: number[];
  overall: RecallAtK;
  byAbility: Record<string, RecallAtK>;
  byConversation: Record<string, RecallAtK>;
  /** Plain BM25 over the messages (no stemming, no stopwords), measured in the same run. */
  baseline?: { overall: RecallAtK; byAbility: Record<string, RecallAtK> };
  /** Recall when the ranked list is cut at k distinct messages instead of k items. */
  atKMessages: { overall: RecallAtK; byAbility: Record<string, RecallAtK> };
  /** Mean o200k_base tokens in the top k items' texts (what an agent's model would read). */
  tokensInTopK: Record<number, number>;
  /** Knowledge-update questions: the updated message ranked above the original (or alone). */
  knowledgeUpdate: { questions: number; updatedFirst: number; rate: number };
  /**
   * How well the best item's confidence tells answerable questions from abstention ones:
   * AUROC (0.5 is chance), and the mean confidence on each side.
   */
  abstention: {
    answerable: number;
    abstention: number;
    auroc: number;
    meanAnswerable: number;
    meanAbstention: number;
  };
  latencyMs: { p50: number; p95: number; max: number; count: number };
  phaseMeansMs: Record<string, number>;
  ingest: { messages: number; seconds: number; memories: number };
  skipped: { noEvidence: number };
}

export interface IngestedBeam {
  conv: BeamConversation;
  userId: string;
  /** Memory id → BEAM message id. */
  messageOfMemory: Map<string, number>;
  messages: Array<{ id: number; text: string }>;
  ingestMs: number;
}

export interface BeamEvalOptions extends EvalRunOptions {
  /** Conversations already ingested (ingestBeam): skips ingestion. */
  ingested?: IngestedBeam[];
  onQuestion?: (outcome: BeamQuestionOutcome) => void;
}

/** Every question, abstention ones included (their evidence is empty). */
export interface BeamQuestionOutcome {
  conversation: string;
  question: BeamQuestion;
  /** The message ids behind each recalled item, best first. */
  ranked: number[][];
  items: RecallItem[];
}

/**
 * A message longer than one turn may hold is sent as consecutive turns, as a client would: never
 * between the halves of a surrogate pair (the stores would keep each half as U+FFFD).
 */
export function turnParts(content: string): string[] {
  const parts: string[] = [];
  for (let at = 0; at < content.length;) {
    let end = Math.min(content.length, at + MAX_TURN_CHARS);
    const last = content.charCodeAt(end - 1);
    if (end < content.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    parts.push(content.slice(at, end));
    at = end;
  }
  return parts;
}

export async function ingestBeam(
  conversations: BeamConversation[],
  options: Pick<BeamEvalOptions, 'memory' | 'onProgress' | 'now'> & { tenantId: string },
): Promise<IngestedBeam[]> {
  const now = options.now ?? (() => performance.now());
  const out: IngestedBeam[] = [];
  for (const conv of conversations) {
    const userId = conv.name;
    const started = now();
    const messageOfMemory = new Map<string, number>();
    const messages: Array<{ id: number; text: string }> = [];
    const total = conv.batches.reduce((a, b) => a + b.messages.length, 0);
    let done = 0;
    for (const batch of conv.batches) {
      if (batch.messages.length === 0) continue;
      const session = await options.memory.createSession(options.tenantId, {
        userId,
        metadata: { beam: conv.name, batch: batch.index },
      });
      const sent = batch.messages.flatMap((m) =>
        turnParts(m.content).map((content, part) => ({ message: m.id, part, content, at: m.at })),
      );
      const { turns } = await options.memory.addTurns(
        options.tenantId,
        session.id,
        sent.map((t) => ({
          id: `${t.message}.${t.part}`,
          speaker: batch.messages.find((m) => m.id === t.message)!.role,
          content: t.content,
          at: t.at.getTime() + t.part,
        })),
      );
      turns.forEach((m, i) => messageOfMemory.set(m.id, sent[i]!.message));
      for (const m of batch.messages) messages.push({ id: m.id, text: m.content });
      await options.memory.distillSession(options.tenantId, session.id, { includeWorking: true });
      done += batch.messages.length;
      options.onProgress?.({ phase: 'ingest', conversation: conv.name, done, total });
    }
    await options.memory.settle();
    out.push({ conv, userId, messageOfMemory, messages, ingestMs: now() - started });
  }
  return out;
}

/** Rank (0-based) of the first item standing for any of `ids`; Infinity when none does. */
function firstRank(ranked: number[][], ids: number[]): number {
  const i = ranked.findIndex((set) => set.some((m) => ids.includes(m)));
  return i < 0 ? Number.POSITIVE_INFINITY : i;
}

export async function runBeamEval(
  conversations: BeamConversation[],
  options: BeamEvalOptions,
): Promise<BeamEvalReport> {
  const ks = [...new Set(options.ks ?? [5, 10, 25])].sort((a, b) => a - b);
  const maxK = ks[ks.length - 1]!;
  const tenantId = options.tenantId ?? 'default';
  const now = options.now ?? (() => performance.now());
  const acc = new Accumulator(ks);
  const base = new Accumulator(ks);
  const latencies: number[] = [];
  const tokens = new Map<number, number>();
  const phases = new Map<string, number>();
  const confidence = { answerable: [] as number[], abstention: [] as number[] };
  const ku = { questions: 0, updatedFirst: 0 };
  let asked = 0;
  let noEvidence = 0;
  let messageCount = 0;
  let ingestMs = 0;

  const ingested =
    options.ingested ??
    (await ingestBeam(conversations, {
      memory: options.memory,
      tenantId,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      now,
    }));
  for (const { conv, userId, messageOfMemory, messages, ingestMs: ms } of ingested) {
    ingestMs += ms;
    messageCount += messages.length;
    let bm25: Bm25Baseline<number> | undefined;
    if (options.baseline === 'bm25') {
      bm25 = new Bm25Baseline();
      for (const m of messages) bm25.add(m.id, m.text);
    }
    let qi = 0;
    for (const q of conv.questions) {
      const isAbstention = q.ability === 'abstention';
      if (!isAbstention && q.ids.length === 0) {
        noEvidence += 1;
        continue;
      }
      const t0 = now();
      const result = await options.recall.recall({ tenantId, userId, query: q.question, k: maxK });
      latencies.push(now() - t0);
      for (const [phase, ms] of Object.entries(result.timingsMs))
        phases.set(phase, (phases.get(phase) ?? 0) + ms);
      const top = result.items[0];
      (isAbstention ? confidence.abstention : confidence.answerable).push(top?.confidence ?? 0);
      qi += 1;
      options.onProgress?.({
        phase: 'recall',
        conversation: conv.name,
        done: qi,
        total: conv.questions.length,
      });
      const ranked = result.items.map((item) =>
        turnsBehind(item).flatMap((id) => {
          const m = messageOfMemory.get(id);
          return m === undefined ? [] : [m];
        }),
      );
      options.onQuestion?.({ conversation: conv.name, question: q, ranked, items: result.items });
      if (isAbstention) continue;

      asked += 1;
      acc.addAll(['overall', `ability:${q.ability}`, `conv:${conv.name}`], (k) =>
        recallAt(q.ids, ranked, k),
      );
      const distinct = firstDistinctTurns(ranked);
      acc.addAll(['msg:overall', `msg:ability:${q.ability}`], (k) => recallAt(q.ids, distinct, k));
      for (const k of ks) {
        const text = result.items
          .slice(0, k)
          .map((item) => item.text)
          .join('\n');
        tokens.set(k, (tokens.get(k) ?? 0) + countTokens(text));
      }
      if (q.original && q.updated && q.original.length > 0 && q.updated.length > 0) {
        ku.questions += 1;
        const updated = firstRank(ranked, q.updated);
        if (updated < Number.POSITIVE_INFINITY && updated < firstRank(ranked, q.original))
          ku.updatedFirst += 1;
      }
      if (bm25) {
        const bRanked = bm25.rank(q.question, maxK);
        base.addAll(['overall', `ability:${q.ability}`], (k) => recallAt(q.ids, bRanked, k));
      }
    }
  }

  const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  const memories = await options.memory.store.countMemories({ tenantId });
  const report: BeamEvalReport = {
    conversations: conversations.map((c) => c.name),
    ks,
    overall: acc.get('overall'),
    byAbility: acc.byPrefix('ability:'),
    byConversation: acc.byPrefix('conv:'),
    atKMessages: { overall: acc.get('msg:overall'), byAbility: acc.byPrefix('msg:ability:') },
    tokensInTopK: Object.fromEntries(
      ks.map((k) => [k, asked > 0 ? (tokens.get(k) ?? 0) / asked : 0]),
    ),
    knowledgeUpdate: {
      ...ku,
      rate: ku.questions > 0 ? ku.updatedFirst / ku.questions : 0,
    },
    abstention: {
      answerable: confidence.answerable.length,
      abstention: confidence.abstention.length,
      auroc: auroc(confidence.answerable, confidence.abstention),
      meanAnswerable: mean(confidence.answerable),
      meanAbstention: mean(confidence.abstention),
    },
    latencyMs: latencySummary(latencies),
    phaseMeansMs: phaseMeans(phases, latencies.length),
    ingest: { messages: messageCount, seconds: ingestMs / 1000, memories },
    skipped: { noEvidence },
  };
  if (options.baseline === 'bm25')
    report.baseline = { overall: base.get('overall'), byAbility: base.byPrefix('ability:') };
  return report;
}

/** The report as a plain-text table. */
export function formatBeamReport(r: BeamEvalReport): string {
  const rows: TableRow[] = [['overall', r.overall, r.baseline?.overall]];
  for (const [name, x] of Object.entries(r.byAbility))
    rows.push([`  ${name}`, x, r.baseline?.byAbility[name]]);
  for (const [name, x] of Object.entries(r.byConversation)) rows.push([`  ${name}`, x]);
  rows.push(['cut at k messages', r.atKMessages.overall]);
  const lines = recallTable(r.ks, r.baseline !== undefined, rows);
  lines.push('');
  lines.push(
    `o200k tokens in the top k items: ${r.ks.map((k) => `${k}→${(r.tokensInTopK[k] ?? 0).toFixed(0)}`).join(', ')}`,
  );
  lines.push(
    `knowledge update: updated message ranked first in ${r.knowledgeUpdate.updatedFirst} of ${r.knowledgeUpdate.questions} (${(r.knowledgeUpdate.rate * 100).toFixed(0)} %)`,
  );
  const a = r.abstention;
  lines.push(
    `abstention: AUROC ${Number.isNaN(a.auroc) ? 'n/a' : a.auroc.toFixed(3)} (best item's confidence, ${a.answerable} answerable vs ${a.abstention} abstention questions; means ${a.meanAnswerable.toFixed(3)} vs ${a.meanAbstention.toFixed(3)})`,
  );
  lines.push(...timingLines(r.latencyMs, r.phaseMeansMs));
  lines.push(
    `ingested ${r.ingest.messages} messages (${r.ingest.memories} memories with episodes) in ${r.ingest.seconds.toFixed(1)} s; skipped ${r.skipped.noEvidence} questions without evidence ids`,
  );
  return lines.join('\n');
}
