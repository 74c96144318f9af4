// MCP tools of knowledge: documents in (ingest, status, list, delete), hybrid search over their
// chunks, and the knowledge graph (entities by name, an entity's neighbourhood).
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { MAX_NEIGHBORHOOD_DEPTH } from '../graph/graph-service.js';
import type { Runtime } from '../runtime.js';
import { answer, text } from './tool-answer.js';

const namespace = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/)
  .describe('1–128 letters, digits, ".", "_", ":" or "-"; documents default to "default".');

export function registerKnowledgeTools(
  server: McpServer,
  runtime: Runtime,
  tenantId: string,
): void {
  server.registerTool(
    'ingest_document',
    {
      title: 'Ingest a document',
      description:
        'Add a document to the knowledge base. It is processed in the background (chunks, embeddings, entities); check with document_status. With a key, sending the same key again with new content makes a new version that replaces the old one when it completes (the same content is a no-op).',
      inputSchema: {
        content: text.max(runtime.ingest.limits.maxDocumentBytes),
        title: z.string().max(500).optional(),
        mimeType: z.enum(['text/plain', 'text/markdown', 'text/html']).default('text/markdown'),
        namespace: namespace.optional(),
        key: z
          .string()
          .min(1)
          .max(1000)
          .optional()
          .describe(
            'Your name for the document (a path, a page id): the same key is the same document.',
          ),
      },
    },
    async (input) =>
      answer(input, async () => {
        const { document, created, changed } = await runtime.ingest.submit(tenantId, {
          content: input.content,
          mimeType: input.mimeType,
          ...(input.title === undefined ? {} : { title: input.title }),
          ...(input.namespace === undefined ? {} : { namespace: input.namespace }),
          ...(input.key === undefined ? {} : { key: input.key }),
        });
        const version = document.nextVersion ?? document;
        return {
          id: document.id,
          version: version.version,
          status: version.status,
          created,
          changed,
        };
      }),
  );

  server.registerTool(
    'document_status',
    {
      title: 'Document status',
      description:
        'Where a document is in its pipeline: pending, processing (stage), completed (counts) or failed (stage, error).',
      inputSchema: { id: z.string().min(1).max(100) },
    },
    async (input) => answer(input, () => runtime.ingest.get(tenantId, input.id)),
  );

  server.registerTool(
    'search_documents',
    {
      title: 'Search documents',
      description: 'Hybrid (full-text and vector) search over ingested document chunks.',
      inputSchema: {
        query: text.max(2000),
        k: z.number().int().min(1).max(50).default(10),
        namespace: namespace.optional(),
      },
    },
    async (input) =>
      answer(input, async () => {
        const result = await runtime.ingest.searchChunks({
          tenantId,
          query: input.query,
          k: input.k,
          ...(input.namespace === undefined ? {} : { namespace: input.namespace }),
        });
        return result;
      }),
  );

  server.registerTool(
    'list_documents',
    {
      title: 'List documents',
      description:
        'Documents of the knowledge base, newest first, with their status. Pass nextCursor back as cursor for the next page.',
      inputSchema: {
        status: z.enum(['pending', 'processing', 'completed', 'failed']).optional(),
        namespace: namespace.optional(),
        cursor: z.string().max(500).optional(),
        limit: z.number().int().min(1).max(100).default(20),
      },
    },
    async (input) =>
      answer(input, async () => {
        const page = await runtime.ingest.list({
          tenantId,
          limit: input.limit,
          ...(input.status === undefined ? {} : { status: input.status }),
          ...(input.namespace === undefined ? {} : { namespace: input.namespace }),
          ...(input.cursor === undefined ? {} : { cursor: input.cursor }),
        });
        return { documents: page.items, nextCursor: page.nextCursor };
      }),
  );

  server.registerTool(
    'delete_document',
    {
      title: 'Delete a document',
      description:
        'Delete a document with its chunks, vectors and the graph facts only it supported. Cannot be undone.',
      inputSchema: { id: z.string().min(1).max(200) },
    },
    async (input) =>
      answer(input, async () => ({
        id: input.id,
        deleted: true,
        ...(await runtime.ingest.delete(tenantId, input.id)),
      })),
  );

  server.registerTool(
    'find_entities',
    {
      title: 'Find entities',
      description:
        'Entities of the knowledge graph (people, organizations, places, …) whose name or an alias matches: exact, then prefix, then substring; case and legal suffixes ("Inc.") ignored. Use an id with entity_neighbourhood.',
      inputSchema: {
        query: text.max(500),
        limit: z.number().int().min(1).max(100).default(20),
      },
    },
    async (input) =>
      answer(input, () =>
        runtime.graph.searchEntities({ tenantId, query: input.query, limit: input.limit }),
      ),
  );

  server.registerTool(
    'entity_neighbourhood',
    {
      title: 'Entity neighbourhood',
      description: `Entities within depth relations (1–${MAX_NEIGHBORHOOD_DEPTH}) of an entity, nearest first, with the facts among them (each with its evidence). The entity is an id from find_entities, or a name (the best match is used). Size-capped: truncated says when the cap cut it.`,
      inputSchema: {
        entity: text.max(500),
        depth: z.number().int().min(1).max(MAX_NEIGHBORHOOD_DEPTH).default(1),
        limit: z.number().int().min(1).max(200).optional(),
        includeInvalid: z.boolean().default(false).describe('Also walk superseded facts.'),
      },
    },
    async (input) =>
      answer(input, () =>
        runtime.graph.neighborhood({
          tenantId,
          entity: input.entity,
          depth: input.depth,
          includeInvalid: input.includeInvalid,
          ...(input.limit === undefined ? {} : { limit: input.limit }),
        }),
      ),
  );
}
