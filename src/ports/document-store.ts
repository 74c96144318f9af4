// Document store port: documents with a status that tells the truth, their chunks, the chunks'
// vectors, and full-text + vector search over the chunks of completed documents.
// Adapters: SQLite (FTS5; a sign-bit index with exact cosine re-scoring) and PostgreSQL
// (tsvector + pgvector HNSW).
import { AppError } from '../domain/errors.js';

export type DocumentStatus = 'pending' | 'processing' | 'completed' | 'failed';
export type PipelineStage = 'chunk' | 'embed' | 'extract' | 'index';
/** Word's DOCX type, spelled once. */
export const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** The document types Engram reads. */
export const DOCUMENT_MIME_TYPES = [
  'text/plain',
  'text/markdown',
  'text/html',
  'text/csv',
  'application/json',
  'application/pdf',
  DOCX_MIME,
] as const;

export type DocumentMimeType = (typeof DOCUMENT_MIME_TYPES)[number];

/** Types whose stored content is base64 of the file's bytes (sizeBytes counts the base64). */
export const BINARY_MIME_TYPES: ReadonlySet<DocumentMimeType> = new Set<DocumentMimeType>([
  'application/pdf',
  DOCX_MIME,
]);

/** Milliseconds spent in each stage of the last run (and in the whole run, `total`). */
export type StageTimings = Partial<Record<PipelineStage | 'total', number>>;

/** A newer version of a document, processed beside the live one, which keeps answering until it completes. */
export interface NextVersion {
  /** The version's own row: its pipeline job runs under this id. Internal; not shown by the API. */
  id: string;
  version: number;
  contentHash: string;
  status: Exclude<DocumentStatus, 'completed'>;
  stage: PipelineStage | null;
  attempts: number;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface DocumentRecord {
  id: string;
  tenantId: string;
  namespace: string;
  /** The caller's name for the document in its namespace (a URL document's is its URL), or null. */
  key: string | null;
  /** The live version: 1 for the first content, higher after each new content (numbers may skip). */
  version: number;
  /** Only on a staged version's own row: the document it replaces when it completes. */
  replaces: string | null;
  /** A newer version still being processed (or failed), or null. */
  nextVersion: NextVersion | null;
  contentHash: string;
  title: string | null;
  mimeType: DocumentMimeType;
  metadata: Record<string, unknown>;
  sizeBytes: number;
  status: DocumentStatus;
  /** The stage running now (processing), that failed (failed, or pending a retry), or null. */
  stage: PipelineStage | null;
  /** Pipeline runs since the document was submitted or last retried. */
  attempts: number;
  error: string | null;
  chunkCount: number;
  entityCount: number;
  relationCount: number;
  /** Chunks the graph extractor read in the last completed run. */
  extractedChunks: number;
  /** Chunks it left out (e.g. a model reply still invalid after repairs); the document still completes. */
  failedChunks: number;
  /** Why the first left-out chunk failed; null when none did. */
  extractionFailure: string | null;
  timings: StageTimings;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  completedAt: number | null;
}

export interface NewDocument {
  /** The id of the new row (a new document, or a staged version). */
  id: string;
  tenantId: string;
  namespace: string;
  contentHash: string;
  content: string;
  title: string | null;
  mimeType: DocumentMimeType;
  metadata: Record<string, unknown>;
  now: number;
  /** Submit under this caller-chosen name: the same key again is the same document. */
  key?: string | null | undefined;
  /** Submit to this existing document (PUT): a new version unless the content is the same. */
  documentId?: string | undefined;
}

/**
 * What a submission did. `created`: a new document. `changed`: new content was taken (a new
 * document, a first version replaced before it completed, or a new version staged). Neither: the
 * content is the document's (or its next version's) already.
 */
export interface SubmittedDocument {
  document: DocumentRecord;
  created: boolean;
  changed: boolean;
}

/** Fields the pipeline moves; anything left out keeps its value. */
export interface DocumentStatePatch {
  status?: DocumentStatus;
  stage?: PipelineStage | null;
  attempts?: number;
  error?: string | null;
  chunkCount?: number;
  entityCount?: number;
  relationCount?: number;
  extractedChunks?: number;
  failedChunks?: number;
  extractionFailure?: string | null;
  /** The title the document itself names (HTML <title>, front matter), when none was sent. */
  title?: string;
  timings?: StageTimings;
  startedAt?: number | null;
  completedAt?: number | null;
  now: number;
}

export interface ChunkInput {
  ordinal: number;
  text: string;
  headingPath: string[];
  tokenCount: number;
  /** Offsets (UTF-16 code units) into the document's chunkable text. */
  startOffset: number;
  endOffset: number;
  /** 1-based page the chunk starts on, for paged formats (PDF); null elsewhere. */
  page: number | null;
  contentHash: string;
}

export interface ChunkRecord extends ChunkInput {
  id: string;
  tenantId: string;
  namespace: string;
  documentId: string;
  hasVector: boolean;
}

export interface ChunkVector {
  chunkId: string;
  vector: Float32Array;
}

/** The embedding model whose vectors the store holds. */
export interface VectorSpace {
  embedderId: string;
  dimension: number;
}

export interface ListDocumentsInput {
  tenantId: string;
  namespace?: string;
  status?: DocumentStatus;
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor?: string;
  limit: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ChunkSearchInput {
  tenantId: string;
  namespace?: string;
  limit: number;
  /** Only chunks of documents whose metadata has these exact top-level values. */
  metadata?: Record<string, string | number | boolean>;
  documentIds?: string[];
}

export interface ChunkHit {
  chunk: ChunkRecord;
  documentTitle: string | null;
  /** 1-based rank in this list. */
  rank: number;
  /** Full text: the engine's relevance (higher is better). Vector: cosine similarity. */
  score: number;
}

export interface DeletedDocument {
  chunks: number;
  vectors: number;
}

export interface DocumentStore {
  /**
   * Stores content under its document, found by `documentId`, else by `key` in the namespace, else
   * (no key) by content hash among keyless documents still at their first content:
   * - no such document: a new one, version 1;
   * - the same content as the live version or the next one: nothing changes;
   * - new content while no version has completed: it replaces the first version in place (refused
   *   with CONFLICT while that version is processing);
   * - new content beside a completed version: a staged next version (replacing any earlier staged
   *   one), which `completeVersion` swaps in. A keyless submission never versions.
   * Throws DOCUMENT_NOT_FOUND when `documentId` names no document.
   */
  createDocument(input: NewDocument): Promise<SubmittedDocument>;
  /** Any row, a staged version's included (it has `replaces`). */
  getDocument(tenantId: string, documentId: string): Promise<DocumentRecord | undefined>;
  getDocumentContent(tenantId: string, documentId: string): Promise<string | undefined>;
  /** Newest first, staged versions left out; a cursor stays valid while documents are added. */
  listDocuments(input: ListDocumentsInput): Promise<Page<DocumentRecord>>;
  /**
   * Maintenance, across tenants: pending or processing documents not updated since
   * `updatedBefore` (a crash between storing and queueing, or a job that died), oldest first.
   */
  listStalled(input: { updatedBefore: number; limit: number }): Promise<DocumentRecord[]>;
  /** Throws DOCUMENT_NOT_FOUND when the document is gone. */
  updateDocument(
    tenantId: string,
    documentId: string,
    patch: DocumentStatePatch,
  ): Promise<DocumentRecord>;
  /**
   * Swaps a staged version in, in one transaction: the document loses its old chunks, vectors and
   * index rows, takes the version's chunks (ids kept), content, type, title and counts, and becomes
   * `completed` at the version's number; the staged row goes. Throws DOCUMENT_NOT_FOUND when the
   * version or its document is gone (deleted, or replaced by a newer submission).
   */
  completeVersion(
    tenantId: string,
    versionId: string,
    patch: DocumentStatePatch,
  ): Promise<DocumentRecord>;
  /** Removes the document (and a staged version), chunks, vectors and index rows. False when it did not exist. */
  deleteDocument(tenantId: string, documentId: string): Promise<DeletedDocument | false>;

  /**
   * Upserts chunks by (document, ordinal) and removes ordinals past the new list. A chunk whose
   * text changed loses its vector and index row, so later stages redo exactly that chunk.
   */
  replaceChunks(tenantId: string, documentId: string, chunks: ChunkInput[]): Promise<void>;
  listChunks(tenantId: string, documentId: string): Promise<ChunkRecord[]>;

  /** The recorded vector space, if any vector was ever written. */
  getVectorSpace(): Promise<VectorSpace | undefined>;
  /**
   * Records the space on first use. A store holding vectors of another space refuses with
   * EMBEDDER_MISMATCH naming both; an empty store switches to the new space.
   */
  bindVectorSpace(space: VectorSpace): Promise<void>;
  /** Upserts vectors by chunk; the space must be bound. */
  upsertVectors(tenantId: string, vectors: ChunkVector[]): Promise<void>;
  /** Makes the document's chunks findable by full-text search (idempotent). */
  indexDocument(tenantId: string, documentId: string): Promise<void>;

  /** Full-text search over chunks of completed documents. Empty for a query without words. */
  searchText(input: ChunkSearchInput & { query: string }): Promise<ChunkHit[]>;
  /** Nearest chunks of completed documents by cosine similarity. */
  searchVector(input: ChunkSearchInput & { vector: Float32Array }): Promise<ChunkHit[]>;
  /** How many of the tenant's documents are in each status (staged versions not counted). */
  countDocumentsByStatus(tenantId: string): Promise<Record<DocumentStatus, number>>;
  /** Chunks in the store (for counts in tests, benches and health). */
  countChunks(tenantId: string): Promise<{ chunks: number; vectors: number; indexed: number }>;
  close(): Promise<void>;
}

/** Words too common to rank by; dropped from queries unless nothing else is left. */
const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have how i if in into is it its ' +
    'me my no not of on or our she he so than that the their them then there these they this those to too us ' +
    'was we were what when where which who whom why will with would you your'
  ).split(' '),
);

/**
 * The words of a search query, lower-cased, de-duplicated, common words dropped, at most `max`:
 * what both adapters hand their full-text engine (as an OR of terms), so no user syntax reaches
 * FTS5 or tsquery.
 */
export function searchTerms(query: string, max = 32): string[] {
  const seen = new Set<string>();
  for (const match of query.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) seen.add(match[0]);
  const words = [...seen];
  const meaningful = words.filter((word) => !STOPWORDS.has(word));
  return (meaningful.length > 0 ? meaningful : words).slice(0, max);
}

/** Metadata filter keys are plain names, so adapters can place them in JSON paths safely. */
export const METADATA_KEY = /^[A-Za-z0-9_-]{1,64}$/;

// Shared by the adapters, so both backends speak the same cursors and errors.

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[a-z]+_[0-9a-z]+$/.test(id))
    throw new AppError('VALIDATION_FAILED', 'The cursor is not one this server issued.');
  return id;
}

export function documentNotFound(documentId: string): AppError {
  return new AppError(
    'DOCUMENT_NOT_FOUND',
    `Document ${documentId} does not exist (or was deleted).`,
    {
      details: { documentId },
    },
  );
}

export function embedderMismatch(
  recorded: VectorSpace,
  wanted: VectorSpace,
  vectors: number,
): AppError {
  return new AppError(
    'EMBEDDER_MISMATCH',
    `This store holds ${vectors} vectors from embedder ${recorded.embedderId} (dimension ${recorded.dimension}), ` +
      `but the configured embedder is ${wanted.embedderId} (dimension ${wanted.dimension}). Mixing them would ` +
      `make search meaningless: set ENGRAM_EMBEDDER back, or use a fresh data directory / database (or delete ` +
      `every document) before switching.`,
    { details: { stored: recorded, configured: wanted } },
  );
}
