// SQLite document store, rows: document and chunk row shapes, column lists and record mappers.
import type { ChunkRecord, DocumentRecord, NextVersion } from '../../ports/document-store.js';

export interface DocumentRow {
  id: string;
  tenant_id: string;
  namespace: string;
  key: string | null;
  version: number;
  replaces: string | null;
  /** JSON of the staged next version (see NEXT_VERSION), or null. */
  next_version: string | null;
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
  extracted_chunks: number;
  failed_chunks: number;
  extraction_failure: string | null;
  timings: string;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  completed_at: number | null;
}

export interface ChunkRow {
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
  page: number | null;
  content_hash: string;
  has_vector: number;
}

/** The staged next version of the row in `documents`, as JSON (correlated; the outer table unaliased). */
const NEXT_VERSION = `(SELECT json_object('id', n.id, 'version', n.version, 'contentHash', n.content_hash, 'status', n.status, 'stage', n.stage,
  'attempts', n.attempts, 'error', n.error, 'createdAt', n.created_at, 'updatedAt', n.updated_at)
  FROM documents n WHERE n.replaces = documents.id) AS next_version`;

export const DOCUMENT_COLUMNS = `id, tenant_id, namespace, key, version, replaces, content_hash, title, mime_type, metadata,
  size_bytes, status, stage, attempts, error, chunk_count, entity_count, relation_count, extracted_chunks, failed_chunks,
  extraction_failure, timings, created_at, updated_at,
  started_at, completed_at, ${NEXT_VERSION}`;
export const CHUNK_COLUMNS = `c.seq, c.id, c.tenant_id, c.namespace, c.document_id, c.ordinal, c.text, c.heading_path,
  c.token_count, c.start_offset, c.end_offset, c.page, c.content_hash, c.has_vector`;

export function toDocument(row: DocumentRow): DocumentRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    namespace: row.namespace,
    key: row.key,
    version: row.version,
    replaces: row.replaces,
    nextVersion: row.next_version === null ? null : (JSON.parse(row.next_version) as NextVersion),
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
    extractedChunks: row.extracted_chunks,
    failedChunks: row.failed_chunks,
    extractionFailure: row.extraction_failure,
    timings: JSON.parse(row.timings) as DocumentRecord['timings'],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
  };
}

export function toChunk(row: ChunkRow): ChunkRecord {
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
    page: row.page,
    contentHash: row.content_hash,
    hasVector: row.has_vector === 1,
  };
}
