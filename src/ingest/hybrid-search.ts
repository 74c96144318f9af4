// Hybrid chunk search: full-text and vector lists from the store, fused by reciprocal rank fusion
// (score = Σ 1 / (60 + rank)), each hit carrying the breakdown that produced its score.
import { AppError, errorMessage } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { ChunkHit, DocumentStore } from '../ports/document-store.js';
import type { Embedder } from '../ports/embedder.js';

export const RRF_K = 60;

export interface SearchChunksInput {
  tenantId: string;
  namespace?: string | undefined;
  query: string;
  /** Skips embedding the query when the caller already has its vector (same embedder). */
  queryVector?: Float32Array | undefined;
  k: number;
  /** Cancels the query's embedding (the request's deadline, or the client going away). */
  signal?: AbortSignal | undefined;
  filters?:
    { metadata?: Record<string, string | number | boolean>; documentIds?: string[] } | undefined;
}

export interface ChunkSearchHit {
  chunkId: string;
  documentId: string;
  documentTitle: string | null;
  namespace: string;
  ordinal: number;
  text: string;
  headingPath: string[];
  /** The page the chunk starts on (PDF); null elsewhere. */
  page: number | null;
  tokenCount: number;
  score: number;
  scores: {
    /** Rank (1-based) and engine score (BM25 in SQLite, ts_rank_cd in PostgreSQL) in the text list. */
    text: { rank: number; score: number } | null;
    /** Rank and cosine similarity in the vector list. */
    vector: { rank: number; similarity: number } | null;
    /** Reciprocal rank fusion of the two ranks: the hit's score. */
    rrf: number;
  };
}

export interface ChunkSearchResult {
  hits: ChunkSearchHit[];
  /** Set when one list could not be searched (e.g. the embedder is down); the other still answers. */
  degraded?: string;
}

export interface DocumentSearch {
  searchChunks(input: SearchChunksInput): Promise<ChunkSearchResult>;
}

export function createDocumentSearch(options: {
  store: DocumentStore;
  embedder: Embedder;
  logger: Logger;
}): DocumentSearch {
  const { store, embedder } = options;

  async function queryVector(input: SearchChunksInput): Promise<Float32Array | undefined> {
    const space = await store.getVectorSpace();
    if (space === undefined) return undefined; // nothing embedded yet
    if (space.embedderId !== embedder.id) {
      throw new AppError(
        'EMBEDDER_MISMATCH',
        `The store's vectors come from embedder ${space.embedderId}, but the configured embedder is ${embedder.id}; ` +
          `searching would compare unrelated vectors. Set ENGRAM_EMBEDDER back or re-ingest into a fresh store.`,
        { details: { stored: space, configured: embedder.id } },
      );
    }
    if (input.queryVector !== undefined) return input.queryVector;
    const [vector] = await embedder.embed(
      [input.query],
      input.signal === undefined ? {} : { signal: input.signal },
    );
    return vector;
  }

  return {
    async searchChunks(input) {
      const candidates = Math.min(200, Math.max(20, input.k * 3));
      const base = {
        tenantId: input.tenantId,
        limit: candidates,
        ...(input.namespace === undefined ? {} : { namespace: input.namespace }),
        ...(input.filters?.metadata === undefined ? {} : { metadata: input.filters.metadata }),
        ...(input.filters?.documentIds === undefined
          ? {}
          : { documentIds: input.filters.documentIds }),
      };
      let degraded: string | undefined;
      const vectorHits = (async (): Promise<ChunkHit[]> => {
        let vector: Float32Array | undefined;
        try {
          vector = await queryVector(input);
        } catch (error) {
          if (error instanceof AppError && error.code === 'EMBEDDER_MISMATCH') throw error;
          degraded = `vector search skipped: ${errorMessage(error)}`;
          options.logger.warn(
            { err: error },
            'query embedding failed; answering with full-text search only',
          );
          return [];
        }
        return vector === undefined ? [] : store.searchVector({ ...base, vector });
      })();
      const [textList, vectorList] = await Promise.all([
        store.searchText({ ...base, query: input.query }),
        vectorHits,
      ]);
      const hits = fuse(textList, vectorList).slice(0, input.k);
      return degraded === undefined ? { hits } : { hits, degraded };
    },
  };
}

export function fuse(textList: ChunkHit[], vectorList: ChunkHit[]): ChunkSearchHit[] {
  const byChunk = new Map<string, ChunkSearchHit>();
  const entry = (hit: ChunkHit): ChunkSearchHit => {
    let found = byChunk.get(hit.chunk.id);
    if (found === undefined) {
      found = {
        chunkId: hit.chunk.id,
        documentId: hit.chunk.documentId,
        documentTitle: hit.documentTitle,
        namespace: hit.chunk.namespace,
        ordinal: hit.chunk.ordinal,
        text: hit.chunk.text,
        headingPath: hit.chunk.headingPath,
        page: hit.chunk.page,
        tokenCount: hit.chunk.tokenCount,
        score: 0,
        scores: { text: null, vector: null, rrf: 0 },
      };
      byChunk.set(hit.chunk.id, found);
    }
    return found;
  };
  for (const hit of textList) {
    const found = entry(hit);
    found.scores.text = { rank: hit.rank, score: hit.score };
    found.scores.rrf += 1 / (RRF_K + hit.rank);
  }
  for (const hit of vectorList) {
    const found = entry(hit);
    found.scores.vector = { rank: hit.rank, similarity: hit.score };
    found.scores.rrf += 1 / (RRF_K + hit.rank);
  }
  const fused = [...byChunk.values()];
  for (const hit of fused) hit.score = hit.scores.rrf;
  // Ties (same fused score) go to the better vector rank, then document order, so results are stable.
  return fused.sort(
    (a, b) =>
      b.score - a.score ||
      (a.scores.vector?.rank ?? Infinity) - (b.scores.vector?.rank ?? Infinity) ||
      a.documentId.localeCompare(b.documentId) ||
      a.ordinal - b.ordinal,
  );
}
