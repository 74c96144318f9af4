// SQLite document store: documents and chunks in tables, text search in FTS5 (porter,
// unicode61), vectors in a sqlite-vec vec0 table partitioned by tenant and keyed by chunks.seq.
import { AppError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { systemClock, type Clock } from '../../domain/clock.js';
import {
  METADATA_KEY,
  decodeCursor,
  documentNotFound,
  embedderMismatch,
  encodeCursor,
  searchTerms,
  type ChunkHit,
  type ChunkInput,
  type ChunkRecord,
  type ChunkSearchInput,
  type ChunkVector,
  type DeletedDocument,
  type DocumentRecord,
  type DocumentStatePatch,
  type DocumentStore,
  type ListDocumentsInput,
  type NewDocument,
  type Page,
  type VectorSpace,
} from '../../ports/document-store.js';
import type { SqliteHandle } from './database.js';

interface DocumentRow {
  id: string;
  tenant_id: string;
  namespace: string;
  content_hash: string;
  title: string | null;
  mime_type: string;
  metadata: string;
  size_bytes: number;
  status: string;
  stage: string | null;
  attempts: number;
  error: string | null;
  chunk_count: number;
  entity_count: number;
  relation_count: number;
  timings: string;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  completed_at: number | null;
}

interface ChunkRow {
  seq: number;
  id: string;
  tenant_id: string;
  namespace: string;
  document_id: string;
  ordinal: number;
  text: string;
  heading_path: string;
  token_count: number;
  start_offset: number;
  end_offset: number;
  content_hash: string;
  has_vector: number;
}

const DOCUMENT_COLUMNS = `id, tenant_id, namespace, content_hash, title, mime_type, metadata, size_bytes, status,
  stage, attempts, error, chunk_count, entity_count, relation_count, timings, created_at, updated_at, started_at,
  completed_at`;
const CHUNK_COLUMNS = `c.seq, c.id, c.tenant_id, c.namespace, c.document_id, c.ordinal, c.text, c.heading_path,
  c.token_count, c.start_offset, c.end_offset, c.content_hash, c.has_vector`;
/** vec0 returns at most this many neighbours per query. */
const VEC_MAX_K = 4096;

export interface SqliteDocumentStoreOptions {
  db: SqliteHandle;
  clock?: Clock;
}

export function createSqliteDocumentStore(options: SqliteDocumentStoreOptions): DocumentStore {
  const { db } = options;
  const clock = options.clock ?? systemClock;
  let vectorTableReady = false;

  function hasVectorTable(): boolean {
    if (vectorTableReady) return true;
    const row = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'chunk_vectors'`).get();
    vectorTableReady = row !== undefined;
    return vectorTableReady;
  }

  function readSpace(): VectorSpace | undefined {
    const row = db.prepare('SELECT embedder_id, dimension FROM vector_space WHERE id = 1').get() as
      { embedder_id: string; dimension: number } | undefined;
    return row === undefined
      ? undefined
      : { embedderId: row.embedder_id, dimension: row.dimension };
  }

  function getDocumentSync(tenantId: string, documentId: string): DocumentRecord | undefined {
    const row = db
      .prepare(`SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE tenant_id = ? AND id = ?`)
      .get(tenantId, documentId) as DocumentRow | undefined;
    return row === undefined ? undefined : toDocument(row);
  }

  function dropChunkDerivatives(seqs: number[]): number {
    if (seqs.length === 0) return 0;
    const deleteFts = db.prepare('DELETE FROM chunks_fts WHERE rowid = ?');
    const deleteVector = hasVectorTable()
      ? db.prepare('DELETE FROM chunk_vectors WHERE rowid = ?')
      : undefined;
    let vectors = 0;
    for (const seq of seqs) {
      deleteFts.run(seq);
      if (deleteVector !== undefined) vectors += deleteVector.run(BigInt(seq)).changes;
    }
    return vectors;
  }

  /** WHERE fragments shared by both searches, over chunks c joined with documents d. */
  function filters(input: ChunkSearchInput): { sql: string; params: unknown[] } {
    const parts = [`c.tenant_id = ?`, `d.status = 'completed'`];
    const params: unknown[] = [input.tenantId];
    if (input.namespace !== undefined) {
      parts.push('c.namespace = ?');
      params.push(input.namespace);
    }
    if (input.documentIds !== undefined) {
      parts.push(`c.document_id IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(input.documentIds));
    }
    for (const [key, value] of Object.entries(input.metadata ?? {})) {
      if (!METADATA_KEY.test(key))
        throw new AppError('VALIDATION_FAILED', `Metadata filter key "${key}" is not allowed.`);
      parts.push(`json_extract(d.metadata, '$.${key}') = ?`);
      params.push(typeof value === 'boolean' ? (value ? 1 : 0) : value);
    }
    return { sql: parts.join(' AND '), params };
  }

  /**
   * FTS5 ranks every row that matches any term, so one term found in most chunks makes a query
   * cost a scan of the index. Like BM25's own IDF would, such terms barely move the ranking of
   * chunks holding the rarer terms; they are dropped from the query when rarer terms are left.
   * Frequencies come from the fts5vocab table by stem; the stems from a per-connection temp FTS5
   * table with the same tokenizer, so they match what the index holds.
   */
  let totalRows = { count: 0, at: -Infinity };
  let stemmerReady = false;
  function stems(words: string[]): Map<string, string> {
    if (!stemmerReady) {
      db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.ingest_query_words USING fts5 (w, tokenize = 'porter unicode61');
        CREATE VIRTUAL TABLE IF NOT EXISTS temp.ingest_query_words_vocab USING fts5vocab (temp, ingest_query_words, 'instance');`);
      stemmerReady = true;
    }
    const byRow = new Map<number, string>();
    db.transaction(() => {
      db.prepare('DELETE FROM temp.ingest_query_words').run();
      const insert = db.prepare('INSERT INTO temp.ingest_query_words (rowid, w) VALUES (?, ?)');
      words.forEach((word, i) => insert.run(i + 1, word));
      for (const row of db.prepare('SELECT term, doc FROM temp.ingest_query_words_vocab').all() as {
        term: string;
        doc: number;
      }[]) {
        byRow.set(row.doc, row.term);
      }
    })();
    return new Map(words.map((word, i) => [word, byRow.get(i + 1) ?? word]));
  }

  function selectiveTerms(terms: string[]): string[] {
    if (terms.length < 2) return terms;
    const now = clock.now();
    if (now - totalRows.at > 60_000) {
      const row = db.prepare('SELECT count(*) AS n FROM chunks WHERE indexed = 1').get() as {
        n: number;
      };
      totalRows = { count: row.n, at: now };
    }
    if (totalRows.count < 5_000) return terms; // small stores: ranking everything is cheap
    const threshold = totalRows.count * 0.1;
    const frequency = db.prepare('SELECT doc FROM chunks_fts_vocab WHERE term = ?');
    const stemOf = stems(terms);
    const common = terms.filter((term) => {
      const row = frequency.get(stemOf.get(term)) as { doc: number } | undefined;
      return (row?.doc ?? 0) > threshold;
    });
    return common.length === terms.length ? terms : terms.filter((term) => !common.includes(term));
  }

  const store: DocumentStore = {
    async createDocument(input: NewDocument) {
      const insert = db.transaction(() => {
        const existing = db
          .prepare(
            `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE tenant_id = ? AND namespace = ? AND content_hash = ?`,
          )
          .get(input.tenantId, input.namespace, input.contentHash) as DocumentRow | undefined;
        if (existing !== undefined) return { document: toDocument(existing), created: false };
        db.prepare(
          `INSERT INTO documents (id, tenant_id, namespace, content_hash, title, mime_type, metadata, content,
             size_bytes, status, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        ).run(
          input.id,
          input.tenantId,
          input.namespace,
          input.contentHash,
          input.title,
          input.mimeType,
          JSON.stringify(input.metadata),
          input.content,
          Buffer.byteLength(input.content, 'utf8'),
          input.now,
          input.now,
        );
        return { document: getDocumentSync(input.tenantId, input.id)!, created: true };
      });
      return insert.immediate();
    },

    async getDocument(tenantId, documentId) {
      return getDocumentSync(tenantId, documentId);
    },

    async getDocumentContent(tenantId, documentId) {
      const row = db
        .prepare('SELECT content FROM documents WHERE tenant_id = ? AND id = ?')
        .get(tenantId, documentId) as { content: string } | undefined;
      return row?.content;
    },

    async listDocuments(input: ListDocumentsInput): Promise<Page<DocumentRecord>> {
      const parts = ['tenant_id = ?'];
      const params: unknown[] = [input.tenantId];
      if (input.namespace !== undefined) {
        parts.push('namespace = ?');
        params.push(input.namespace);
      }
      if (input.status !== undefined) {
        parts.push('status = ?');
        params.push(input.status);
      }
      if (input.cursor !== undefined) {
        parts.push('id < ?');
        params.push(decodeCursor(input.cursor));
      }
      const rows = db
        .prepare(
          `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE ${parts.join(' AND ')} ORDER BY id DESC LIMIT ?`,
        )
        .all(...params, input.limit + 1) as DocumentRow[];
      const items = rows.slice(0, input.limit).map(toDocument);
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > input.limit && last !== undefined ? encodeCursor(last.id) : null,
      };
    },

    async listStalled(input) {
      const rows = db
        .prepare(
          `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE status IN ('pending', 'processing') AND updated_at < ?
           ORDER BY updated_at LIMIT ?`,
        )
        .all(input.updatedBefore, input.limit) as DocumentRow[];
      return rows.map(toDocument);
    },

    async updateDocument(tenantId, documentId, patch: DocumentStatePatch) {
      const sets: string[] = ['updated_at = ?'];
      const params: unknown[] = [patch.now];
      const column = (name: string, value: unknown) => {
        sets.push(`${name} = ?`);
        params.push(value);
      };
      if (patch.status !== undefined) column('status', patch.status);
      if (patch.stage !== undefined) column('stage', patch.stage);
      if (patch.attempts !== undefined) column('attempts', patch.attempts);
      if (patch.error !== undefined) column('error', patch.error);
      if (patch.chunkCount !== undefined) column('chunk_count', patch.chunkCount);
      if (patch.entityCount !== undefined) column('entity_count', patch.entityCount);
      if (patch.relationCount !== undefined) column('relation_count', patch.relationCount);
      if (patch.timings !== undefined) column('timings', JSON.stringify(patch.timings));
      if (patch.startedAt !== undefined) column('started_at', patch.startedAt);
      if (patch.completedAt !== undefined) column('completed_at', patch.completedAt);
      const result = db
        .prepare(`UPDATE documents SET ${sets.join(', ')} WHERE tenant_id = ? AND id = ?`)
        .run(...params, tenantId, documentId);
      if (result.changes === 0) throw documentNotFound(documentId);
      return getDocumentSync(tenantId, documentId)!;
    },

    async deleteDocument(tenantId, documentId): Promise<DeletedDocument | false> {
      const remove = db.transaction(() => {
        const seqs = (
          db
            .prepare('SELECT seq FROM chunks WHERE tenant_id = ? AND document_id = ?')
            .all(tenantId, documentId) as {
            seq: number;
          }[]
        ).map((row) => row.seq);
        const vectors = dropChunkDerivatives(seqs);
        db.prepare('DELETE FROM chunks WHERE tenant_id = ? AND document_id = ?').run(
          tenantId,
          documentId,
        );
        const deleted = db
          .prepare('DELETE FROM documents WHERE tenant_id = ? AND id = ?')
          .run(tenantId, documentId);
        return deleted.changes === 0 ? (false as const) : { chunks: seqs.length, vectors };
      });
      return remove.immediate();
    },

    async replaceChunks(tenantId, documentId, chunks: ChunkInput[]) {
      const replace = db.transaction(() => {
        const document = db
          .prepare('SELECT namespace FROM documents WHERE tenant_id = ? AND id = ?')
          .get(tenantId, documentId) as { namespace: string } | undefined;
        if (document === undefined) throw documentNotFound(documentId);
        const existing = new Map<number, { seq: number; content_hash: string }>();
        for (const row of db
          .prepare(
            'SELECT seq, ordinal, content_hash FROM chunks WHERE tenant_id = ? AND document_id = ?',
          )
          .all(tenantId, documentId) as { seq: number; ordinal: number; content_hash: string }[]) {
          existing.set(row.ordinal, row);
        }
        const insert = db.prepare(
          `INSERT INTO chunks (id, tenant_id, namespace, document_id, ordinal, text, heading_path, token_count,
             start_offset, end_offset, content_hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        const update = db.prepare(
          `UPDATE chunks SET text = ?, heading_path = ?, token_count = ?, start_offset = ?, end_offset = ?,
             content_hash = ?, has_vector = 0, indexed = 0 WHERE seq = ?`,
        );
        const changed: number[] = [];
        for (const chunk of chunks) {
          const old = existing.get(chunk.ordinal);
          const headings = JSON.stringify(chunk.headingPath);
          if (old === undefined) {
            insert.run(
              newId('chk'),
              tenantId,
              document.namespace,
              documentId,
              chunk.ordinal,
              chunk.text,
              headings,
              chunk.tokenCount,
              chunk.startOffset,
              chunk.endOffset,
              chunk.contentHash,
            );
          } else if (old.content_hash !== chunk.contentHash) {
            changed.push(old.seq);
            update.run(
              chunk.text,
              headings,
              chunk.tokenCount,
              chunk.startOffset,
              chunk.endOffset,
              chunk.contentHash,
              old.seq,
            );
          }
        }
        const stale = [...existing.entries()]
          .filter(([ordinal]) => ordinal >= chunks.length)
          .map(([, row]) => row.seq);
        dropChunkDerivatives([...changed, ...stale]);
        const deleteChunk = db.prepare('DELETE FROM chunks WHERE seq = ?');
        for (const seq of stale) deleteChunk.run(seq);
      });
      replace.immediate();
    },

    async listChunks(tenantId, documentId) {
      const rows = db
        .prepare(
          `SELECT ${CHUNK_COLUMNS} FROM chunks c WHERE c.tenant_id = ? AND c.document_id = ? ORDER BY c.ordinal`,
        )
        .all(tenantId, documentId) as ChunkRow[];
      return rows.map(toChunk);
    },

    async getVectorSpace() {
      return readSpace();
    },

    async bindVectorSpace(space: VectorSpace) {
      if (!Number.isInteger(space.dimension) || space.dimension < 1 || space.dimension > 8192) {
        throw new AppError(
          'INVALID_STATE',
          `Embedder ${space.embedderId} reports dimension ${space.dimension}.`,
        );
      }
      const current = readSpace();
      if (
        current !== undefined &&
        current.embedderId === space.embedderId &&
        current.dimension === space.dimension
      ) {
        return;
      }
      const bind = db.transaction(() => {
        const recorded = readSpace();
        if (recorded?.embedderId === space.embedderId && recorded.dimension === space.dimension)
          return;
        if (recorded !== undefined) {
          const held = db
            .prepare('SELECT count(*) AS n FROM chunks WHERE has_vector = 1')
            .get() as { n: number };
          if (held.n > 0) throw embedderMismatch(recorded, space, held.n);
        }
        db.exec('DROP TABLE IF EXISTS chunk_vectors');
        db.exec(
          `CREATE VIRTUAL TABLE chunk_vectors USING vec0 (tenant_id TEXT PARTITION KEY, namespace TEXT,
             embedding FLOAT[${space.dimension}] distance_metric=cosine)`,
        );
        db.prepare(
          `INSERT INTO vector_space (id, embedder_id, dimension, created_at) VALUES (1, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET embedder_id = excluded.embedder_id, dimension = excluded.dimension,
             created_at = excluded.created_at`,
        ).run(space.embedderId, space.dimension, clock.now());
      });
      bind.immediate();
      vectorTableReady = true;
    },

    async upsertVectors(tenantId, vectors: ChunkVector[]) {
      if (vectors.length === 0) return;
      const space = readSpace();
      if (space === undefined || !hasVectorTable()) {
        throw new AppError(
          'INVALID_STATE',
          'No embedder is bound to this store yet: call bindVectorSpace first.',
        );
      }
      const write = db.transaction(() => {
        const find = db.prepare('SELECT seq, namespace FROM chunks WHERE tenant_id = ? AND id = ?');
        const remove = db.prepare('DELETE FROM chunk_vectors WHERE rowid = ?');
        const insert = db.prepare(
          'INSERT INTO chunk_vectors (rowid, tenant_id, namespace, embedding) VALUES (?, ?, ?, ?)',
        );
        const mark = db.prepare('UPDATE chunks SET has_vector = 1 WHERE seq = ?');
        for (const { chunkId, vector } of vectors) {
          if (vector.length !== space.dimension) {
            throw new AppError(
              'EMBEDDER_MISMATCH',
              `Vector of length ${vector.length} does not fit the store's ${space.embedderId} (dimension ${space.dimension}).`,
            );
          }
          const chunk = find.get(tenantId, chunkId) as
            { seq: number; namespace: string } | undefined;
          if (chunk === undefined) continue; // re-chunked or deleted meanwhile: nothing to attach to
          remove.run(BigInt(chunk.seq));
          insert.run(BigInt(chunk.seq), tenantId, chunk.namespace, vector);
          mark.run(chunk.seq);
        }
      });
      write.immediate();
    },

    async indexDocument(tenantId, documentId) {
      const index = db.transaction(() => {
        const rows = db
          .prepare(
            'SELECT seq, text, heading_path FROM chunks WHERE tenant_id = ? AND document_id = ? AND indexed = 0',
          )
          .all(tenantId, documentId) as { seq: number; text: string; heading_path: string }[];
        const remove = db.prepare('DELETE FROM chunks_fts WHERE rowid = ?');
        const insert = db.prepare(
          'INSERT INTO chunks_fts (rowid, text, headings) VALUES (?, ?, ?)',
        );
        const mark = db.prepare('UPDATE chunks SET indexed = 1 WHERE seq = ?');
        for (const row of rows) {
          remove.run(row.seq);
          insert.run(row.seq, row.text, (JSON.parse(row.heading_path) as string[]).join(' / '));
          mark.run(row.seq);
        }
      });
      index.immediate();
    },

    async searchText(input) {
      const terms = selectiveTerms(searchTerms(input.query));
      if (terms.length === 0 || input.limit <= 0) return [];
      const match = terms.map((term) => `"${term}"`).join(' OR ');
      const where = filters(input);
      // Rank inside FTS5 first and join only the best candidates: joining every match before
      // sorting costs more than the ranking itself. When filters drop too many candidates, the
      // full join answers instead.
      const candidates = Math.max(64, input.limit * 4);
      const select = (source: string) =>
        db
          .prepare(
            `SELECT ${CHUNK_COLUMNS}, d.title AS document_title, -f.score AS score
             FROM ${source} f JOIN chunks c ON c.seq = f.rowid JOIN documents d ON d.id = c.document_id
             WHERE ${where.sql}
             ORDER BY f.score, c.seq LIMIT ?`,
          )
          .all(match, ...where.params, input.limit) as (ChunkRow & {
          document_title: string | null;
          score: number;
        })[];
      // bm25() is lower-is-better; negated so every score in Engram is higher-is-better.
      let rows = select(
        `(SELECT rowid, bm25(chunks_fts) AS score FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY score LIMIT ${candidates})`,
      );
      if (rows.length < input.limit) {
        rows = select(
          `(SELECT rowid, bm25(chunks_fts) AS score FROM chunks_fts WHERE chunks_fts MATCH ?)`,
        );
      }
      return rows.map((row, index): ChunkHit => ({
        chunk: toChunk(row),
        documentTitle: row.document_title,
        rank: index + 1,
        score: row.score,
      }));
    },

    async searchVector(input) {
      const space = readSpace();
      if (space === undefined || !hasVectorTable() || input.limit <= 0) return [];
      if (input.vector.length !== space.dimension) {
        throw new AppError(
          'EMBEDDER_MISMATCH',
          `Query vector of length ${input.vector.length} does not fit the store's ${space.embedderId} (dimension ${space.dimension}).`,
        );
      }
      // vec0 finds neighbours before the status and metadata filters apply: ask for more than
      // needed so pending documents and filtered-out chunks rarely starve the result.
      const k = Math.min(VEC_MAX_K, Math.max(64, input.limit * 4));
      const where = filters(input);
      const namespaceFilter = input.namespace === undefined ? '' : 'AND namespace = ?';
      const knnParams: unknown[] = [input.vector, k, input.tenantId];
      if (input.namespace !== undefined) knnParams.push(input.namespace);
      const rows = db
        .prepare(
          `WITH knn AS (
             SELECT rowid, distance FROM chunk_vectors
             WHERE embedding MATCH ? AND k = ? AND tenant_id = ? ${namespaceFilter}
           )
           SELECT ${CHUNK_COLUMNS}, d.title AS document_title, 1 - knn.distance AS score
           FROM knn JOIN chunks c ON c.seq = knn.rowid JOIN documents d ON d.id = c.document_id
           WHERE ${where.sql}
           ORDER BY knn.distance LIMIT ?`,
        )
        .all(...knnParams, ...where.params, input.limit) as (ChunkRow & {
        document_title: string | null;
        score: number;
      })[];
      return rows.map((row, index): ChunkHit => ({
        chunk: toChunk(row),
        documentTitle: row.document_title,
        rank: index + 1,
        score: row.score,
      }));
    },

    async countChunks(tenantId) {
      const row = db
        .prepare(
          `SELECT count(*) AS chunks, coalesce(sum(has_vector), 0) AS vectors, coalesce(sum(indexed), 0) AS indexed
           FROM chunks WHERE tenant_id = ?`,
        )
        .get(tenantId) as { chunks: number; vectors: number; indexed: number };
      return row;
    },

    async close() {
      // The database handle belongs to whoever opened it.
    },
  };
  return store;
}

function toDocument(row: DocumentRow): DocumentRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    namespace: row.namespace,
    contentHash: row.content_hash,
    title: row.title,
    mimeType: row.mime_type as DocumentRecord['mimeType'],
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    sizeBytes: row.size_bytes,
    status: row.status as DocumentRecord['status'],
    stage: row.stage as DocumentRecord['stage'],
    attempts: row.attempts,
    error: row.error,
    chunkCount: row.chunk_count,
    entityCount: row.entity_count,
    relationCount: row.relation_count,
    timings: JSON.parse(row.timings) as DocumentRecord['timings'],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
  };
}

function toChunk(row: ChunkRow): ChunkRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    namespace: row.namespace,
    documentId: row.document_id,
    ordinal: row.ordinal,
    text: row.text,
    headingPath: JSON.parse(row.heading_path) as string[],
    tokenCount: row.token_count,
    startOffset: row.start_offset,
    endOffset: row.end_offset,
    contentHash: row.content_hash,
    hasVector: row.has_vector === 1,
  };
}
