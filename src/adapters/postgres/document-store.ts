// PostgreSQL document store: documents and chunks in tables, text search on a tsvector column
// (GIN, 'english' config), vectors in a pgvector table with an HNSW (cosine) index
// (chunk-vectors.ts).
import type pg from 'pg';
import { AppError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { systemClock, type Clock } from '../../domain/clock.js';
import { withTransaction, type Queryable } from './transaction.js';
import {
  CHUNK_COLUMNS,
  DOCUMENT_COLUMNS,
  toChunk,
  toDocument,
  type ChunkRow,
  type DocumentRow,
} from './document-rows.js';
import { createPostgresChunkVectors } from './chunk-vectors.js';
import { searchText, searchVector } from './document-search.js';
import { createTermPostings } from './term-postings.js';
import { createValueRows } from './value-rows.js';
import {
  decodeCursor,
  documentNotFound,
  encodeCursor,
  type ChunkInput,
  type DocumentStatePatch,
  type DocumentRecord,
  type DocumentStore,
  type NewDocument,
  type SubmittedDocument,
} from '../../ports/document-store.js';
import { planSubmission } from '../document-versions.js';

export interface PostgresDocumentStoreOptions {
  pool: Queryable;
  clock?: Clock;
}

export function createPostgresDocumentStore(options: PostgresDocumentStoreOptions): DocumentStore {
  const { pool } = options;
  const clock = options.clock ?? systemClock;
  const termPostings = createTermPostings(clock, 'chunks', 'tsv');
  const tenantRows = createValueRows(clock, 'chunk_vectors', 'tenant_id');
  const vectors = createPostgresChunkVectors(pool, clock);

  async function getDocument(client: Queryable, tenantId: string, documentId: string) {
    const result = await client.query<DocumentRow>(
      `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE tenant_id = $1 AND id = $2`,
      [tenantId, documentId],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : toDocument(row);
  }

  async function lockDocument(client: pg.PoolClient, tenantId: string, documentId: string) {
    const result = await client.query<DocumentRow>(
      `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
      [tenantId, documentId],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : toDocument(row);
  }

  /** The document a submission goes to, locked for the rest of the transaction. */
  async function findTarget(
    client: pg.PoolClient,
    input: NewDocument,
  ): Promise<DocumentRecord | undefined> {
    const select = async (where: string, params: unknown[]) => {
      const result = await client.query<DocumentRow>(
        `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE tenant_id = $1 AND ${where} FOR UPDATE`,
        [input.tenantId, ...params],
      );
      const row = result.rows[0];
      return row === undefined ? undefined : toDocument(row);
    };
    if (input.documentId !== undefined) {
      const found = await select('id = $2 AND replaces IS NULL', [input.documentId]);
      if (found === undefined) throw documentNotFound(input.documentId);
      return found;
    }
    if (input.key != null)
      return select('namespace = $2 AND key = $3', [input.namespace, input.key]);
    return select(
      'namespace = $2 AND content_hash = $3 AND key IS NULL AND replaces IS NULL AND version = 1',
      [input.namespace, input.contentHash],
    );
  }

  /** False when a unique index (same key, same keyless content, one staged version) refused it. */
  async function insertRow(
    client: pg.PoolClient,
    input: NewDocument,
    identity: { key: string | null; version: number; replaces: string | null },
  ): Promise<boolean> {
    const inserted = await client.query(
      `INSERT INTO documents (id, tenant_id, namespace, key, version, replaces, content_hash, title, mime_type,
         metadata, content, size_bytes, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $13, $13)
       ON CONFLICT DO NOTHING`,
      [
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
        input.content,
        Buffer.byteLength(input.content, 'utf8'),
        input.now,
      ],
    );
    return inserted.rowCount === 1;
  }

  async function dropRow(client: pg.PoolClient, tenantId: string, documentId: string) {
    await client.query('DELETE FROM documents WHERE tenant_id = $1 AND id = $2', [
      tenantId,
      documentId,
    ]);
  }

  const store: DocumentStore = {
    async createDocument(input) {
      return withTransaction(pool, async (client): Promise<SubmittedDocument> => {
        let target = await findTarget(client, input);
        if (target === undefined) {
          const inserted = await insertRow(client, input, {
            key: input.key ?? null,
            version: 1,
            replaces: null,
          });
          if (inserted) {
            const document = (await getDocument(client, input.tenantId, input.id))!;
            return { document, created: true, changed: true };
          }
          // Another submission stored the same key or content first; it is committed now.
          target = await findTarget(client, input);
          if (target === undefined)
            throw new AppError(
              'CONFLICT',
              'The document was deleted while being stored; try again.',
              {
                retryable: true,
              },
            );
        }
        const plan = planSubmission(target, input);
        if (plan.dropStaged !== undefined) await dropRow(client, input.tenantId, plan.dropStaged);
        if (plan.action === 'replace-first') {
          await client.query(
            `UPDATE documents SET content = $1, content_hash = $2, title = $3, mime_type = $4, metadata = $5,
               size_bytes = $6, version = version + 1, status = 'pending', stage = NULL, attempts = 0, error = NULL,
               timings = '{}', started_at = NULL, completed_at = NULL, updated_at = $7 WHERE id = $8`,
            [
              input.content,
              input.contentHash,
              input.title ?? target.title,
              input.mimeType,
              JSON.stringify(plan.metadata),
              Buffer.byteLength(input.content, 'utf8'),
              input.now,
              target.id,
            ],
          );
        } else if (plan.action === 'stage') {
          await insertRow(
            client,
            { ...input, namespace: target.namespace, metadata: plan.metadata },
            { key: null, version: plan.version, replaces: target.id },
          );
        }
        return {
          document: (await getDocument(client, input.tenantId, target.id))!,
          created: false,
          changed: plan.action !== 'none',
        };
      });
    },

    async completeVersion(tenantId, versionId, patch) {
      return withTransaction(pool, async (client) => {
        const staged = await getDocument(client, tenantId, versionId);
        if (staged?.replaces == null) throw documentNotFound(versionId);
        const target = await lockDocument(client, tenantId, staged.replaces);
        // Deleting a document takes its staged version along, so this is a race lost to a delete.
        if (target === undefined) throw documentNotFound(staged.replaces);
        // Vectors go with their chunks (ON DELETE CASCADE); the version's chunks keep theirs.
        await client.query('DELETE FROM chunks WHERE tenant_id = $1 AND document_id = $2', [
          tenantId,
          target.id,
        ]);
        await client.query(
          'UPDATE chunks SET document_id = $1 WHERE tenant_id = $2 AND document_id = $3',
          [target.id, tenantId, versionId],
        );
        await client.query(
          `UPDATE documents AS d SET (content, content_hash, title, mime_type, metadata, size_bytes, version, status,
             stage, attempts, error, chunk_count, entity_count, relation_count, extracted_chunks, failed_chunks,
             extraction_failure, timings, started_at, completed_at, updated_at) = (SELECT v.content, v.content_hash, coalesce(v.title, d.title), v.mime_type, v.metadata,
               v.size_bytes, v.version, 'completed', NULL, v.attempts, NULL, $1::int, $2::int, $3::int, $4::int,
               $5::int, $6::text, $7::jsonb, v.started_at, $8::bigint, $9::bigint
             FROM documents v WHERE v.id = $10)
           WHERE d.id = $11`,
          [
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
          ],
        );
        await client.query('DELETE FROM documents WHERE id = $1', [versionId]);
        return (await getDocument(client, tenantId, target.id))!;
      });
    },

    async getDocument(tenantId, documentId) {
      return getDocument(pool, tenantId, documentId);
    },

    async getDocumentContent(tenantId, documentId) {
      const result = await pool.query<{ content: string }>(
        'SELECT content FROM documents WHERE tenant_id = $1 AND id = $2',
        [tenantId, documentId],
      );
      return result.rows[0]?.content;
    },

    async listDocuments(input) {
      const params: unknown[] = [input.tenantId];
      const parts = ['tenant_id = $1', 'replaces IS NULL'];
      if (input.namespace !== undefined) parts.push(`namespace = $${params.push(input.namespace)}`);
      if (input.status !== undefined) parts.push(`status = $${params.push(input.status)}`);
      if (input.cursor !== undefined)
        parts.push(`id < $${params.push(decodeCursor(input.cursor))}`);
      const result = await pool.query<DocumentRow>(
        `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE ${parts.join(' AND ')} ORDER BY id DESC LIMIT $${params.push(input.limit + 1)}`,
        params,
      );
      const items = result.rows.slice(0, input.limit).map(toDocument);
      const last = items.at(-1);
      return {
        items,
        nextCursor:
          result.rows.length > input.limit && last !== undefined ? encodeCursor(last.id) : null,
      };
    },

    async countDocumentsByStatus(tenantId) {
      const counts = { pending: 0, processing: 0, completed: 0, failed: 0 };
      const result = await pool.query<{ status: keyof typeof counts; n: string }>(
        `SELECT status, count(*) AS n FROM documents WHERE tenant_id = $1 AND replaces IS NULL GROUP BY status`,
        [tenantId],
      );
      for (const row of result.rows) counts[row.status] = Number(row.n);
      return counts;
    },

    async listStalled(input) {
      // Through documents_unfinished (migration 108), whose condition this repeats word for word.
      const result = await pool.query<DocumentRow>(
        `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE status IN ('pending', 'processing') AND updated_at < $1
         ORDER BY updated_at LIMIT $2`,
        [input.updatedBefore, input.limit],
      );
      return result.rows.map(toDocument);
    },

    async updateDocument(tenantId, documentId, patch: DocumentStatePatch) {
      const params: unknown[] = [patch.now];
      const sets = ['updated_at = $1'];
      const column = (name: string, value: unknown) =>
        sets.push(`${name} = $${params.push(value)}`);
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
      const result = await pool.query<DocumentRow>(
        `UPDATE documents SET ${sets.join(', ')} WHERE tenant_id = $${params.push(tenantId)} AND id = $${params.push(documentId)}
         RETURNING ${DOCUMENT_COLUMNS}`,
        params,
      );
      const row = result.rows[0];
      if (row === undefined) throw documentNotFound(documentId);
      return toDocument(row);
    },

    async deleteDocument(tenantId, documentId) {
      return withTransaction(pool, async (client) => {
        const counts = await client.query<{ chunks: number; vectors: number }>(
          `SELECT count(*)::int AS chunks, count(*) FILTER (WHERE has_vector)::int AS vectors
           FROM chunks WHERE tenant_id = $1 AND document_id = $2`,
          [tenantId, documentId],
        );
        // chunk_vectors rows go with their chunks (ON DELETE CASCADE), chunks with the document,
        // and a staged next version with it.
        const deleted = await client.query(
          'DELETE FROM documents WHERE tenant_id = $1 AND (id = $2 OR replaces = $2)',
          [tenantId, documentId],
        );
        if (deleted.rowCount === 0) return false;
        const row = counts.rows[0] ?? { chunks: 0, vectors: 0 };
        return { chunks: row.chunks, vectors: row.vectors };
      });
    },

    async replaceChunks(tenantId, documentId, chunks: ChunkInput[]) {
      await withTransaction(pool, async (client) => {
        const document = await client.query<{ namespace: string }>(
          'SELECT namespace FROM documents WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
          [tenantId, documentId],
        );
        const namespace = document.rows[0]?.namespace;
        if (namespace === undefined) throw documentNotFound(documentId);
        if (chunks.length > 0) {
          // One statement for the whole list; a changed chunk loses its vector and tsvector.
          const changed = await client.query<{ id: string }>(
            `INSERT INTO chunks (id, tenant_id, namespace, document_id, ordinal, text, heading_path, token_count,
               start_offset, end_offset, page, content_hash)
             SELECT x.id, $1, $2, $3, x.ordinal, x.text, x.heading_path, x.token_count, x.start_offset, x.end_offset,
               x.page, x.content_hash
             FROM jsonb_to_recordset($4::jsonb) AS x (id text, ordinal int, text text, heading_path jsonb,
               token_count int, start_offset int, end_offset int, page int, content_hash text)
             ON CONFLICT (document_id, ordinal) DO UPDATE SET text = excluded.text,
               heading_path = excluded.heading_path, token_count = excluded.token_count,
               start_offset = excluded.start_offset, end_offset = excluded.end_offset, page = excluded.page,
               content_hash = excluded.content_hash, has_vector = false, tsv = NULL
             WHERE chunks.content_hash <> excluded.content_hash
             RETURNING chunks.id`,
            [
              tenantId,
              namespace,
              documentId,
              JSON.stringify(
                chunks.map((chunk) => ({
                  id: newId('chk'),
                  ordinal: chunk.ordinal,
                  text: chunk.text,
                  heading_path: chunk.headingPath,
                  token_count: chunk.tokenCount,
                  start_offset: chunk.startOffset,
                  end_offset: chunk.endOffset,
                  page: chunk.page,
                  content_hash: chunk.contentHash,
                })),
              ),
            ],
          );
          if (changed.rows.length > 0 && (await vectors.hasTable(client))) {
            await client.query('DELETE FROM chunk_vectors WHERE chunk_id = ANY($1::text[])', [
              changed.rows.map((r) => r.id),
            ]);
          }
        }
        await client.query(
          'DELETE FROM chunks WHERE tenant_id = $1 AND document_id = $2 AND ordinal >= $3',
          [tenantId, documentId, chunks.length],
        );
      });
    },

    async listChunks(tenantId, documentId) {
      const result = await pool.query<ChunkRow>(
        `SELECT ${CHUNK_COLUMNS} FROM chunks c WHERE c.tenant_id = $1 AND c.document_id = $2 ORDER BY c.ordinal`,
        [tenantId, documentId],
      );
      return result.rows.map(toChunk);
    },

    async getVectorSpace() {
      return vectors.space();
    },

    async bindVectorSpace(space) {
      await vectors.bindSpace(space);
    },

    async upsertVectors(tenantId, written) {
      await vectors.upsert(tenantId, written);
    },

    async indexDocument(tenantId, documentId) {
      await pool.query(
        `UPDATE chunks SET tsv = setweight(to_tsvector('english', coalesce(
             (SELECT string_agg(h, ' / ') FROM jsonb_array_elements_text(heading_path) AS h), '')), 'B')
           || to_tsvector('english', text)
         WHERE tenant_id = $1 AND document_id = $2 AND tsv IS NULL`,
        [tenantId, documentId],
      );
    },

    async searchText(input) {
      return searchText(pool, termPostings, input);
    },

    async searchVector(input) {
      return searchVector({ pool, vectors, tenantRows }, input);
    },

    async countChunks(tenantId) {
      const result = await pool.query<{ chunks: number; vectors: number; indexed: number }>(
        `SELECT count(*)::int AS chunks, count(*) FILTER (WHERE has_vector)::int AS vectors,
           count(*) FILTER (WHERE tsv IS NOT NULL)::int AS indexed
         FROM chunks WHERE tenant_id = $1`,
        [tenantId],
      );
      return result.rows[0] ?? { chunks: 0, vectors: 0, indexed: 0 };
    },

    async close() {
      // The pool belongs to whoever opened it.
    },
  };
  return store;
}
