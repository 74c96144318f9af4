// RecallService: intent-aware hybrid recall over every tier. For a query it classifies the intent,
// gathers candidates per tier from full-text and vector search (memories in the store; ingested
// chunks and graph facts through injected search functions), fuses them (fusion.ts) with
// salience, recency and any time the query names, drops items that repeat what a better item
// already covers, and returns the top k with their score breakdown, source and citation id.
// Per query: one embedding, 2–3 index searches and a few neighbour look-ups; the rest is JS over a
// few hundred candidates, so cost does not grow with the number of memories beyond the indexes.
import type { Clock } from '../../domain/clock.js';
import { AppError, errorMessage } from '../../domain/errors.js';
import type { Logger } from '../../domain/logger.js';
import type { Embedder } from '../../ports/embedder.js';
import type {
  MemoryHit,
  MemoryItem,
  MemoryKind,
  MemoryScope,
  MemoryStore,
  MemoryTier,
  TimeRange,
} from '../../ports/memory-store.js';
import { decayedSalience } from '../salience.js';
import {
  DEFAULT_WEIGHTS,
  fuse,
  namedSpeakers,
  type Candidate,
  type FusionWeights,
  type ScoreBreakdown,
} from './fusion.js';
import type { IntentClassifier, IntentResult } from './intent.js';
import { terms, words } from './text-analysis.js';
import { inTimeMention, parseTimeMention } from './time-expressions.js';

export const MAX_QUERY_CHARS = 2_000;
export const MAX_K = 100;
const ALL_TIERS: readonly MemoryTier[] = ['working', 'episodic', 'semantic'];

/** An ingested chunk, as the ingestion capability's search returns it. */
export interface ChunkCandidate {
  chunkId: string;
  documentId: string;
  text: string;
  textScore?: number;
  textRank?: number;
  vectorScore?: number;
  vectorRank?: number;
}

/** A graph fact, as the graph capability's search returns it. */
export interface FactCandidate {
  id: string;
  text: string;
  entityIds: string[];
  score: number;
  validAt: number;
}

export type SearchChunks = (input: {
  tenantId: string;
  query: string;
  queryVector?: Float32Array;
  k: number;
}) => Promise<ChunkCandidate[]>;
export type SearchFacts = (input: {
  tenantId: string;
  query: string;
  k: number;
}) => Promise<FactCandidate[]>;

export interface RecallRequest {
  tenantId: string;
  query: string;
  /** Only this session's memories. */
  sessionId?: string | undefined;
  /** Only this user's memories (null: only memories without a user). Omitted: the whole tenant. */
  userId?: string | null | undefined;
  k: number;
  tiers?: MemoryTier[] | undefined;
  /** A hard filter on when memories happened (ms since epoch). */
  timeRange?: TimeRange | undefined;
  signal?: AbortSignal | undefined;
}

export type RecallKind = MemoryKind | 'chunk' | 'fact';

export interface RecallSource {
  turnIds?: string[];
  memoryId?: string;
  sessionId?: string | null;
  documentId?: string;
  chunkId?: string;
  entityIds?: string[];
}

export interface RecallScore extends ScoreBreakdown {
  textRank: number | null;
  vectorRank: number | null;
}

export interface RecallItem {
  /** Citation id: send it to `POST /v1/memories/cited` when the agent uses the item. */
  id: string;
  tier: MemoryTier;
  kind: RecallKind;
  text: string;
  occurredAt: number | null;
  speaker: string | null;
  source: RecallSource;
  score: RecallScore;
}

export interface RecallResult {
  items: RecallItem[];
  intent: IntentResult['intent'];
  /** The time the query named, if any, as [from, to) or a month of any year. */
  time?: { text: string; from?: number; to?: number; monthOfYear?: number };
  /** Set when a source could not be searched (e.g. the embedder is down); the rest still answered. */
  degraded?: string[];
  /** Where the time went: embedding the query, searching, fetching neighbours, fusing. */
  timingsMs: {
    embed: number;
    /** Both index searches (and the semantic tier's); `vectorSearch` is the vector part. */
    search: number;
    vectorSearch: number;
    neighbours: number;
    fuse: number;
    total: number;
  };
}

export interface RecallTuning {
  weights: FusionWeights;
  /** Candidates taken from each list. */
  candidatesPerList: number;
  /** Neighbour turns fetched around this many best candidates. */
  neighbourFetch: number;
  /** Recency halves every this many ms before the newest candidate. */
  recencyHalfLifeMs: number;
  /** A named time also matches memories this long after it (people talk about things later). */
  timeSlackMs: number;
  /** Anchor relative times ("yesterday") at the newest candidate instead of now. */
  anchorAtNewest: boolean;
}

export const DEFAULT_TUNING: RecallTuning = {
  weights: DEFAULT_WEIGHTS,
  candidatesPerList: 100,
  neighbourFetch: 20,
  recencyHalfLifeMs: 30 * 86_400_000,
  timeSlackMs: 14 * 86_400_000,
  anchorAtNewest: false,
};

export interface RecallServiceOptions {
  store: MemoryStore;
  embedder?: Embedder | undefined;
  classifier: IntentClassifier;
  clock: Clock;
  logger: Logger;
  salienceHalfLifeHours: number;
  searchChunks?: SearchChunks | undefined;
  searchFacts?: SearchFacts | undefined;
  tuning?: Partial<RecallTuning> | undefined;
}

export interface RecallService {
  recall(request: RecallRequest): Promise<RecallResult>;
}

interface Entry {
  cand: Candidate;
  item: Omit<RecallItem, 'score'>;
  textRank: number | null;
  vectorRank: number | null;
}

function memoryEntry(m: MemoryItem, salience: number): Entry {
  const turnIds = m.kind === 'turn' ? [m.id] : (m.source.turnIds ?? []);
  return {
    cand: {
      id: m.id,
      group: 'memory',
      sessionId: m.sessionId,
      seq: m.seq,
      speaker: m.speaker,
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
    textRank: null,
    vectorRank: null,
  };
}

/**
 * The full-text query: content words only (the store's OR query would otherwise spend its
 * ranking on words like "kind", "things" or "really"); the words as given when none is left.
 */
function textQuery(query: string): string {
  const kept = words(query).filter((w) => terms(w).length > 0);
  return kept.length > 0 ? kept.join(' ') : query;
}

/** Words of the query without the named participants' names (they match speakers, not text). */
function withoutNames(query: string, named: ReadonlySet<string>): string | undefined {
  const nameParts = new Set([...named].flatMap((n) => words(n)));
  const kept = words(query).filter((w) => !nameParts.has(w));
  const content = kept.filter((w) => terms(w).length > 0);
  return content.length > 0 && kept.length < words(query).length ? kept.join(' ') : undefined;
}

export function createRecallService(options: RecallServiceOptions): RecallService {
  const { store, embedder, classifier, clock } = options;
  const logger = options.logger.child({ component: 'recall' });
  const tuning: RecallTuning = { ...DEFAULT_TUNING, ...options.tuning };
  const salienceHalfLifeMs = options.salienceHalfLifeHours * 3_600_000;

  return {
    async recall(req) {
      const query = req.query.trim();
      if (query === '')
        throw new AppError('VALIDATION_FAILED', 'The query is empty; send what to recall.');
      if (query.length > MAX_QUERY_CHARS) {
        throw new AppError(
          'INPUT_TOO_LARGE',
          `A query holds at most ${MAX_QUERY_CHARS} characters.`,
        );
      }
      if (!Number.isInteger(req.k) || req.k < 1 || req.k > MAX_K) {
        throw new AppError('VALIDATION_FAILED', `k must be an integer from 1 to ${MAX_K}.`);
      }
      const now = clock.now();
      const tiers = req.tiers && req.tiers.length > 0 ? [...new Set(req.tiers)] : [...ALL_TIERS];
      const degraded: string[] = [];
      const scope: MemoryScope = {
        tenantId: req.tenantId,
        ...(req.userId === undefined ? {} : { userId: req.userId }),
        ...(req.sessionId === undefined ? {} : { sessionId: req.sessionId }),
        tiers,
        ...(req.timeRange === undefined ? {} : { timeRange: req.timeRange }),
      };
      const n = tuning.candidatesPerList;
      const t0 = performance.now();

      const intentPromise = classifier.classify(query, req.signal);
      let vector: Float32Array | undefined;
      if (embedder !== undefined) {
        try {
          vector = (await embedder.embed([query], req.signal ? { signal: req.signal } : {}))[0];
        } catch (error) {
          degraded.push(`vector search skipped: ${errorMessage(error)}`);
          logger.warn({ err: error }, 'query embedding failed; recalling by text only');
        }
      }
      const t1 = performance.now();
      const [intent, vectorHits] = await Promise.all([
        intentPromise,
        vector && embedder
          ? store.searchVector({ ...scope, vector, embedderId: embedder.id, k: n })
          : Promise.resolve([]),
      ]);

      // Participants named in the query match the speaker field; in the text they mostly match
      // greetings addressed to them, so the text search leaves them out (speakers are known from
      // the vector hits, or from a first text search without an embedder).
      const queryWords = new Set(words(query));
      const tVector = performance.now();
      let firstTextHits: MemoryHit[] = [];
      if (vectorHits.length === 0) {
        firstTextHits = await store.searchText({ ...scope, query: textQuery(query), k: n });
      }
      const named = namedSpeakers(
        queryWords,
        [...vectorHits, ...firstTextHits].map((h) => h.memory.speaker),
      );
      const stripped = named.size > 0 ? withoutNames(query, named) : undefined;
      let textHits: MemoryHit[] = firstTextHits;
      if (vectorHits.length > 0 || stripped !== undefined) {
        textHits = await store.searchText({ ...scope, query: textQuery(stripped ?? query), k: n });
      }

      const entries = new Map<string, Entry>();
      const salienceOf = (m: MemoryItem) =>
        decayedSalience(m.salience, m.salienceUpdatedAt, now, salienceHalfLifeMs);
      const entryFor = (m: MemoryItem): Entry => {
        let e = entries.get(m.id);
        if (!e) entries.set(m.id, (e = memoryEntry(m, salienceOf(m))));
        return e;
      };
      for (const h of textHits) {
        const e = entryFor(h.memory);
        e.cand.text = h.score;
        e.cand.textRank = h.rank;
        e.textRank = h.rank;
      }
      for (const h of vectorHits) {
        const e = entryFor(h.memory);
        e.cand.vector = h.score;
        e.cand.vectorRank = h.rank;
        e.vectorRank = h.rank;
      }

      // Semantic tier outside the memory store: ingested chunks and graph facts.
      if (tiers.includes('semantic') && req.sessionId === undefined) {
        const [chunks, facts] = await Promise.all([
          options.searchChunks
            ? options
                .searchChunks({
                  tenantId: req.tenantId,
                  query,
                  ...(vector ? { queryVector: vector } : {}),
                  k: Math.min(n, 50),
                })
                .catch((error: unknown) => {
                  degraded.push(`chunk search failed: ${errorMessage(error)}`);
                  return [];
                })
            : Promise.resolve([]),
          options.searchFacts
            ? options
                .searchFacts({ tenantId: req.tenantId, query, k: Math.min(n, 50) })
                .catch((error: unknown) => {
                  degraded.push(`fact search failed: ${errorMessage(error)}`);
                  return [];
                })
            : Promise.resolve([]),
        ]);
        for (const c of chunks) {
          entries.set(`chunk:${c.chunkId}`, {
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
            textRank: c.textRank ?? null,
            vectorRank: c.vectorRank ?? null,
          });
        }
        facts.forEach((f, i) => {
          entries.set(`fact:${f.id}`, {
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
            textRank: i + 1,
            vectorRank: null,
          });
        });
      }

      // Neighbour turns of the best candidates, so a reply next to a matching turn can surface.
      const t2 = performance.now();
      await fetchNeighbours(entries, tuning, scope, entryFor);
      const t3 = performance.now();

      const memories = [...entries.values()].filter((e) => e.cand.group === 'memory');
      const newest = memories.reduce((m, e) => Math.max(m, e.item.occurredAt ?? 0), 0);
      const anchor = tuning.anchorAtNewest && newest > 0 ? newest : now;
      const mention = parseTimeMention(query, anchor);
      const weights: FusionWeights = {
        ...tuning.weights,
        recency: tuning.weights.recency * intent.recencyBoost,
        episodeItem: tuning.weights.episodeItem * intent.episodeBoost,
      };
      const list = [...entries.values()];
      for (const e of list) {
        e.cand.tierWeight = intent.tierWeights[e.item.tier];
        if (e.item.occurredAt !== null && newest > 0) {
          e.cand.recency =
            2 ** (-Math.max(0, newest - e.item.occurredAt) / tuning.recencyHalfLifeMs);
        }
        if (mention && e.item.occurredAt !== null)
          e.cand.inTime = inTimeMention(mention, e.item.occurredAt, tuning.timeSlackMs);
      }
      const scores = fuse(
        list.map((e) => e.cand),
        weights,
        named,
      );
      const order = list
        .map((e, i) => ({ e, s: scores[i]! }))
        .sort((a, b) => b.s.fused - a.s.fused || a.e.item.id.localeCompare(b.e.item.id));

      const items = diversify(order, req.k).map(({ e, s }) => ({
        ...e.item,
        score: { ...s, textRank: e.textRank, vectorRank: e.vectorRank },
      }));
      const t4 = performance.now();
      const ms = (x: number) => Math.round(x * 100) / 100;
      const result: RecallResult = {
        items,
        intent: intent.intent,
        timingsMs: {
          embed: ms(t1 - t0),
          vectorSearch: ms(tVector - t1),
          search: ms(t2 - t1),
          neighbours: ms(t3 - t2),
          fuse: ms(t4 - t3),
          total: ms(t4 - t0),
        },
      };
      if (mention) {
        result.time = {
          text: mention.text,
          ...(mention.window ? { from: mention.window.from, to: mention.window.to } : {}),
          ...(mention.monthOfYear === undefined ? {} : { monthOfYear: mention.monthOfYear }),
        };
      }
      if (degraded.length > 0) result.degraded = degraded;
      return result;
    },
  };

  async function fetchNeighbours(
    entries: Map<string, Entry>,
    t: RecallTuning,
    scope: MemoryScope,
    entryFor: (m: MemoryItem) => Entry,
  ): Promise<void> {
    if (t.neighbourFetch <= 0 || t.weights.neighbour === 0) return;
    const turns = [...entries.values()].filter(
      (e) => e.cand.group === 'memory' && e.item.kind === 'turn',
    );
    const quick = fuse(
      turns.map((e) => e.cand),
      { ...t.weights, neighbour: 0, session: 0, episode: 0 },
      new Set(),
    );
    const best = turns
      .map((e, i) => ({ e, s: quick[i]!.base }))
      .sort((a, b) => b.s - a.s)
      .slice(0, t.neighbourFetch);
    // Skip turns whose both neighbours are candidates already (one look-up saved each).
    const slots = new Set(turns.map((e) => `${e.cand.sessionId}#${e.cand.seq}`));
    const missing = best.filter(({ e }) => {
      const { sessionId, seq } = e.cand;
      if (sessionId === null || seq === null) return false;
      return !slots.has(`${sessionId}#${seq - 1}`) || !slots.has(`${sessionId}#${seq + 1}`);
    });
    const fetched = await Promise.all(
      missing.map(({ e }) => store.getNeighbors(scope.tenantId, e.item.id, 1)),
    );
    for (const list of fetched) {
      for (const m of list) {
        if (entries.has(m.id) || !inScope(m, scope)) continue;
        entryFor(m);
      }
    }
  }
}

/** getNeighbors looks up by id; scope filters still apply to what it adds. */
function inScope(m: MemoryItem, scope: MemoryScope): boolean {
  if (m.tenantId !== scope.tenantId) return false;
  if (scope.userId !== undefined && m.userId !== scope.userId) return false;
  if (scope.sessionId !== undefined && m.sessionId !== scope.sessionId) return false;
  if (scope.tiers !== undefined && !scope.tiers.includes(m.tier)) return false;
  if (scope.timeRange?.from !== undefined && m.occurredAt < scope.timeRange.from) return false;
  if (scope.timeRange?.to !== undefined && m.occurredAt >= scope.timeRange.to) return false;
  return true;
}

/**
 * Keeps the best-first order but skips an item whose turns are all behind better items already
 * kept (a turn after its episode, an episode after its turns), and an original after its
 * promoted copy (or the copy after its original).
 */
export function diversify<T extends { e: Entry }>(order: T[], k: number): T[] {
  const out: T[] = [];
  const coveredTurns = new Set<string>();
  const keptMemories = new Set<string>();
  for (const x of order) {
    if (out.length >= k) break;
    const { cand, item } = x.e;
    if (keptMemories.has(item.id)) continue;
    if (item.source.memoryId !== undefined && keptMemories.has(item.source.memoryId)) continue;
    if (
      cand.group === 'memory' &&
      cand.turnIds.length > 0 &&
      cand.turnIds.every((t) => coveredTurns.has(t))
    )
      continue;
    out.push(x);
    keptMemories.add(item.id);
    if (item.source.memoryId !== undefined) keptMemories.add(item.source.memoryId);
    for (const t of cand.turnIds) coveredTurns.add(t);
  }
  return out;
}
