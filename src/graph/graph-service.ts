// The knowledge-graph service: writes a document's entities and facts (graph-writer.ts), removes
// what a deleted document alone supported, and answers the graph queries of the API and the
// facts wanted by recall.
import { AppError } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';
import type { Embedder } from '../ports/embedder.js';
import type { ChunkText, Extractor } from '../ports/extractor.js';
import type {
  EntityDetail,
  EntityRecord,
  GraphStore,
  Neighborhood,
  MentionPosition,
  MentionRecord,
  RemovedGraph,
} from '../ports/graph-store.js';
import { factText } from './fact-text.js';
import type { GraphMetrics } from './graph-metrics.js';
import { createGraphWriter } from './graph-writer.js';
import { sentenceHolding } from './mention-sentence.js';
import { normalizeName } from './names.js';
import { predicatePhrasings } from './predicates.js';

export const MAX_NEIGHBORHOOD_DEPTH = 3;

export interface GraphServiceOptions {
  store: GraphStore;
  extractor: Extractor;
  clock: Clock;
  logger: Logger;
  /** Name embeddings for resolution; without one, resolution uses names only. */
  embedder?: Embedder;
  entityFuzzyThreshold: number;
  entityEmbeddingThreshold: number;
  /** Entities a neighbourhood returns at most (relations: four times as many). */
  maxNeighborhoodEntities?: number;
  maxMentionsPerEntity?: number;
  maxFactsPerEntity?: number;
  /** Chunks extracted and left out, counted for /metrics. */
  metrics?: GraphMetrics;
  /**
   * A document's chunks (id and text), so an entity's mentions are shown with the sentence they
   * were read in; without it, mentions carry no sentence.
   */
  documentChunks?: (
    tenantId: string,
    documentId: string,
  ) => Promise<Array<Pick<ChunkText, 'id' | 'text'>>>;
}

/** A mention with the sentence of its chunk that holds it (null when none is found). */
export type MentionWithSentence = MentionRecord & { sentence: string | null };

export interface Fact {
  id: string;
  text: string;
  subject: { id: string; name: string };
  predicate: string;
  object: { id: string; name: string };
  validAt: number;
  invalidAt: number | null;
  score: number;
}

export interface NeighborhoodInput {
  tenantId: string;
  /** An entity id, or a name resolved to the best matching entity. */
  entity: string;
  depth: number;
  limit?: number;
  includeInvalid?: boolean;
}

const QUERY_STOPWORDS = new Set([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'by',
  'did',
  'do',
  'does',
  'for',
  'from',
  'has',
  'have',
  'how',
  'in',
  'is',
  'it',
  'of',
  'on',
  'or',
  'the',
  'to',
  'was',
  'were',
  'what',
  'when',
  'where',
  'which',
  'who',
  'whom',
  'why',
  'with',
]);

/**
 * A crude suffix stripper, enough for "work" to find "works at", "based" to meet "base", and
 * "founder" not to find "found". A final e goes too, so "lives", "lived" and "living" agree.
 */
function stem(word: string): string {
  let stemmed = word;
  if (word.length > 5 && word.endsWith('ing')) stemmed = word.slice(0, -3);
  else if (word.length > 4 && word.endsWith('ed')) stemmed = word.slice(0, -2);
  else if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss'))
    stemmed = word.slice(0, -1);
  return stemmed.length > 3 && stemmed.endsWith('e') ? stemmed.slice(0, -1) : stemmed;
}

/** Stemmed question word → the canonical predicates phrased with it ("employ" → works at). */
const PREDICATES_BY_WORD = new Map<string, Set<string>>();
for (const { key, phrasings } of predicatePhrasings())
  for (const word of phrasings.join(' ').split(' ')) {
    if (word.length < 3 || QUERY_STOPWORDS.has(word) || word === 'its') continue;
    const stemmed = stem(word);
    const keys = PREDICATES_BY_WORD.get(stemmed) ?? new Set<string>();
    keys.add(key);
    PREDICATES_BY_WORD.set(stemmed, keys);
  }

export function createGraphService(options: GraphServiceOptions) {
  const { store, logger } = options;
  const maxEntities = options.maxNeighborhoodEntities ?? 50;
  const entityLimits = {
    mentions: options.maxMentionsPerEntity ?? 50,
    facts: options.maxFactsPerEntity ?? 200,
  };
  const writer = createGraphWriter(options);

  /** Drops a deleted document's mentions and the entities and facts nothing else supports. */
  async function removeDocument(tenantId: string, documentId: string): Promise<RemovedGraph> {
    const removed = await store.removeDocument(tenantId, documentId);
    logger.debug({ tenantId, documentId, ...removed }, 'graph of document removed');
    return removed;
  }

  async function searchEntities(input: {
    tenantId: string;
    query: string;
    limit?: number;
  }): Promise<EntityRecord[]> {
    const key = normalizeName(input.query);
    if (key === '') return [];
    return store.searchEntities(input.tenantId, key, Math.min(Math.max(input.limit ?? 20, 1), 100));
  }

  /** The entities a document mentions (its page in the console). */
  async function documentEntities(input: {
    tenantId: string;
    documentId: string;
    limit?: number;
  }): Promise<EntityRecord[]> {
    const limit = Math.min(Math.max(input.limit ?? 20, 1), 100);
    return store.documentEntities(input.tenantId, input.documentId, limit);
  }

  async function getEntity(
    tenantId: string,
    entityId: string,
  ): Promise<Omit<EntityDetail, 'mentions'> & { mentions: MentionWithSentence[] }> {
    const detail = await store.getEntity(tenantId, entityId, entityLimits);
    if (detail === null)
      throw new AppError('ENTITY_NOT_FOUND', `No entity with id "${entityId}" in this tenant`);
    return { ...detail, mentions: await withSentences(tenantId, detail.mentions) };
  }

  /** A page of an entity's mentions with their sentences, after `after` when given. */
  async function entityMentions(
    tenantId: string,
    entityId: string,
    after: MentionPosition | null,
    limit: number,
  ): Promise<MentionWithSentence[]> {
    const mentions = await store.entityMentions(tenantId, entityId, after, limit);
    if (mentions === null)
      throw new AppError('ENTITY_NOT_FOUND', `No entity with id "${entityId}" in this tenant`);
    return withSentences(tenantId, mentions);
  }

  /** One chunk read per document the mentions come from (mentions are paged or capped). */
  async function withSentences(
    tenantId: string,
    mentions: MentionRecord[],
  ): Promise<MentionWithSentence[]> {
    const readChunks = options.documentChunks;
    const texts = new Map<string, string>();
    if (readChunks !== undefined) {
      const documentIds = [...new Set(mentions.map((m) => m.documentId))];
      const chunkLists = await Promise.all(documentIds.map((id) => readChunks(tenantId, id)));
      for (const chunk of chunkLists.flat()) texts.set(chunk.id, chunk.text);
    }
    return mentions.map((mention) => {
      const text = texts.get(mention.chunkId);
      return {
        ...mention,
        sentence: text === undefined ? null : sentenceHolding(text, mention.surface),
      };
    });
  }

  async function neighborhood(
    input: NeighborhoodInput,
  ): Promise<Neighborhood & { center: EntityRecord }> {
    if (!Number.isInteger(input.depth) || input.depth < 1 || input.depth > MAX_NEIGHBORHOOD_DEPTH) {
      throw new AppError(
        'VALIDATION_FAILED',
        `depth must be a whole number from 1 to ${MAX_NEIGHBORHOOD_DEPTH}`,
        {
          details: { depth: input.depth, max: MAX_NEIGHBORHOOD_DEPTH },
        },
      );
    }
    const limit = Math.min(Math.max(input.limit ?? maxEntities, 1), maxEntities);
    let center = (await store.getEntity(input.tenantId, input.entity, { mentions: 0, facts: 0 }))
      ?.entity;
    if (center === undefined)
      center = (
        await searchEntities({ tenantId: input.tenantId, query: input.entity, limit: 1 })
      )[0];
    if (center === undefined)
      throw new AppError(
        'ENTITY_NOT_FOUND',
        `No entity with id or name "${input.entity}" in this tenant`,
      );
    const result = await store.neighborhood(input.tenantId, {
      entityId: center.id,
      depth: input.depth,
      maxEntities: limit,
      maxRelations: limit * 4,
      includeInvalid: input.includeInvalid ?? false,
    });
    return { center, ...result };
  }

  /**
   * Facts whose subject or object matches the query's words, as text for recall: entities are
   * found by name (whole query, then each word), their facts scored by the share of query words
   * they contain; superseded facts count half.
   */
  async function searchFacts(input: {
    tenantId: string;
    query: string;
    k: number;
    includeInvalid?: boolean;
  }): Promise<Fact[]> {
    const key = normalizeName(input.query);
    const words = [
      ...new Set(
        key
          .split(' ')
          .filter((word) => word.length > 1 && !QUERY_STOPWORDS.has(word))
          .map(stem),
      ),
    ];
    if (words.length === 0) return [];
    const entityIds = new Set<string>();
    for (const probe of [key, ...words]) {
      for (const entity of await store.searchEntities(input.tenantId, probe, 10))
        entityIds.add(entity.id);
      if (entityIds.size >= 50) break;
    }
    const k = Math.min(Math.max(input.k, 1), 100);
    const facts = await store.factsOf(input.tenantId, [...entityIds], k * 10);
    const scored: Fact[] = [];
    for (const fact of facts) {
      if (fact.invalidAt !== null && input.includeInvalid === false) continue;
      const text = factText(fact);
      const haystack = ` ${normalizeName(`${fact.subjectName} ${fact.predicate} ${fact.objectName}`).split(' ').map(stem).join(' ')} `;
      // A question word matches a fact that contains it, or whose predicate is phrased with it
      // ("Who is employed by Acme?" finds "… works at Acme").
      const matched = words.filter(
        (word) =>
          haystack.includes(` ${word} `) ||
          PREDICATES_BY_WORD.get(word)?.has(fact.predicate) === true,
      ).length;
      const score = (matched / words.length) * (fact.invalidAt === null ? 1 : 0.5);
      if (score === 0) continue;
      scored.push({
        id: fact.id,
        text,
        subject: { id: fact.subjectId, name: fact.subjectName },
        predicate: fact.predicate,
        object: { id: fact.objectId, name: fact.objectName },
        validAt: fact.validAt,
        invalidAt: fact.invalidAt,
        score,
      });
    }
    return scored.sort((a, b) => b.score - a.score || b.validAt - a.validAt).slice(0, k);
  }

  return {
    ...writer,
    removeDocument,
    searchEntities,
    getEntity,
    entityMentions,
    documentEntities,
    neighborhood,
    searchFacts,
    countDocument: store.countDocument.bind(store),
  };
}

export type GraphService = ReturnType<typeof createGraphService>;
