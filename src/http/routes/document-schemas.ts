// Document endpoints' shapes: the request and response schemas (the OpenAPI document is made
// from them) and the mapping of stored records to responses. The routes are in documents.ts.
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import {
  DOCUMENT_MIME_TYPES,
  type ChunkRecord,
  type DocumentRecord,
} from '../../ports/document-store.js';
import type { SubmitDocument, SubmitResult } from '../../ingest/ingest-service.js';
import { PIPELINE_STAGES } from '../../ingest/pipeline.js';

export const namespaceSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'use 1–128 letters, digits, ".", "_", ":" or "-"')
  .describe('Defaults to "default". Documents, dedup and search are scoped to it.');
export const idParams = z.object({ id: z.string().min(1).max(200) });
export const statusSchema = z.enum(['pending', 'processing', 'completed', 'failed']);
const stageSchema = z.enum(['chunk', 'embed', 'extract', 'index']);

export const documentInput = z.object({
  content: z
    .string()
    .optional()
    .describe('The text; size limited by ENGRAM_MAX_DOCUMENT_BYTES. Send this or contentBase64.'),
  contentBase64: z
    .base64()
    .optional()
    .describe(
      "A file's bytes in base64 (PDF, DOCX or any text format); the decoded size is limited by ENGRAM_MAX_DOCUMENT_BYTES.",
    ),
  url: z
    .url({ protocol: /^https?$/ })
    .max(4000)
    .optional()
    .describe(
      'A page or file to fetch instead of content (timeout ENGRAM_FETCH_TIMEOUT_MS, size ENGRAM_MAX_DOCUMENT_BYTES, at most ENGRAM_FETCH_MAX_REDIRECTS redirects; loopback, private and link-local addresses refused unless ENGRAM_FETCH_ALLOWED_HOSTS names the host). The same content again is a no-op.',
    ),
  title: z.string().max(1000).optional(),
  mimeType: z
    .enum(DOCUMENT_MIME_TYPES)
    .optional()
    .describe(
      'A hint for text content (text/csv cannot be told from prose). PDF and DOCX are recognised from their bytes; undeclared text is HTML, JSON or else Markdown by its first characters.',
    ),
  namespace: namespaceSchema.optional(),
  metadata: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("On a new version, merged over the document's metadata."),
  key: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .describe(
      'Your name for the document in its namespace (a path, a wiki page id). The same key with the same content is a no-op; with new content it is a new version of the same document, which replaces the old version when it completes. Without a key a document is found by its content. A URL document is keyed by its URL unless you give a key.',
    ),
});

/** PUT names the document in its path, so neither a namespace nor a key is sent. */
export const versionInput = documentInput.omit({ namespace: true, key: true });

export const submittedSchema = z.object({
  id: z.string(),
  version: z
    .number()
    .describe(
      'The version holding the content sent: the live one, or the next one being processed.',
    ),
  status: statusSchema.describe("That version's status."),
  created: z.boolean().describe('True: a new document.'),
  changed: z
    .boolean()
    .describe(
      "False: the content sent is already the document's (or its next version's); nothing was queued.",
    ),
});

const nextVersionSchema = z
  .object({
    version: z.number(),
    status: z.enum(['pending', 'processing', 'failed']),
    stage: stageSchema.nullable(),
    attempts: z.number(),
    error: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .nullable()
  .describe(
    'A newer version being processed, or failed (POST /v1/documents/{id}/retry runs it again). Until it completes the live version keeps answering.',
  );

export const documentSchema = z.object({
  id: z.string(),
  namespace: z.string(),
  key: z.string().nullable(),
  version: z.number().describe('The live version (1 for the first content; numbers may skip).'),
  nextVersion: nextVersionSchema,
  title: z.string().nullable(),
  mimeType: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  sizeBytes: z.number(),
  contentHash: z.string(),
  status: statusSchema,
  stage: stageSchema
    .nullable()
    .describe('Running stage (processing), failed stage (failed, or pending a retry).'),
  attempts: z.number(),
  error: z.string().nullable(),
  counts: z.object({ chunks: z.number(), entities: z.number(), relations: z.number() }),
  graph: z
    .object({
      chunks: z.number().describe('Chunks sent to the graph extractor in the last completed run.'),
      extracted: z.number().describe('Chunks it read.'),
      failed: z
        .number()
        .describe(
          'Chunks it left out, e.g. a model reply still invalid after two repair requests; the document completes without their facts.',
        ),
      failure: z.string().nullable().describe('Why the first left-out chunk failed.'),
    })
    .describe('Knowledge-graph extraction of the document.'),
  timings: z
    .record(z.string(), z.number())
    .describe('Milliseconds per stage of the last run, and total.'),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
});

/**
 * Stage timings in the order the pipeline runs them, then the rest (total): PostgreSQL's jsonb
 * keeps keys sorted by length, so the stored order is not the pipeline's on every backend.
 */
function inPipelineOrder(timings: Record<string, number>): Record<string, number> {
  const ordered: Record<string, number> = {};
  for (const stage of PIPELINE_STAGES) if (stage in timings) ordered[stage] = timings[stage]!;
  for (const [name, value] of Object.entries(timings))
    if (!(name in ordered)) ordered[name] = value;
  return ordered;
}

export const chunkSchema = z.object({
  id: z.string(),
  ordinal: z.number(),
  text: z.string(),
  headingPath: z.array(z.string()),
  tokenCount: z.number(),
  startOffset: z.number(),
  endOffset: z.number(),
  page: z.number().nullable().describe('The page the chunk starts on (PDF); null elsewhere.'),
  embedded: z.boolean(),
});

export const hitSchema = z.object({
  chunkId: z.string(),
  documentId: z.string(),
  documentTitle: z.string().nullable(),
  namespace: z.string(),
  ordinal: z.number(),
  text: z.string(),
  headingPath: z.array(z.string()),
  page: z.number().nullable().describe('The page the chunk starts on (PDF); null elsewhere.'),
  tokenCount: z.number(),
  score: z.number().describe('Reciprocal rank fusion score (higher is better).'),
  scores: z.object({
    text: z.object({ rank: z.number(), score: z.number() }).nullable(),
    vector: z.object({ rank: z.number(), similarity: z.number() }).nullable(),
    rrf: z.number(),
  }),
});

export function submitted(result: SubmitResult): z.infer<typeof submittedSchema> {
  const version = result.document.nextVersion ?? result.document;
  return {
    id: result.document.id,
    version: version.version,
    status: version.status,
    created: result.created,
    changed: result.changed,
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function documentResponse(document: DocumentRecord): z.infer<typeof documentSchema> {
  return {
    id: document.id,
    namespace: document.namespace,
    key: document.key,
    version: document.version,
    nextVersion:
      document.nextVersion === null
        ? null
        : {
            version: document.nextVersion.version,
            status: document.nextVersion.status,
            stage: document.nextVersion.stage,
            attempts: document.nextVersion.attempts,
            error: document.nextVersion.error,
            createdAt: iso(document.nextVersion.createdAt)!,
            updatedAt: iso(document.nextVersion.updatedAt)!,
          },
    title: document.title,
    mimeType: document.mimeType,
    metadata: document.metadata,
    sizeBytes: document.sizeBytes,
    contentHash: document.contentHash,
    status: document.status,
    stage: document.stage,
    attempts: document.attempts,
    error: document.error,
    counts: {
      chunks: document.chunkCount,
      entities: document.entityCount,
      relations: document.relationCount,
    },
    graph: {
      chunks: document.extractedChunks + document.failedChunks,
      extracted: document.extractedChunks,
      failed: document.failedChunks,
      failure: document.extractionFailure,
    },
    timings: inPipelineOrder(document.timings),
    createdAt: iso(document.createdAt)!,
    updatedAt: iso(document.updatedAt)!,
    startedAt: iso(document.startedAt),
    completedAt: iso(document.completedAt),
  };
}

export function chunkResponse(chunk: ChunkRecord): z.infer<typeof chunkSchema> {
  return {
    id: chunk.id,
    ordinal: chunk.ordinal,
    text: chunk.text,
    headingPath: chunk.headingPath,
    tokenCount: chunk.tokenCount,
    startOffset: chunk.startOffset,
    endOffset: chunk.endOffset,
    page: chunk.page,
    embedded: chunk.hasVector,
  };
}

/** Opaque to clients: the ordinal of the last chunk of a page. */
export function encodeChunkCursor(ordinal: number): string {
  return Buffer.from(`chunk:${ordinal}`, 'utf8').toString('base64url');
}

export function decodeChunkCursor(cursor: string): number {
  const match = /^chunk:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null)
    throw new AppError('VALIDATION_FAILED', 'The cursor is not one this server issued.');
  return Number(match[1]);
}

export function toSubmit(
  input: z.infer<typeof versionInput> & {
    namespace?: string | undefined;
    key?: string | undefined;
  },
): SubmitDocument {
  return {
    key: input.key,
    content: input.content,
    bytes:
      input.contentBase64 === undefined ? undefined : Buffer.from(input.contentBase64, 'base64'),
    url: input.url,
    mimeType: input.mimeType,
    title: input.title,
    namespace: input.namespace,
    metadata: input.metadata,
  };
}
