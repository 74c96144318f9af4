// Fusion: turns per-list evidence about candidate memories into one score each. Pure functions over
// a few hundred candidates, so they are cheap and testable. The signals, each a general idea
// measured on LoCoMo (see bench/lab/ and the eval's ablation in the README):
// - weighted score fusion of full-text relevance and vector similarity, each scaled by the best
//   score in its list (better than reciprocal rank fusion when one list is much stronger; RRF
//   stays available as `fusion: 'rrf'`);
// - questions hold fewer facts than statements: the question part of a turn counts less;
// - neighbour credit: in a dialogue the answer sits next to the turn that matches, so a turn takes
//   a share of its best adjacent turn's score, a larger share when the turn before it asked a
//   question (it is the reply);
// - speaker match: a query that names a participant favours what that participant said,
//   including replies that matched through their neighbour;
// - then salience, recency, a named time, and per-tier intent weights.
// Two ideas measured and left out: session-level evidence (a session's best turns lifting all of
// them) and episode evidence (an episode lifting its turns) stopped helping once replies took
// credit from their questions.

import type { TurnRole } from './roles.js';

export type FusionMode = 'score' | 'rrf';

export interface FusionWeights {
  fusion: FusionMode;
  text: number;
  vector: number;
  /** Share of relevance a turn loses in proportion to the share of its sentences that are questions. */
  question: number;
  /** Share of the best adjacent turn's relevance a turn takes. */
  neighbour: number;
  /** Extra share (× the question share) a reply takes from the turn before it. */
  answer: number;
  /** Multiplier (1 + speaker) when the query names the item's speaker. */
  speaker: number;
  /**
   * Share of the question signal kept for a user's turns in a conversation with an assistant:
   * there a question is a request that carries the user's facts ("my sprint ends on March 29,
   * can you help me plan?"), not an inquiry to a peer.
   */
  userQuestion: number;
  /** Share of neighbour credit an assistant turn takes (its replies are long and generic). */
  assistantNeighbour: number;
  /** Share of neighbour credit a user turn (in a conversation with an assistant) takes. */
  userNeighbour: number;
  /** Multiplier of episodes and promoted items as results themselves (they stand for several turns). */
  episodeItem: number;
  salience: number;
  recency: number;
  /** Multiplier (1 + time) for items inside a time the query names. */
  time: number;
  rrfK: number;
}

export const DEFAULT_WEIGHTS: FusionWeights = {
  fusion: 'score',
  text: 1,
  vector: 0.5,
  question: 0.5,
  neighbour: 0.5,
  answer: 1.5,
  speaker: 0.75,
  userQuestion: 0,
  assistantNeighbour: 0,
  userNeighbour: 1,
  episodeItem: 1,
  salience: 0.1,
  recency: 0.05,
  time: 0.5,
  rrfK: 60,
};

export interface Candidate {
  id: string;
  /** Scores are scaled within a group (memories, chunks, facts: their engines' scales differ). */
  group: string;
  /** Raw full-text relevance (higher is better), when the text search found it. */
  text?: number;
  /** 1-based rank in the text list. */
  textRank?: number;
  /** Cosine similarity, when the vector search found it. */
  vector?: number;
  vectorRank?: number;
  /** Session, for neighbour credit (null: none). */
  sessionId: string | null;
  /** Position in the session, for adjacency. */
  seq: number | null;
  speaker: string | null;
  /** The speaker's chat role, when the conversation has an assistant (roles.ts). */
  role?: TurnRole | null;
  /** Share of the text's sentences that are questions, 0–1. */
  questionShare?: number;
  /** Turns behind an episode or promoted item. */
  turnIds: string[];
  isEpisode: boolean;
  salience: number;
  /** Recency in [0, 1] (1 = now). */
  recency: number;
  /** Inside the time the query names (undefined when it names none). */
  inTime?: boolean;
  /** Per-tier weight from the intent. */
  tierWeight: number;
}

export interface ScoreBreakdown {
  text: number;
  vector: number;
  /** Text and vector combined, before context signals. */
  base: number;
  /** Share of the base lost to the question part of the text. */
  question: number;
  neighbour: number;
  speaker: number;
  salience: number;
  recency: number;
  time: number;
  fused: number;
}

/** Base relevance of each candidate from the text and vector lists. */
export function baseScores(
  cands: Candidate[],
  w: FusionWeights,
): { text: number[]; vector: number[]; base: number[] } {
  const text: number[] = [];
  const vector: number[] = [];
  if (w.fusion === 'rrf') {
    for (const c of cands) {
      text.push(c.textRank === undefined ? 0 : 1 / (w.rrfK + c.textRank));
      vector.push(c.vectorRank === undefined ? 0 : 1 / (w.rrfK + c.vectorRank));
    }
    // Scale so the best possible item (rank 1 in both) has base = text + vector weights.
    const top = 1 / (w.rrfK + 1);
    return {
      text: text.map((t) => t / top),
      vector: vector.map((v) => v / top),
      base: cands.map((_, i) => (w.text * text[i]! + w.vector * vector[i]!) / top),
    };
  }
  const maxText = new Map<string, number>();
  const maxVec = new Map<string, number>();
  for (const c of cands) {
    maxText.set(c.group, Math.max(maxText.get(c.group) ?? 0, c.text ?? 0));
    maxVec.set(c.group, Math.max(maxVec.get(c.group) ?? 0, c.vector ?? 0));
  }
  for (const c of cands) {
    const mt = maxText.get(c.group) ?? 0;
    const mv = maxVec.get(c.group) ?? 0;
    text.push(mt > 0 ? Math.max(0, c.text ?? 0) / mt : 0);
    vector.push(mv > 0 ? Math.max(0, c.vector ?? 0) / mv : 0);
  }
  return { text, vector, base: cands.map((_, i) => w.text * text[i]! + w.vector * vector[i]!) };
}

/** Participant names the query mentions, matched against candidates' speakers (case-insensitive). */
export function namedSpeakers(
  queryWords: ReadonlySet<string>,
  speakers: Iterable<string | null>,
): Set<string> {
  const named = new Set<string>();
  for (const s of speakers) {
    if (s === null) continue;
    const parts = s
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((p) => p.length > 1);
    if (parts.some((p) => queryWords.has(p))) named.add(s);
  }
  return named;
}

/** What ranking order reads of a fused candidate. */
export interface Ranked {
  fused: number;
  occurredAt: number | null;
  id: string;
}

/**
 * Best first, by fused score. Equal scores are common (79 of the 200 BEAM evaluation queries
 * hold some in their top 25; for one, two newer restatements of one statement are both lifted to
 * just above it, updates.ts). They go to the newer memory, as the lift itself does, then by id,
 * so the order of a stored history does not depend on the ids drawn at random when it was stored.
 */
export function rankedOrder(a: Ranked, b: Ranked): number {
  return (
    b.fused - a.fused ||
    (b.occurredAt ?? Number.MIN_SAFE_INTEGER) - (a.occurredAt ?? Number.MIN_SAFE_INTEGER) ||
    a.id.localeCompare(b.id)
  );
}

/** Fuses every signal; returns one breakdown per candidate, in input order. */
export function fuse(
  cands: Candidate[],
  w: FusionWeights,
  namedSpeakerSet: ReadonlySet<string>,
): ScoreBreakdown[] {
  const { text, vector, base } = baseScores(cands, w);
  const question = cands.map(
    (c) => w.question * (c.questionShare ?? 0) * (c.role === 'user' ? w.userQuestion : 1),
  );
  const own = base.map((b, i) => b * (1 - question[i]!));

  // Neighbour credit from adjacent turns of the same session.
  const bySlot = new Map<string, number>();
  cands.forEach((c, i) => {
    if (c.sessionId !== null && c.seq !== null && !c.isEpisode)
      bySlot.set(`${c.sessionId}#${c.seq}`, i);
  });
  const neighbour = cands.map((c) => {
    if (w.neighbour === 0 || c.sessionId === null || c.seq === null || c.isEpisode) return 0;
    const prev = bySlot.get(`${c.sessionId}#${c.seq - 1}`);
    const next = bySlot.get(`${c.sessionId}#${c.seq + 1}`);
    const fromPrev =
      prev === undefined ? 0 : own[prev]! * (1 + w.answer * (cands[prev]!.questionShare ?? 0));
    const fromNext = next === undefined ? 0 : own[next]!;
    const share =
      c.role === 'assistant' ? w.assistantNeighbour : c.role === 'user' ? w.userNeighbour : 1;
    return w.neighbour * share * Math.max(fromPrev, fromNext);
  });
  const speaker = cands.map((c) =>
    c.speaker !== null && namedSpeakerSet.has(c.speaker) ? w.speaker : 0,
  );

  return cands.map((c, i) => {
    const relevance = (own[i]! + neighbour[i]!) * (1 + speaker[i]!);
    const salience = w.salience * c.salience;
    const recency = w.recency * c.recency;
    const time = c.inTime === true ? w.time : 0;
    const fused =
      (relevance + salience + recency) *
      (1 + time) *
      c.tierWeight *
      (c.isEpisode && c.group === 'memory' ? w.episodeItem : 1);
    return {
      text: text[i]!,
      vector: vector[i]!,
      base: base[i]!,
      question: question[i]!,
      neighbour: neighbour[i]!,
      speaker: speaker[i]!,
      salience,
      recency,
      time,
      fused,
    };
  });
}
