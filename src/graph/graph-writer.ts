// The graph's write path, for one document: read its chunks with the extractor (the slow part,
// which writes nothing), prepare (name embeddings, made outside any transaction), then write
// through a given store (a transaction's, during ingestion): resolved entities, mentions, facts,
// and which facts supersede which.
import { newId } from '../domain/ids.js';
import type {
  ChunkText,
  EntityType,
  ExtractedMention,
  ExtractedRelation,
} from '../ports/extractor.js';
import type {
  GraphStore,
  NewMention,
  NewRelation,
  RelationRecord,
  ResolutionMethod,
} from '../ports/graph-store.js';
import {
  createEntityResolver,
  resolutionKey,
  type NameVectors,
  type Resolution,
} from './entity-resolver.js';
import { noGraphMetrics } from './graph-metrics.js';
import type { GraphServiceOptions } from './graph-service.js';
import { isSingleValued, normalizePredicate } from './predicates.js';

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

export type GraphWriterOptions = Pick<
  GraphServiceOptions,
  | 'store'
  | 'extractor'
  | 'clock'
  | 'logger'
  | 'embedder'
  | 'entityFuzzyThreshold'
  | 'entityEmbeddingThreshold'
  | 'metrics'
>;

export function createGraphWriter(options: GraphWriterOptions) {
  const { store, clock, logger } = options;
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

  return { read, prepare, write, extract };
}

/** The write path as ingestion uses it (read, prepare, write). */
export type GraphWriter = ReturnType<typeof createGraphWriter>;
