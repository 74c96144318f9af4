// Document endpoints: submit (202 once stored), status, list, chunks, retry, delete, and hybrid
// chunk search (POST /v1/search). Limits are enforced by the service, whose 4xx names the limit.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import {
  DOCUMENT_MIME_TYPES,
  type ChunkRecord,
  type DocumentRecord,
} from '../../ports/document-store.js';
import type { IngestService, SubmitDocument, SubmitResult } from '../../ingest/ingest-service.js';
import { PIPELINE_STAGES } from '../../ingest/pipeline.js';
import { readUpload, registerDocumentUploads } from './document-upload.js';

const namespaceSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'use 1–128 letters, digits, ".", "_", ":" or "-"')
  .describe('Defaults to "default". Documents, dedup and search are scoped to it.');
const idParams = z.object({ id: z.string().min(1).max(200) });
const statusSchema = z.enum(['pending', 'processing', 'completed', 'failed']);
const stageSchema = z.enum(['chunk', 'embed', 'extract', 'index']);

const documentInput = z.object({
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
const versionInput = documentInput.omit({ namespace: true, key: true });

const submittedSchema = z.object({
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

const chunkSchema = z.object({
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

const hitSchema = z.object({
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

function submitted(result: SubmitResult): z.infer<typeof submittedSchema> {
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

function chunkResponse(chunk: ChunkRecord): z.infer<typeof chunkSchema> {
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
function encodeChunkCursor(ordinal: number): string {
  return Buffer.from(`chunk:${ordinal}`, 'utf8').toString('base64url');
}

function decodeChunkCursor(cursor: string): number {
  const match = /^chunk:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null)
    throw new AppError('VALIDATION_FAILED', 'The cursor is not one this server issued.');
  return Number(match[1]);
}

function toSubmit(
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

export function documentRoutes(services: { ingest: IngestService }): FastifyPluginAsyncZod {
  const { ingest } = services;
  return async (app) => {
    await registerDocumentUploads(app, ingest.limits.maxDocumentBytes);
    app.post(
      '/v1/documents',
      {
        // A multipart upload is read here and becomes the JSON body, so the schema checks it too.
        preValidation: async (request) => {
          if (request.isMultipart())
            request.body = await readUpload(request, ingest.limits.maxDocumentBytes);
        },
        schema: {
          tags: ['documents'],
          summary:
            'Submit a document (or {documents: [...]}, at most ENGRAM_MAX_DOCUMENTS_PER_REQUEST): text in content, a file in contentBase64, or a multipart/form-data upload with the file in a part named "file" (plus title, namespace, mimeType, metadata fields). Formats: PDF, DOCX, HTML, Markdown, text, CSV, JSON. Answers 202 once it is stored; the pipeline runs in the background.',
          // The batch shape first: every field of one document is optional, so {documents} would
          // otherwise parse as an empty single document.
          body: z.union([z.object({ documents: z.array(documentInput).min(1) }), documentInput]),
          response: {
            202: z.union([submittedSchema, z.object({ documents: z.array(submittedSchema) })]),
          },
        },
      },
      async (request, reply) => {
        const body = request.body;
        if ('documents' in body) {
          const results = await ingest.submitMany(request.tenantId, body.documents.map(toSubmit));
          return reply.status(202).send({ documents: results.map(submitted) });
        }
        const result = await ingest.submit(request.tenantId, toSubmit(body));
        return reply.status(202).send(submitted(result));
      },
    );

    app.put(
      '/v1/documents/:id',
      {
        preValidation: async (request) => {
          if (request.isMultipart())
            request.body = await readUpload(request, ingest.limits.maxDocumentBytes);
        },
        schema: {
          tags: ['documents'],
          summary:
            'New content for an existing document, in any shape POST takes (JSON or a multipart upload). The same content is a no-op; new content becomes the next version, processed beside the live one, whose chunks, vectors and graph facts it replaces in one step when it completes. A newer submission replaces a next version still in progress. 404 when the document does not exist: create documents with POST (a key makes them addressable by your own name).',
          params: idParams,
          body: versionInput,
          response: { 202: submittedSchema },
        },
      },
      async (request, reply) => {
        const result = await ingest.submit(request.tenantId, {
          ...toSubmit(request.body),
          documentId: request.params.id,
        });
        return reply.status(202).send(submitted(result));
      },
    );

    app.get(
      '/v1/documents/stats',
      {
        schema: {
          tags: ['documents'],
          summary:
            "How many of the tenant's documents are in each status (the console's overview).",
          response: {
            200: z.object({
              statuses: z.object({
                pending: z.number().int(),
                processing: z.number().int(),
                completed: z.number().int(),
                failed: z.number().int(),
              }),
            }),
          },
        },
      },
      async (request) => ({ statuses: await ingest.countByStatus(request.tenantId) }),
    );

    app.get(
      '/v1/documents',
      {
        schema: {
          tags: ['documents'],
          summary: 'Documents, newest first; pass nextCursor back as cursor for the next page.',
          querystring: z.object({
            status: statusSchema.optional(),
            namespace: namespaceSchema.optional(),
            cursor: z.string().max(500).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(50),
          }),
          response: {
            200: z.object({
              documents: z.array(documentSchema),
              nextCursor: z.string().nullable(),
            }),
          },
        },
      },
      async (request) => {
        const { status, namespace, cursor, limit } = request.query;
        const page = await ingest.list({
          tenantId: request.tenantId,
          limit,
          ...(status === undefined ? {} : { status }),
          ...(namespace === undefined ? {} : { namespace }),
          ...(cursor === undefined ? {} : { cursor }),
        });
        return { documents: page.items.map(documentResponse), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/documents/:id',
      {
        schema: {
          tags: ['documents'],
          summary:
            'A document: its live version with status, current or failed stage, attempts, error, counts and timings, and a next version in progress or failed.',
          params: idParams,
          response: { 200: documentSchema },
        },
      },
      async (request) => documentResponse(await ingest.get(request.tenantId, request.params.id)),
    );

    app.get(
      '/v1/documents/:id/chunks',
      {
        schema: {
          tags: ['documents'],
          summary:
            "A document's chunks in order, with heading paths and token counts; pass nextCursor back as cursor for the next page.",
          params: idParams,
          querystring: z.object({
            cursor: z.string().max(100).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(200),
          }),
          response: {
            200: z.object({
              chunks: z.array(chunkSchema),
              nextCursor: z.string().nullable().describe('Null on the last page.'),
            }),
          },
        },
      },
      async (request) => {
        const { cursor, limit } = request.query;
        const after = cursor === undefined ? -1 : decodeChunkCursor(cursor);
        // Chunks are ordered by ordinal, so a page is the next `limit` ordinals past the cursor.
        const rest = (await ingest.listChunks(request.tenantId, request.params.id))
          .filter((chunk) => chunk.ordinal > after)
          .sort((a, b) => a.ordinal - b.ordinal);
        const page = rest.slice(0, limit);
        const last = page.at(-1);
        return {
          chunks: page.map(chunkResponse),
          nextCursor:
            rest.length > limit && last !== undefined ? encodeChunkCursor(last.ordinal) : null,
        };
      },
    );

    app.post(
      '/v1/documents/:id/retry',
      {
        schema: {
          tags: ['documents'],
          summary:
            'Run the pipeline again for a failed document, or for its failed next version (stages already done are kept).',
          params: idParams,
          response: { 202: documentSchema },
        },
      },
      async (request, reply) => {
        const document = await ingest.retry(request.tenantId, request.params.id);
        return reply.status(202).send(documentResponse(document));
      },
    );

    app.delete(
      '/v1/documents/:id',
      {
        schema: {
          tags: ['documents'],
          summary:
            'Delete a document (and a next version in progress) with its chunks, vectors and graph mentions (and entities nothing else supports).',
          params: idParams,
          response: {
            200: z.object({
              id: z.string(),
              deleted: z.literal(true),
              chunks: z.number(),
              vectors: z.number(),
            }),
          },
        },
      },
      async (request) => {
        const removed = await ingest.delete(request.tenantId, request.params.id);
        return { id: request.params.id, deleted: true as const, ...removed };
      },
    );

    app.post(
      '/v1/search',
      {
        schema: {
          tags: ['documents'],
          summary:
            'Hybrid search over chunks of completed documents: full text + vector, fused by reciprocal rank fusion.',
          body: z.object({
            query: z.string().min(1).describe('Length limited by ENGRAM_MAX_QUERY_CHARS.'),
            k: z
              .number()
              .int()
              .min(1)
              .default(10)
              .describe('Hits wanted; at most ENGRAM_MAX_SEARCH_K.'),
            namespace: namespaceSchema.optional(),
            filters: z
              .object({
                metadata: z
                  .record(
                    z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
                    z.union([z.string(), z.number(), z.boolean()]),
                  )
                  .optional()
                  .describe('Exact matches on top-level document metadata.'),
                documentIds: z.array(z.string().min(1).max(200)).max(1000).optional(),
              })
              .optional(),
          }),
          response: {
            200: z.object({ hits: z.array(hitSchema), degraded: z.string().optional() }),
          },
        },
      },
      async (request) => {
        const { query, k, namespace, filters } = request.body;
        const result = await ingest.searchChunks({
          tenantId: request.tenantId,
          query,
          k,
          namespace,
          signal: request.workSignal,
          filters: filters === undefined ? undefined : stripUndefined(filters),
        });
        return result;
      },
    );
  };
}

function stripUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
