// SQLite document store: documents and chunks in tables, text search in FTS5 (porter,
// unicode61), vectors in a table keyed by chunks.seq (chunk-vectors.ts) and searched through a
// sign-bit index per tenant (signed-vectors.ts).
import { AppError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { systemClock, type Clock } from '../../domain/clock.js';
import {
  decodeCursor,
  documentNotFound,
  encodeCursor,
  type ChunkInput,
  type DeletedDocument,
  type DocumentRecord,
  type DocumentStatePatch,
  type DocumentStore,
  type ListDocumentsInput,
  type NewDocument,
  type Page,
  type SubmittedDocument,
} from '../../ports/document-store.js';
import { planSubmission } from '../document-versions.js';
import type { SqliteHandle } from './database.js';
import {
  CHUNK_COLUMNS,
  DOCUMENT_COLUMNS,
  toChunk,
  toDocument,
  type ChunkRow,
  type DocumentRow,
} from './document-rows.js';
import { createSqliteDocumentSearch } from './document-search.js';
import type { SqliteSearchThreads } from './search-threads.js';
import { ChunkFtsRows } from './chunk-fts-rows.js';
import { SqliteChunkVectors } from './chunk-vectors.js';
import { statement } from './statement-cache.js';

export interface SqliteDocumentStoreOptions {
  db: SqliteHandle;
  clock?: Clock;
  /** Full-text search in threads of their own (search-threads.ts); without: on this thread. */
  searchThreads?: SqliteSearchThreads | undefined;
}

export function createSqliteDocumentStore(options: SqliteDocumentStoreOptions): DocumentStore {
  const { db } = options;
  const clock = options.clock ?? systemClock;
  const vectors = new SqliteChunkVectors(db, clock);
  const ftsRows = new ChunkFtsRows(db);

  function getDocumentSync(tenantId: string, documentId: string): DocumentRecord | undefined {
    const row = statement(
      db,
      `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE tenant_id = ? AND id = ?`,
    ).get(tenantId, documentId) as DocumentRow | undefined;
    return row === undefined ? undefined : toDocument(row);
  }

  function dropChunkDerivatives(seqs: number[]): number {
    if (seqs.length === 0) return 0;
    ftsRows.drop(seqs);
    return vectors.drop(seqs);
  }

  /** A document's chunks with their index rows and vectors; inside the caller's transaction. */
  function dropChunks(tenantId: string, documentId: string): DeletedDocument {
    const seqs = (
      statement(db, 'SELECT seq FROM chunks WHERE tenant_id = ? AND document_id = ?').all(
        tenantId,
        documentId,
      ) as { seq: number }[]
    ).map((row) => row.seq);
    const removed = dropChunkDerivatives(seqs);
    statement(db, 'DELETE FROM chunks WHERE tenant_id = ? AND document_id = ?').run(
      tenantId,
      documentId,
    );
    return { chunks: seqs.length, vectors: removed };
  }

  function dropRow(tenantId: string, documentId: string): void {
    dropChunks(tenantId, documentId);
    statement(db, 'DELETE FROM documents WHERE tenant_id = ? AND id = ?').run(tenantId, documentId);
  }

  function findTarget(input: NewDocument): DocumentRecord | undefined {
    const select = (where: string, ...params: unknown[]) => {
      const row = statement(
        db,
        `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE tenant_id = ? AND ${where}`,
      ).get(input.tenantId, ...params) as DocumentRow | undefined;
      return row === undefined ? undefined : toDocument(row);
    };
    if (input.documentId !== undefined) {
      const found = select('id = ? AND replaces IS NULL', input.documentId);
      if (found === undefined) throw documentNotFound(input.documentId);
      return found;
    }
    if (input.key != null) return select('namespace = ? AND key = ?', input.namespace, input.key);
    return select(
      'namespace = ? AND content_hash = ? AND key IS NULL AND replaces IS NULL AND version = 1',
      input.namespace,
      input.contentHash,
    );
  }

  function insertRow(
    input: NewDocument,
    identity: { key: string | null; version: number; replaces: string | null },
  ): void {
    statement(
      db,
      `INSERT INTO documents (id, tenant_id, namespace, key, version, replaces, content_hash, title, mime_type,
         metadata, size_bytes, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
    ).run(
      input.id,
      input.tenantId,
      input.namespace,
      identity.key,
      identity.version,
      identity.replaces,
      input.contentHash,
      input.title,
      input.mimeType,
      JSON.stringify(input.metadata),
      Buffer.byteLength(input.content, 'utf8'),
      input.now,
      input.now,
    );
    writeContent(input.id, input.content);
  }

  /** A document's content, written or replaced (its row may have gone missing by hand). */
  function writeContent(documentId: string, content: string): void {
    statement(
      db,
      `INSERT INTO document_contents (document_id, content) VALUES (?, ?)
       ON CONFLICT (document_id) DO UPDATE SET content = excluded.content`,
    ).run(documentId, content);
  }

  const search = createSqliteDocumentSearch({
    db,
    vectors,
    searchThreads: options.searchThreads,
  });

  const store: DocumentStore = {
    async createDocument(input: NewDocument): Promise<SubmittedDocument> {
      const submit = db.transaction((): SubmittedDocument => {
        const target = findTarget(input);
        if (target === undefined) {
          insertRow(input, { key: input.key ?? null, version: 1, replaces: null });
          return {
            document: getDocumentSync(input.tenantId, input.id)!,
            created: true,
            changed: true,
          };
        }
        const plan = planSubmission(target, input);
        if (plan.dropStaged !== undefined) dropRow(input.tenantId, plan.dropStaged);
        if (plan.action === 'replace-first') {
          statement(
            db,
            `UPDATE documents SET content_hash = ?, title = ?, mime_type = ?, metadata = ?, size_bytes = ?,
               version = version + 1, status = 'pending', stage = NULL, attempts = 0, error = NULL, timings = '{}',
               started_at = NULL, completed_at = NULL, updated_at = ? WHERE id = ?`,
          ).run(
            input.contentHash,
            input.title ?? target.title,
            input.mimeType,
            JSON.stringify(plan.metadata),
            Buffer.byteLength(input.content, 'utf8'),
            input.now,
            target.id,
          );
          writeContent(target.id, input.content);
        } else if (plan.action === 'stage') {
          insertRow(
            { ...input, namespace: target.namespace, metadata: plan.metadata },
            { key: null, version: plan.version, replaces: target.id },
          );
        }
        return {
          document: getDocumentSync(input.tenantId, target.id)!,
          created: false,
          changed: plan.action !== 'none',
        };
      });
      return submit.immediate();
    },

    async completeVersion(tenantId, versionId, patch) {
      const complete = db.transaction(() => {
        const staged = getDocumentSync(tenantId, versionId);
        if (staged?.replaces == null) throw documentNotFound(versionId);
        const target = getDocumentSync(tenantId, staged.replaces);
        // Deleting a document takes its staged version along, so this is a race lost to a delete.
        if (target === undefined) throw documentNotFound(staged.replaces);
        dropChunks(tenantId, target.id);
        // The version's chunks keep their seq, so their index rows and vectors follow them.
        statement(
          db,
          'UPDATE chunks SET document_id = ? WHERE tenant_id = ? AND document_id = ?',
        ).run(target.id, tenantId, versionId);
        statement(
          db,
          `UPDATE documents AS d SET (content_hash, title, mime_type, metadata, size_bytes, version, status,
             stage, attempts, error, chunk_count, entity_count, relation_count, extracted_chunks, failed_chunks,
             extraction_failure, timings, started_at, completed_at, updated_at) = (SELECT v.content_hash, coalesce(v.title, d.title), v.mime_type, v.metadata,
               v.size_bytes, v.version, 'completed', NULL, v.attempts, NULL, ?, ?, ?, ?, ?, ?, ?, v.started_at, ?, ?
             FROM documents v WHERE v.id = ?)
           WHERE d.id = ?`,
        ).run(
          patch.chunkCount ?? staged.chunkCount,
          patch.entityCount ?? staged.entityCount,
          patch.relationCount ?? staged.relationCount,
          patch.extractedChunks ?? staged.extractedChunks,
          patch.failedChunks ?? staged.failedChunks,
          patch.extractionFailure !== undefined
            ? patch.extractionFailure
            : staged.extractionFailure,
          JSON.stringify(patch.timings ?? staged.timings),
          patch.completedAt ?? patch.now,
          patch.now,
          versionId,
          target.id,
        );
        // An upsert, so the target's content is written even if its row went missing; a version
        // without content (a store changed by hand) fails here, the transaction rolled back.
        const copied = statement(
          db,
          `INSERT INTO document_contents (document_id, content)
           SELECT ?, content FROM document_contents WHERE document_id = ?
           ON CONFLICT (document_id) DO UPDATE SET content = excluded.content`,
        ).run(target.id, versionId);
        if (copied.changes === 0)
          throw new AppError('INTERNAL', `Document version ${versionId} has no content.`);
        statement(db, 'DELETE FROM documents WHERE id = ?').run(versionId);
        return getDocumentSync(tenantId, target.id)!;
      });
      return complete.immediate();
    },

    async getDocument(tenantId, documentId) {
      return getDocumentSync(tenantId, documentId);
    },

    async getDocumentContent(tenantId, documentId) {
      const row = statement(
        db,
        `SELECT c.content FROM documents d JOIN document_contents c ON c.document_id = d.id
         WHERE d.tenant_id = ? AND d.id = ?`,
      ).get(tenantId, documentId) as { content: string } | undefined;
      return row?.content;
    },

    async listDocuments(input: ListDocumentsInput): Promise<Page<DocumentRecord>> {
      const parts = ['tenant_id = ?', 'replaces IS NULL'];
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
      const rows = statement(
        db,
        `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE ${parts.join(' AND ')} ORDER BY id DESC LIMIT ?`,
      ).all(...params, input.limit + 1) as DocumentRow[];
      const items = rows.slice(0, input.limit).map(toDocument);
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > input.limit && last !== undefined ? encodeCursor(last.id) : null,
      };
    },

    async countDocumentsByStatus(tenantId) {
      const counts = { pending: 0, processing: 0, completed: 0, failed: 0 };
      const rows = statement(
        db,
        `SELECT status, count(*) AS n FROM documents WHERE tenant_id = ? AND replaces IS NULL GROUP BY status`,
      ).all(tenantId) as { status: keyof typeof counts; n: number }[];
      for (const row of rows) counts[row.status] = row.n;
      return counts;
    },

    async listStalled(input) {
      // Through documents_unfinished (migration 108), whose condition this repeats word for word.
      const rows = statement(
        db,
        `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE status IN ('pending', 'processing') AND updated_at < ?
           ORDER BY updated_at LIMIT ?`,
      ).all(input.updatedBefore, input.limit) as DocumentRow[];
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
      if (patch.extractedChunks !== undefined) column('extracted_chunks', patch.extractedChunks);
      if (patch.failedChunks !== undefined) column('failed_chunks', patch.failedChunks);
      if (patch.extractionFailure !== undefined)
        column('extraction_failure', patch.extractionFailure);
      if (patch.title !== undefined) column('title', patch.title);
      if (patch.timings !== undefined) column('timings', JSON.stringify(patch.timings));
      if (patch.startedAt !== undefined) column('started_at', patch.startedAt);
      if (patch.completedAt !== undefined) column('completed_at', patch.completedAt);
      const result = statement(
        db,
        `UPDATE documents SET ${sets.join(', ')} WHERE tenant_id = ? AND id = ?`,
      ).run(...params, tenantId, documentId);
      if (result.changes === 0) throw documentNotFound(documentId);
      return getDocumentSync(tenantId, documentId)!;
    },

    async deleteDocument(tenantId, documentId): Promise<DeletedDocument | false> {
      const remove = db.transaction(() => {
        const staged = statement(
          db,
          'SELECT id FROM documents WHERE tenant_id = ? AND replaces = ?',
        ).get(tenantId, documentId) as { id: string } | undefined;
        if (staged !== undefined) dropRow(tenantId, staged.id);
        const removed = dropChunks(tenantId, documentId);
        const deleted = statement(db, 'DELETE FROM documents WHERE tenant_id = ? AND id = ?').run(
          tenantId,
          documentId,
        );
        return deleted.changes === 0 ? (false as const) : removed;
      });
      return remove.immediate();
    },

    async replaceChunks(tenantId, documentId, chunks: ChunkInput[]) {
      const replace = db.transaction(() => {
        const document = statement(
          db,
          'SELECT namespace FROM documents WHERE tenant_id = ? AND id = ?',
        ).get(tenantId, documentId) as { namespace: string } | undefined;
        if (document === undefined) throw documentNotFound(documentId);
        const existing = new Map<number, { seq: number; content_hash: string }>();
        for (const row of statement(
          db,
          'SELECT seq, ordinal, content_hash FROM chunks WHERE tenant_id = ? AND document_id = ?',
        ).all(tenantId, documentId) as { seq: number; ordinal: number; content_hash: string }[]) {
          existing.set(row.ordinal, row);
        }
        const insert = statement(
          db,
          `INSERT INTO chunks (id, tenant_id, namespace, document_id, ordinal, text, heading_path, token_count,
             start_offset, end_offset, page, content_hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        const update = statement(
          db,
          `UPDATE chunks SET text = ?, heading_path = ?, token_count = ?, start_offset = ?, end_offset = ?,
             page = ?, content_hash = ?, has_vector = 0, indexed = 0 WHERE seq = ?`,
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
              chunk.page,
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
              chunk.page,
              chunk.contentHash,
              old.seq,
            );
          }
        }
        const stale = [...existing.entries()]
          .filter(([ordinal]) => ordinal >= chunks.length)
          .map(([, row]) => row.seq);
        dropChunkDerivatives([...changed, ...stale]);
        const deleteChunk = statement(db, 'DELETE FROM chunks WHERE seq = ?');
        for (const seq of stale) deleteChunk.run(seq);
      });
      replace.immediate();
    },

    async listChunks(tenantId, documentId) {
      const rows = statement(
        db,
        `SELECT ${CHUNK_COLUMNS} FROM chunks c WHERE c.tenant_id = ? AND c.document_id = ? ORDER BY c.ordinal`,
      ).all(tenantId, documentId) as ChunkRow[];
      return rows.map(toChunk);
    },

    async getVectorSpace() {
      return vectors.space();
    },

    async bindVectorSpace(space) {
      vectors.bindSpace(space);
    },

    async upsertVectors(tenantId, written) {
      vectors.upsert(tenantId, written);
    },

    async indexDocument(tenantId, documentId) {
      const index = db.transaction(() => {
        const rows = statement(
          db,
          'SELECT seq, text, heading_path FROM chunks WHERE tenant_id = ? AND document_id = ? AND indexed = 0',
        ).all(tenantId, documentId) as { seq: number; text: string; heading_path: string }[];
        ftsRows.put(
          rows.map((row) => ({
            seq: row.seq,
            text: row.text,
            headings: (JSON.parse(row.heading_path) as string[]).join(' / '),
          })),
        );
        const mark = statement(db, 'UPDATE chunks SET indexed = 1 WHERE seq = ?');
        for (const row of rows) mark.run(row.seq);
      });
      index.immediate();
    },

    searchText: search.searchText,
    searchVector: search.searchVector,

    async countChunks(tenantId) {
      const row = statement(
        db,
        `SELECT count(*) AS chunks, coalesce(sum(has_vector), 0) AS vectors, coalesce(sum(indexed), 0) AS indexed
           FROM chunks WHERE tenant_id = ?`,
      ).get(tenantId) as { chunks: number; vectors: number; indexed: number };
      return row;
    },

    async close() {
      // The database handle and the search threads belong to whoever opened them.
    },
  };
  return store;
}
