// Document endpoints: submit (202 once stored), status, list, chunks, retry, delete, and hybrid
// chunk search (POST /v1/search). Limits are enforced by the service, whose 4xx names the limit.
// Request and response shapes are in document-schemas.ts.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { IngestService } from '../../ingest/ingest-service.js';
import { readUpload, registerDocumentUploads } from './document-upload.js';
import {
  namespaceSchema,
  idParams,
  statusSchema,
  documentInput,
  versionInput,
  submittedSchema,
  documentSchema,
  chunkSchema,
  hitSchema,
  submitted,
  documentResponse,
  chunkResponse,
  encodeChunkCursor,
  decodeChunkCursor,
  toSubmit,
} from './document-schemas.js';

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
