// The ingestion service: what the HTTP routes, the CLI and the MCP server call. It stores a
// document durably, queues its pipeline job, answers status and lists, retries, deletes (with its
// graph), and searches chunks. Limits are checked here so every entry point enforces them.
import type { Clock } from '../domain/clock.js';
import { AppError } from '../domain/errors.js';
import { sha256Hex } from '../domain/hashing.js';
import { newId } from '../domain/ids.js';
import type { Logger } from '../domain/logger.js';
import type {
  DeletedDocument,
  DocumentMimeType,
  DocumentRecord,
  DocumentStatus,
  DocumentStore,
  Page,
} from '../ports/document-store.js';
import type { JobQueue } from '../ports/job-queue.js';
import { sniffContent, sniffText, type SniffedContent } from './formats/sniff.js';
import type { ChunkSearchResult, DocumentSearch, SearchChunksInput } from './hybrid-search.js';
import type { UrlFetcher } from './url-fetch.js';
import { INGEST_QUEUE, type IngestJobPayload } from './pipeline.js';

export const DEFAULT_NAMESPACE = 'default';
/** Retry-After advised when a stored document's job could not be queued. */
const ENQUEUE_RETRY_AFTER_SECONDS = 5;

/** The ingest job key of a document: at most one live job per document. */
export function ingestJobKey(document: Pick<DocumentRecord, 'tenantId' | 'id'>): string {
  return `${document.tenantId}:${document.id}`;
}

export interface IngestLimits {
  maxDocumentBytes: number;
  maxDocumentsPerRequest: number;
  maxQueryChars: number;
  maxSearchK: number;
}

export interface SubmitDocument {
  /** Text content; or `bytes` for any format (PDF and DOCX must come as bytes). */
  content?: string | undefined;
  bytes?: Uint8Array | undefined;
  /** A page or file to fetch (SSRF-guarded); its content is then handled like `bytes`. */
  url?: string | undefined;
  title?: string | undefined;
  /** A hint for text: binary formats are recognised from their bytes, whatever is declared. */
  mimeType?: DocumentMimeType | undefined;
  namespace?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  /**
   * The caller's name for the document in its namespace: the same key with new content is a new
   * version of the same document. A URL document's key is its URL unless one is given.
   */
  key?: string | undefined;
  /** A new version of this existing document (PUT /v1/documents/{id}). */
  documentId?: string | undefined;
}

/** A submission after its checks: the content as stored (base64 for binary) and its type. */
interface PreparedDocument extends SubmitDocument {
  content: string;
  mimeType: DocumentMimeType;
}

export interface SubmitResult {
  document: DocumentRecord;
  /** True: a new document. */
  created: boolean;
  /** False: the content is already the document's (or its next version's); nothing was queued. */
  changed: boolean;
}

export interface IngestServiceOptions {
  store: DocumentStore;
  jobQueue: JobQueue;
  search: DocumentSearch;
  limits: IngestLimits;
  clock: Clock;
  logger: Logger;
  /** Attempts a document's job gets before it is failed for good. */
  maxAttempts: number;
  /** Drops a deleted document's graph support (GraphService.removeDocument). */
  removeGraph?: ((tenantId: string, documentId: string) => Promise<unknown>) | undefined;
  /** Fetches documents given by URL; without it a URL is refused. */
  fetchUrl?: UrlFetcher | undefined;
}

export interface IngestService {
  readonly limits: IngestLimits;
  submit(tenantId: string, input: SubmitDocument): Promise<SubmitResult>;
  submitMany(tenantId: string, inputs: SubmitDocument[]): Promise<SubmitResult[]>;
  get(tenantId: string, documentId: string): Promise<DocumentRecord>;
  /** How many of the tenant's documents are in each status. */
  countByStatus(tenantId: string): Promise<Record<DocumentStatus, number>>;
  list(input: {
    tenantId: string;
    namespace?: string;
    status?: DocumentStatus;
    cursor?: string;
    limit: number;
  }): Promise<Page<DocumentRecord>>;
  listChunks: DocumentStore['listChunks'];
  retry(tenantId: string, documentId: string): Promise<DocumentRecord>;
  delete(tenantId: string, documentId: string): Promise<DeletedDocument>;
  searchChunks(input: SearchChunksInput): Promise<ChunkSearchResult>;
  /** Queues documents left pending (a crash between store and enqueue) or stuck processing. */
  recoverStalled(olderThanMs: number): Promise<number>;
}

export function createIngestService(options: IngestServiceOptions): IngestService {
  const { store, jobQueue, limits, clock } = options;

  async function enqueue(document: Pick<DocumentRecord, 'tenantId' | 'id'>): Promise<void> {
    const payload: IngestJobPayload = { documentId: document.id };
    // The key makes this idempotent: a live job for the document is returned, not duplicated.
    await jobQueue.enqueue({
      tenantId: document.tenantId,
      queue: INGEST_QUEUE,
      key: ingestJobKey(document),
      payload,
      maxAttempts: options.maxAttempts,
    });
  }

  /** Checks limits, decides the type from the content and returns what the store keeps. */
  function prepare(input: SubmitDocument, index?: number): PreparedDocument {
    const where = index === undefined ? 'The document' : `Document ${index}`;
    if ((input.content === undefined) === (input.bytes === undefined)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${where} needs exactly one of "content" (text), "contentBase64" (a file's bytes) or "url".`,
        { details: { index } },
      );
    }
    const bytes = input.bytes?.byteLength ?? Buffer.byteLength(input.content!, 'utf8');
    if (bytes > limits.maxDocumentBytes) {
      throw new AppError(
        'INPUT_TOO_LARGE',
        `${where} has ${bytes} bytes; the limit is ${limits.maxDocumentBytes} bytes (ENGRAM_MAX_DOCUMENT_BYTES). Split it into smaller documents.`,
        { details: { limit: limits.maxDocumentBytes, actual: bytes, index } },
      );
    }
    let sniffed: SniffedContent;
    try {
      sniffed =
        input.bytes === undefined
          ? { mimeType: sniffText(input.content!, input.mimeType), text: input.content! }
          : sniffContent(input.bytes, input.mimeType);
    } catch (error) {
      if (error instanceof AppError) throw withIndex(error, where, index);
      throw error;
    }
    if (sniffed.text !== undefined && sniffed.text.trim() === '') {
      throw new AppError('VALIDATION_FAILED', `${where} is empty: send some text in "content".`, {
        details: { index },
      });
    }
    const content = sniffed.text ?? Buffer.from(input.bytes!).toString('base64');
    return { ...input, content, mimeType: sniffed.mimeType };
  }

  /** Replaces a URL by the bytes it serves; the URL and where it led are kept in metadata. */
  async function fetched(input: SubmitDocument, index?: number): Promise<SubmitDocument> {
    if (input.url === undefined) return input;
    const where = index === undefined ? 'The document' : `Document ${index}`;
    if (input.content !== undefined || input.bytes !== undefined) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${where} needs exactly one of "content" (text), "contentBase64" (a file's bytes) or "url".`,
        { details: { index } },
      );
    }
    if (options.fetchUrl === undefined) {
      throw new AppError('VALIDATION_FAILED', 'This server does not fetch URLs.');
    }
    const page = await options.fetchUrl(input.url);
    return {
      ...input,
      url: undefined,
      bytes: page.bytes,
      title: input.title ?? page.finalUrl,
      metadata: { ...input.metadata, url: input.url, fetchedUrl: page.finalUrl },
      // Keyed by its URL, so fetching it again is a no-op or a new version of the same document.
      key: input.key ?? input.url,
    };
  }

  async function submitOne(tenantId: string, input: PreparedDocument): Promise<SubmitResult> {
    const namespace = input.namespace ?? DEFAULT_NAMESPACE;
    const now = clock.now();
    const submitted = await store.createDocument({
      id: newId('doc', now),
      tenantId,
      namespace,
      contentHash: sha256Hex(input.content),
      content: input.content,
      title: input.title ?? null,
      mimeType: input.mimeType,
      metadata: input.metadata ?? {},
      now,
      key: input.key,
      documentId: input.documentId,
    });
    const { document } = submitted;
    // The row whose pipeline runs: a staged next version, or the document itself. Pending is
    // queued even when nothing changed, in case the first submission died between storing and
    // queueing; a live job is not duplicated.
    const work = document.nextVersion ?? document;
    if (work.status === 'pending') {
      try {
        await enqueue({ tenantId, id: work.id });
      } catch (error) {
        // The document is stored: say so, so the caller neither gives up on it nor wonders.
        throw new AppError(
          'UNAVAILABLE',
          `Document ${document.id} is stored but its processing could not be queued (the job queue did not answer); it stays pending. Send the same request again later: the same content returns this document and queues it.`,
          {
            cause: error,
            retryable: true,
            details: {
              stored: true,
              documentId: document.id,
              status: work.status,
              retryAfterSeconds: ENQUEUE_RETRY_AFTER_SECONDS,
            },
          },
        );
      }
    }
    return submitted;
  }

  async function get(tenantId: string, documentId: string): Promise<DocumentRecord> {
    const document = await store.getDocument(tenantId, documentId);
    // A staged version's row is internal: its document reports it as nextVersion.
    if (document === undefined || document.replaces !== null) {
      throw new AppError(
        'DOCUMENT_NOT_FOUND',
        `Document ${documentId} does not exist (or was deleted).`,
        {
          details: { documentId },
        },
      );
    }
    return document;
  }

  return {
    limits,

    async submit(tenantId, input) {
      return submitOne(tenantId, prepare(await fetched(input)));
    },

    async submitMany(tenantId, inputs) {
      if (inputs.length > limits.maxDocumentsPerRequest) {
        throw new AppError(
          'INPUT_TOO_LARGE',
          `${inputs.length} documents in one request; the limit is ${limits.maxDocumentsPerRequest} (ENGRAM_MAX_DOCUMENTS_PER_REQUEST). Send them in smaller batches.`,
          { details: { limit: limits.maxDocumentsPerRequest, actual: inputs.length } },
        );
      }
      const prepared: PreparedDocument[] = [];
      for (const [index, input] of inputs.entries())
        prepared.push(prepare(await fetched(input, index), index));
      const results: SubmitResult[] = [];
      for (const [index, input] of prepared.entries()) {
        try {
          results.push(await submitOne(tenantId, input));
        } catch (error) {
          if (!(error instanceof AppError) || error.details?.stored !== true) throw error;
          // Documents before this one are stored and queued; those after it were not sent.
          throw new AppError(
            error.code,
            `${error.message} Documents 0-${index} are stored; the rest were not.`,
            {
              cause: error.cause,
              retryable: true,
              details: {
                ...error.details,
                index,
                storedIds: [
                  ...results.map((result) => result.document.id),
                  error.details.documentId,
                ],
              },
            },
          );
        }
      }
      return results;
    },

    get,

    async list(input) {
      return store.listDocuments(input);
    },

    countByStatus: (tenantId) => store.countDocumentsByStatus(tenantId),

    async listChunks(tenantId, documentId) {
      await get(tenantId, documentId);
      return store.listChunks(tenantId, documentId);
    },

    async retry(tenantId, documentId) {
      const row = await store.getDocument(tenantId, documentId);
      if (row === undefined) return get(tenantId, documentId); // throws DOCUMENT_NOT_FOUND
      // Users name the document: beside a completed version, the next version is what there is
      // to retry. The sweeper names a staged version's own row.
      const target =
        row.status === 'completed' && row.nextVersion !== null
          ? ((await store.getDocument(tenantId, row.nextVersion.id)) ?? row)
          : row;
      if (target.status === 'completed') {
        throw new AppError(
          'INVALID_STATE',
          `Document ${documentId} is already completed; there is nothing to retry.`,
        );
      }
      if (target.status === 'failed') {
        await store.updateDocument(tenantId, target.id, {
          status: 'pending',
          attempts: 0,
          now: clock.now(),
        });
      }
      // Pending or processing: make sure a job exists (idempotent), change nothing else.
      await enqueue(target);
      return (await store.getDocument(tenantId, documentId)) ?? target;
    },

    async delete(tenantId, documentId) {
      const deleted = await store.deleteDocument(tenantId, documentId);
      if (deleted === false) {
        throw new AppError(
          'DOCUMENT_NOT_FOUND',
          `Document ${documentId} does not exist (or was deleted).`,
          {
            details: { documentId },
          },
        );
      }
      await options.removeGraph?.(tenantId, documentId);
      return deleted;
    },

    async searchChunks(input) {
      const query = input.query.trim();
      if (query === '') throw new AppError('VALIDATION_FAILED', 'The search query is empty.');
      if (query.length > limits.maxQueryChars) {
        throw new AppError(
          'INPUT_TOO_LARGE',
          `The query has ${query.length} characters; the limit is ${limits.maxQueryChars} (ENGRAM_MAX_QUERY_CHARS).`,
          { details: { limit: limits.maxQueryChars, actual: query.length } },
        );
      }
      if (!Number.isInteger(input.k) || input.k < 1 || input.k > limits.maxSearchK) {
        throw new AppError(
          'VALIDATION_FAILED',
          `k must be a whole number from 1 to ${limits.maxSearchK} (ENGRAM_MAX_SEARCH_K).`,
          {
            details: { limit: limits.maxSearchK, actual: input.k },
          },
        );
      }
      return options.search.searchChunks({ ...input, query });
    },

    async recoverStalled(olderThanMs) {
      const stalled = await store.listStalled({
        updatedBefore: clock.now() - olderThanMs,
        limit: 1000,
      });
      for (const document of stalled) await enqueue(document);
      if (stalled.length > 0)
        options.logger.info({ documents: stalled.length }, 're-queued stalled documents');
      return stalled.length;
    },
  };
}

function withIndex(error: AppError, where: string, index: number | undefined): AppError {
  if (index === undefined) return error;
  return new AppError(error.code, `${where}: ${error.message}`, {
    cause: error,
    details: { ...error.details, index },
  });
}
