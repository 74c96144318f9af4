// Recall candidate gathering: Entry construction per source, query shaping and neighbour fetching.
import {
  placeKey,
  type MemoryItem,
  type MemoryScope,
  type MemoryStore,
  type TurnPlace,
} from '../../ports/memory-store.js';
import { baseScores, type Candidate } from './fusion.js';
import type { RecallTuning } from './recall-service.js';
import type { ChunkCandidate, FactCandidate, RecallItem } from './recall-types.js';
import { speakerRole } from './roles.js';
import { terms, words } from './text-analysis.js';

export interface Entry {
  cand: Candidate;
  /** The user a memory belongs to (null for chunks, facts and memories without a user). */
  userId: string | null;
  item: Omit<RecallItem, 'score' | 'confidence'>;
  textRank: number | null;
  vectorRank: number | null;
}

export function memoryEntry(m: MemoryItem, salience: number): Entry {
  const turnIds = m.kind === 'turn' ? [m.id] : (m.source.turnIds ?? []);
  return {
    cand: {
      id: m.id,
      group: 'memory',
      sessionId: m.sessionId,
      seq: m.seq,
      speaker: m.speaker,
      role: speakerRole(m.speaker),
      questionShare: m.kind === 'turn' ? questionShare(m.text) : 0,
      turnIds,
      isEpisode: m.kind !== 'turn',
      salience,
      recency: 0,
      tierWeight: 1,
    },
    item: {
      id: m.id,
      tier: m.tier,
      kind: m.kind,
      text: m.text,
      occurredAt: m.occurredAt,
      speaker: m.speaker,
      source: {
        sessionId: m.sessionId,
        ...(m.kind === 'turn' ? {} : { turnIds: m.source.turnIds ?? [] }),
        ...(m.source.memoryId === undefined ? {} : { memoryId: m.source.memoryId }),
      },
    },
    userId: m.userId,
    textRank: null,
    vectorRank: null,
  };
}

/** Share of a text's sentences that end in a question mark. */
export function questionShare(text: string): number {
  const sentences = text
    .split(/(?<=[.!?])\s+/)
    .map((x) => x.trim())
    .filter((x) => /[\p{L}\p{N}]/u.test(x));
  if (sentences.length === 0) return 0;
  return sentences.filter((x) => x.endsWith('?')).length / sentences.length;
}

/** An ingested chunk as a semantic-tier entry. */
export function chunkEntry(c: ChunkCandidate): Entry {
  return {
    cand: {
      id: c.chunkId,
      group: 'chunk',
      sessionId: null,
      seq: null,
      speaker: null,
      turnIds: [],
      isEpisode: false,
      salience: 0,
      recency: 0,
      tierWeight: 1,
      ...(c.textScore === undefined ? {} : { text: c.textScore }),
      ...(c.textRank === undefined ? {} : { textRank: c.textRank }),
      ...(c.vectorScore === undefined ? {} : { vector: c.vectorScore }),
      ...(c.vectorRank === undefined ? {} : { vectorRank: c.vectorRank }),
    },
    item: {
      id: c.chunkId,
      tier: 'semantic',
      kind: 'chunk',
      text: c.text,
      occurredAt: null,
      speaker: null,
      source: { documentId: c.documentId, chunkId: c.chunkId },
    },
    userId: null,
    textRank: c.textRank ?? null,
    vectorRank: c.vectorRank ?? null,
  };
}

/** A graph fact as a semantic-tier entry; `i` is its rank in the fact search. */
export function factEntry(f: FactCandidate, i: number): Entry {
  return {
    cand: {
      id: f.id,
      group: 'fact',
      text: f.score,
      textRank: i + 1,
      sessionId: null,
      seq: null,
      speaker: null,
      turnIds: [],
      isEpisode: false,
      salience: 0,
      recency: 0,
      tierWeight: 1,
    },
    item: {
      id: f.id,
      tier: 'semantic',
      kind: 'fact',
      text: f.text,
      occurredAt: f.validAt,
      speaker: null,
      source: { entityIds: f.entityIds },
    },
    userId: null,
    textRank: i + 1,
    vectorRank: null,
  };
}

/**
 * The full-text query: content words only (the store's OR query would otherwise spend its
 * ranking on words like "kind", "things" or "really"); the words as given when none is left.
 */
export function textQuery(query: string): string {
  const kept = words(query).filter((w) => terms(w).length > 0);
  return kept.length > 0 ? kept.join(' ') : query;
}

/** Words of the query without the named participants' names (they match speakers, not text). */
export function withoutNames(query: string, named: ReadonlySet<string>): string | undefined {
  const nameParts = new Set([...named].flatMap((n) => words(n)));
  const kept = words(query).filter((w) => !nameParts.has(w));
  const content = kept.filter((w) => terms(w).length > 0);
  return content.length > 0 && kept.length < words(query).length ? kept.join(' ') : undefined;
}

/** Neighbour turns of the best candidates, added to `entries` through `entryFor`. */
export async function fetchNeighbours(
  store: MemoryStore,
  entries: Map<string, Entry>,
  t: RecallTuning,
  scope: MemoryScope,
  entryFor: (m: MemoryItem) => Entry,
): Promise<void> {
  if (t.neighbourFetch <= 0 || t.weights.neighbour === 0) return;
  const turns = [...entries.values()].filter(
    (e) => e.cand.group === 'memory' && e.item.kind === 'turn',
  );
  const { base } = baseScores(
    turns.map((e) => e.cand),
    t.weights,
  );
  const best = turns
    .map((e, i) => ({ e, s: base[i]! }))
    .sort((a, b) => b.s - a.s)
    .slice(0, t.neighbourFetch);
  // The places beside the best turns that no candidate holds yet, read in one call.
  const held = new Set(
    turns.map((e) => placeKey({ sessionId: e.cand.sessionId ?? '', seq: e.cand.seq ?? NaN })),
  );
  const places: TurnPlace[] = [];
  for (const { e } of best) {
    const { sessionId, seq } = e.cand;
    if (sessionId === null || seq === null) continue;
    for (const beside of [seq - 1, seq + 1]) {
      const place = { sessionId, seq: beside };
      if (!held.has(placeKey(place))) places.push(place);
    }
  }
  if (places.length === 0) return;
  for (const m of await store.getTurnsAt(scope.tenantId, places)) {
    if (entries.has(m.id) || !inScope(m, scope)) continue;
    entryFor(m);
  }
}

/** getTurnsAt reads the tenant's turns by place; scope filters still apply to what it adds. */
function inScope(m: MemoryItem, scope: MemoryScope): boolean {
  if (m.tenantId !== scope.tenantId) return false;
  if (scope.userId !== undefined && m.userId !== scope.userId) return false;
  if (scope.sessionId !== undefined && m.sessionId !== scope.sessionId) return false;
  if (scope.tiers !== undefined && !scope.tiers.includes(m.tier)) return false;
  if (scope.timeRange?.from !== undefined && m.occurredAt < scope.timeRange.from) return false;
  if (scope.timeRange?.to !== undefined && m.occurredAt >= scope.timeRange.to) return false;
  return true;
}
