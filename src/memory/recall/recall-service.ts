// RecallService: intent-aware hybrid recall over every tier. For a query it classifies the intent,
// gathers candidates per tier from full-text and vector search (memories in the store; ingested
// chunks and graph facts through injected search functions), fuses them (fusion.ts) with
// salience, recency and any time the query names, lifts newer restatements for questions about
// the present (updates.ts), drops items that repeat what a better item already covers, and
// returns the top k (from `offset`) with their score breakdown, source, citation id, best passage
// and confidence (recall-output.ts).
// Per query: one embedding, 2–3 index searches and a few neighbour look-ups; the rest is JS over a
// few hundred candidates, so cost does not grow with the number of memories beyond the indexes.
import type { Clock } from '../../domain/clock.js';
import { AppError, errorMessage } from '../../domain/errors.js';
import type { Logger } from '../../domain/logger.js';
import type { Embedder } from '../../ports/embedder.js';
import {
  MEMORY_TIERS,
  type MemoryHit,
  type MemoryItem,
  type MemoryScope,
  type MemoryStore,
} from '../../ports/memory-store.js';
import { decayedSalience } from '../salience.js';
import { DEFAULT_CONFIDENCE, queryTerms, type ConfidenceModel } from './confidence.js';
import { DEFAULT_WEIGHTS, fuse, namedSpeakers, rankedOrder, type FusionWeights } from './fusion.js';
import type { IntentClassifier } from './intent.js';
import { presentItem } from './recall-output.js';
import {
  asksCurrentState,
  liftUpdates,
  reorderChanges,
  REORDER_WINDOW,
  type UpdateCandidate,
} from './updates.js';
import {
  chunkEntry,
  factEntry,
  fetchNeighbours,
  memoryEntry,
  textQuery,
  withoutNames,
  type Entry,
} from './recall-candidates.js';
import type { RecallRequest, RecallResult, SearchChunks, SearchFacts } from './recall-types.js';
import { words } from './text-analysis.js';
import { inTimeMention, parseTimeMention } from './time-expressions.js';

export type {
  ChunkCandidate,
  FactCandidate,
  RecallItem,
  RecallKind,
  RecallRequest,
  RecallResult,
  RecallScore,
  RecallSource,
  SearchChunks,
  SearchFacts,
} from './recall-types.js';

/** The longest query recall (and POST /v1/context, which recalls with it) accepts. */
export const MAX_QUERY_CHARS = 8_000;
export const MAX_K = 100;

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
  /** How far below an earlier statement a newer restatement may score and still be lifted (updates.ts). */
  update: number;
  /** Maps an item's absolute evidence to its confidence (confidence.ts). */
  confidence: ConfidenceModel;
}

export const DEFAULT_TUNING: RecallTuning = {
  weights: DEFAULT_WEIGHTS,
  candidatesPerList: 200,
  neighbourFetch: 20,
  recencyHalfLifeMs: 30 * 86_400_000,
  timeSlackMs: 14 * 86_400_000,
  anchorAtNewest: false,
  update: 0.3,
  confidence: DEFAULT_CONFIDENCE,
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
      const offset = req.offset ?? 0;
      if (!Number.isInteger(offset) || offset < 0)
        throw new AppError('VALIDATION_FAILED', 'offset must be a whole number from 0.');
      const now = clock.now();
      const tiers = req.tiers && req.tiers.length > 0 ? [...new Set(req.tiers)] : [...MEMORY_TIERS];
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
      // The whole query's full text starts as soon as the embedding is under way, beside it and
      // the vector search (in a search thread when the store has them; on this thread while the
      // embedder's threads work, when not). It is the text list unless the vector hits name
      // participants whose names the text search must leave out (below).
      const wholeText = textQuery(query);
      const wholeTextHits = Promise.resolve().then(() =>
        store.searchText({ ...scope, query: wholeText, k: n }),
      );
      wholeTextHits.catch(() => undefined); // read below, or not needed
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
      const firstTextHits: MemoryHit[] = vectorHits.length === 0 ? await wholeTextHits : [];
      const named = namedSpeakers(
        queryWords,
        [...vectorHits, ...firstTextHits].map((h) => h.memory.speaker),
      );
      const stripped = named.size > 0 ? withoutNames(query, named) : undefined;
      const strippedText = stripped === undefined ? wholeText : textQuery(stripped);
      const textHits =
        strippedText === wholeText
          ? await wholeTextHits
          : await store.searchText({ ...scope, query: strippedText, k: n });

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
        for (const c of chunks) entries.set(`chunk:${c.chunkId}`, chunkEntry(c));
        facts.forEach((f, i) => {
          entries.set(`fact:${f.id}`, factEntry(f, i));
        });
      }

      // Neighbour turns of the best candidates, so a reply next to a matching turn can surface.
      const t2 = performance.now();
      await fetchNeighbours(store, entries, tuning, scope, entryFor);
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
      const asked = queryTerms(query);
      const lifted = liftUpdates(
        list.map(updateCandidate),
        scores.map((s) => s.fused),
        asked,
        asksCurrentState(query) ? tuning.update : 0,
      );
      const order = list
        .map((e, i) => ({
          e,
          s: { ...scores[i]!, fused: lifted[i]! },
          fused: lifted[i]!,
          occurredAt: e.item.occurredAt,
          id: e.item.id,
        }))
        .sort(rankedOrder);

      const kept = diversify(order, Math.max(offset + req.k, REORDER_WINDOW));
      const ranked =
        asksCurrentState(query) && tuning.update > 0
          ? reorderChanges(kept, (x) => updateCandidate(x.e), asked)
          : kept;
      const items = ranked
        .slice(offset, offset + req.k)
        .map(({ e, s }) => presentItem(e, s, asked, tuning.confidence));
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
}

/**
 * Keeps the best-first order but skips an item whose turns are all behind better items already
 * kept (a turn after its episode, an episode after its turns), and an original after its
 * promoted copy (or the copy after its original).
 */
/** What knowledge-update ordering reads of an entry. */
function updateCandidate(e: Entry): UpdateCandidate {
  return {
    userId: e.userId,
    speaker: e.item.speaker,
    occurredAt: e.item.occurredAt,
    text: e.item.text,
    isTurn: e.item.kind === 'turn',
  };
}

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
