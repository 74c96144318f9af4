// SQLite document store, search: full text (chunk-text-search.ts, in search threads of their own
// when the store is a file) and vectors (sign-bit candidates that can reach the top k scored
// exactly with sqlite-vec's cosine distance, exact-ranking.ts).
import { AppError } from '../../domain/errors.js';
import type { ChunkHit, DocumentStore } from '../../ports/document-store.js';
import { chunkFilters } from './chunk-filters.js';
import type { SqliteChunkVectors } from './chunk-vectors.js';
import { createChunkTextSearch } from './chunk-text-search.js';
import type { SqliteHandle } from './database.js';
import { statement } from './statement-cache.js';
import { CHUNK_COLUMNS, toChunk, type ChunkRow } from './document-rows.js';
import { rankExactly } from './exact-ranking.js';
import { candidateLimit } from './sign-bit-index.js';
import type { SqliteSearchThreads } from './search-threads.js';
import { vectorBlob } from './vector-blob.js';

export interface SqliteDocumentSearchOptions {
  db: SqliteHandle;
  vectors: SqliteChunkVectors;
  /** Full-text search in threads of their own (search-threads.ts); without: on this thread. */
  searchThreads?: SqliteSearchThreads | undefined;
}

/** Text and vector search for one store. */
export function createSqliteDocumentSearch(
  options: SqliteDocumentSearchOptions,
): Pick<DocumentStore, 'searchText' | 'searchVector'> {
  const { db, vectors, searchThreads } = options;
  const searchText = createChunkTextSearch(db);

  return {
    async searchText(input) {
      return searchThreads === undefined
        ? searchText(input)
        : searchThreads.chunks(input, searchText);
    },

    async searchVector(input) {
      const space = vectors.space();
      if (space === undefined || input.limit <= 0) return [];
      if (input.vector.length !== space.dimension) {
        throw new AppError(
          'EMBEDDER_MISMATCH',
          `Query vector of length ${input.vector.length} does not fit the store's ${space.embedderId} (dimension ${space.dimension}).`,
        );
      }
      const index = vectors.indexes.index([input.tenantId], space.dimension);
      const found = index.nearest(
        input.vector,
        { keys: [input.namespace === undefined ? undefined : [input.namespace]] },
        { k: input.limit, limit: candidateLimit(input.limit) },
      );
      const where = chunkFilters(input);
      const blob = vectorBlob(input.vector);
      const rank = (from: string, params: unknown[]) =>
        statement(
          db,
          `SELECT c.seq, 1 - vec_distance_cosine(v.vector, ?) AS score FROM ${from}
           WHERE ${where.sql} ORDER BY score DESC, c.seq LIMIT ?`,
        ).all(blob, ...params, ...where.params, input.limit) as { seq: number; score: number }[];
      const ranked = rankExactly(
        found,
        input.limit,
        // CROSS JOIN fixes the join order: start from the candidates, never scan the tenant.
        (ids) =>
          rank(
            `json_each(?) j CROSS JOIN chunk_vectors v ON v.id = j.value
             CROSS JOIN chunks c ON c.seq = v.seq CROSS JOIN documents d ON d.id = c.document_id`,
            [JSON.stringify(ids)],
          ),
        // Filters the index does not hold (documents, status, metadata) removed too many
        // candidates: score every chunk that passes them, exactly.
        () =>
          rank(
            `chunks c JOIN documents d ON d.id = c.document_id JOIN chunk_vectors v ON v.seq = c.seq`,
            [],
          ),
      );
      const rows = new Map(
        (
          statement(
            db,
            `SELECT ${CHUNK_COLUMNS}, d.title AS document_title FROM json_each(?) j
             CROSS JOIN chunks c ON c.seq = j.value JOIN documents d ON d.id = c.document_id`,
          ).all(JSON.stringify(ranked.map((row) => row.seq))) as (ChunkRow & {
            document_title: string | null;
          })[]
        ).map((row) => [row.seq, row]),
      );
      return ranked.flatMap((hit, index): ChunkHit[] => {
        const row = rows.get(hit.seq);
        return row === undefined
          ? []
          : [
              {
                chunk: toChunk(row),
                documentTitle: row.document_title,
                rank: index + 1,
                score: hit.score,
              },
            ];
      });
    },
  };
}
