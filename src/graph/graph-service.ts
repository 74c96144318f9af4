// The knowledge-graph service: turns extracted mentions and relations into resolved entities and
// facts (with validity intervals), removes what a deleted document alone supported, and answers
// the graph queries of the API and the facts wanted by recall.
import { AppError } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import { newId } from '../domain/ids.js';
import type { Logger } from '../domain/logger.js';
import type { Embedder } from '../ports/embedder.js';
import type {
  ChunkText,
  EntityType,
  ExtractedMention,
  ExtractedRelation,
  Extractor,
} from '../ports/extractor.js';
import type {
  EntityDetail,
  EntityRecord,
  GraphStore,
  Neighborhood,
  MentionPosition,
  MentionRecord,
  NewMention,
  NewRelation,
  RelationRecord,
  RemovedGraph,
  ResolutionMethod,
} from '../ports/graph-store.js';
import {
  createEntityResolver,
  resolutionKey,
  type NameVectors,
  type Resolution,
} from './entity-resolver.js';
import { factText } from './fact-text.js';
import { noGraphMetrics, type GraphMetrics } from './graph-metrics.js';
import { sentenceHolding } from './mention-sentence.js';
import { normalizeName } from './names.js';
import { isSingleValued, normalizePredicate, predicatePhrasings } from './predicates.js';

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

export interface ExtractInput {
  tenantId: string;
  documentId: string;
  chunks: ChunkText[];
  signal?: AbortSignal;
}

export interface ExtractResult {
  mentions: number;
  entities: number;
  relations: number;
  /** Older facts this extraction superseded (their invalid_at was set). */
  invalidated: number;
  /** Chunks the extractor read. */
  extractedChunks: number;
  /** Chunks the extractor could not read (logged as a warning with the first cause, counted in metrics). */
  failedChunks: number;
  /** The first left-out chunk's cause, for the document record; null when none failed. */
  failure: string | null;
}

/** What the extractor read in a document's chunks, before anything is resolved or written. */
export interface GraphReading {
  mentions: ExtractedMention[];
  relations: ExtractedRelation[];
  extractedChunks: number;
  failedChunks: number;
  failure: string | null;
}

/** A reading with the name embeddings its write needs, made outside any transaction. */
export type PreparedGraph = GraphReading & { vectors: NameVectors };

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
  const { store, clock, logger } = options;
  const maxEntities = options.maxNeighborhoodEntities ?? 50;
  const entityLimits = {
    mentions: options.maxMentionsPerEntity ?? 50,
    facts: options.maxFactsPerEntity ?? 200,
  };
  const resolver = createEntityResolver({
    clock,
    fuzzyThreshold: options.entityFuzzyThreshold,
    embeddingThreshold: options.entityEmbeddingThreshold,
    ...(options.embedder === undefined ? {} : { embedder: options.embedder }),
  });

  function mentionMethod(resolution: Resolution, surface: string): ResolutionMethod {
    if (surface === resolution.entity.name) return resolution.method === 'new' ? 'new' : 'exact';
    return resolution.method === 'new' || resolution.method === 'exact'
      ? 'normalized'
      : resolution.method;
  }

  /**
   * "Newer wins" among the facts of single-valued predicates, for a batch of new (or revived)
   * facts: current facts that began before a new one end where it begins; a new fact older than
   * one already known is history at once and ends where the next one begins. Facts are settled in
   * order of validity, so facts of one batch supersede each other correctly. Returns how many
   * facts were superseded.
   */
  async function supersede(
    store: GraphStore,
    tenantId: string,
    facts: RelationRecord[],
  ): Promise<number> {
    if (facts.length === 0) return 0;
    const pairKey = (r: { subjectId: string; predicate: string }) =>
      `${r.subjectId}\u0000${r.predicate}`;
    const pairs = new Map(
      facts.map((f) => [pairKey(f), { subjectId: f.subjectId, predicate: f.predicate }]),
    );
    const state = new Map<string, RelationRecord>();
    for (const relation of await store.relationsOf(tenantId, [...pairs.values()]))
      state.set(relation.id, relation);
    for (const fact of facts) state.set(fact.id, fact);
    const changes = new Map<string, { id: string; invalidAt: number; invalidatedBy: string }>();
    const end = (relation: RelationRecord, at: number, by: string) => {
      state.set(relation.id, { ...relation, invalidAt: at, invalidatedBy: by });
      changes.set(relation.id, { id: relation.id, invalidAt: at, invalidatedBy: by });
    };
    for (const newFact of [...facts].sort((a, b) => a.validAt - b.validAt)) {
      const fact = state.get(newFact.id)!;
      const others = [...state.values()].filter(
        (other) =>
          pairKey(other) === pairKey(fact) &&
          other.id !== fact.id &&
          other.objectId !== fact.objectId,
      );
      const next = others
        .filter((other) => other.validAt > fact.validAt)
        .sort((a, b) => a.validAt - b.validAt)[0];
      if (next !== undefined) end(fact, next.validAt, next.id);
      for (const other of others) {
        if (other.invalidAt === null && other.validAt <= fact.validAt)
          end(other, fact.validAt, fact.id);
      }
    }
    await store.invalidateRelations(tenantId, [...changes.values()]);
    return changes.size;
  }

  /**
   * Runs the extractor over a document's chunks: the slow part of extraction, which writes
   * nothing. Relation endpoints are listed as mentions too, even when an extractor forgot them.
   */
  async function read(input: ExtractInput): Promise<GraphReading> {
    const { tenantId, documentId } = input;
    if (input.chunks.length === 0)
      return { mentions: [], relations: [], extractedChunks: 0, failedChunks: 0, failure: null };
    const extraction = await options.extractor.extract(
      input.chunks,
      input.signal === undefined ? {} : { signal: input.signal },
    );
    const failures = extraction.failures ?? [];
    const failedIds = new Set(failures.map((failure) => failure.chunkId));
    const extractedChunks = input.chunks.filter((chunk) => !failedIds.has(chunk.id)).length;
    (options.metrics ?? noGraphMetrics).chunks(options.extractor.id, extractedChunks, failures);
    if (failures.length > 0)
      logger.warn(
        {
          tenantId,
          documentId,
          extractor: options.extractor.id,
          failedChunks: failures.length,
          reason: failures[0]!.reason,
          message: failures[0]!.message,
        },
        'graph extraction left out chunks the extractor could not read',
      );
    const chunkIds = new Set(input.chunks.map((chunk) => chunk.id));
    const mentions: ExtractedMention[] = extraction.mentions.filter((m) => chunkIds.has(m.chunkId));
    const relations = extraction.relations.filter((relation) => chunkIds.has(relation.chunkId));
    for (const relation of relations) {
      mentions.push({
        surface: relation.subject,
        type: relation.subjectType,
        chunkId: relation.chunkId,
      });
      mentions.push({
        surface: relation.object,
        type: relation.objectType,
        chunkId: relation.chunkId,
      });
    }
    return {
      mentions,
      relations,
      extractedChunks,
      failedChunks: failures.length,
      failure: failures[0] === undefined ? null : failures[0].message.slice(0, 1000),
    };
  }

  /** Embeds the names the reading would otherwise create entities for (only with an embedder). */
  async function prepare(
    tenantId: string,
    reading: GraphReading,
    signal?: AbortSignal,
  ): Promise<PreparedGraph> {
    return {
      ...reading,
      vectors: await resolver.embedNames(store, tenantId, reading.mentions, signal),
    };
  }

  /**
   * Writes a prepared reading as `documentId`'s graph support through `target`: resolves its
   * names, saves mentions and facts, and settles which facts supersede which. `target` is a
   * transaction's store when the caller wants the write to land at once with other changes;
   * nothing here waits on anything but the store.
   */
  async function write(
    target: GraphStore,
    tenantId: string,
    documentId: string,
    prepared: PreparedGraph,
  ): Promise<ExtractResult> {
    const resolutions = await resolver.resolveAll(
      target,
      tenantId,
      prepared.mentions,
      prepared.vectors,
    );
    const resolutionOf = (surface: string, type: EntityType): Resolution | undefined => {
      const { typeClass, key } = resolutionKey({ surface, type });
      return resolutions.get(`${typeClass}:${key}`);
    };
    const now = clock.now();
    const seen = new Set<string>();
    const rows: NewMention[] = [];
    for (const mention of prepared.mentions) {
      const resolution = resolutionOf(mention.surface, mention.type);
      if (resolution === undefined) continue;
      const id = `${mention.chunkId}\u0000${resolution.entity.id}\u0000${mention.surface}`;
      if (seen.has(id)) continue;
      seen.add(id);
      rows.push({
        entityId: resolution.entity.id,
        documentId,
        chunkId: mention.chunkId,
        surface: mention.surface,
        type: mention.type,
        method: mentionMethod(resolution, mention.surface),
        score: resolution.score,
        createdAt: now,
        aliasKey: resolution.key,
      });
    }
    await target.saveMentions(tenantId, rows);

    const batch: (NewRelation & { statedValidAt: number | undefined })[] = [];
    for (const extracted of prepared.relations) {
      const { key: predicate, inverse } = normalizePredicate(extracted.predicate);
      const first = resolutionOf(extracted.subject, extracted.subjectType);
      const second = resolutionOf(extracted.object, extracted.objectType);
      const [subject, object] = inverse ? [second, first] : [first, second];
      if (
        subject === undefined ||
        object === undefined ||
        predicate === '' ||
        subject.entity.id === object.entity.id
      )
        continue;
      batch.push({
        id: newId('rel', now),
        subjectId: subject.entity.id,
        predicate,
        objectId: object.entity.id,
        validAt: extracted.validAt ?? now,
        createdAt: now,
        source: {
          documentId,
          chunkId: extracted.chunkId,
          sentence: extracted.sentence.slice(0, 2000),
        },
        statedValidAt: extracted.validAt,
      });
    }
    const upserted = await target.upsertRelations(
      tenantId,
      batch.map(({ statedValidAt: _stated, ...relation }) => relation),
    );
    const news: RelationRecord[] = [];
    for (const [index, { relation, created }] of upserted.entries()) {
      const stated = batch[index]!.statedValidAt;
      let fact = relation;
      // Asserted again after being superseded, with a date after the supersession: current again.
      if (
        !created &&
        relation.invalidAt !== null &&
        stated !== undefined &&
        stated > relation.invalidAt
      ) {
        await target.reviveRelation(tenantId, relation.id, stated);
        fact = { ...relation, validAt: stated, invalidAt: null, invalidatedBy: null };
      } else if (!created) {
        continue;
      }
      if (isSingleValued(fact.predicate)) news.push(fact);
    }
    const invalidated = await supersede(target, tenantId, news);
    const relations = new Set(upserted.map((u) => u.relation.id)).size;
    const entities = new Set(rows.map((row) => row.entityId)).size;
    logger.debug(
      { tenantId, documentId, mentions: rows.length, entities, relations, invalidated },
      'graph extracted',
    );
    return {
      mentions: rows.length,
      entities,
      relations,
      invalidated,
      extractedChunks: prepared.extractedChunks,
      failedChunks: prepared.failedChunks,
      failure: prepared.failure,
    };
  }

  /** Reads, prepares and writes in one go, straight to the service's store. */
  async function extract(input: ExtractInput): Promise<ExtractResult> {
    const reading = await read(input);
    const prepared = await prepare(input.tenantId, reading, input.signal);
    return write(store, input.tenantId, input.documentId, prepared);
  }

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
    read,
    prepare,
    write,
    extract,
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
