// The MCP server: Engram's capabilities as tools an agent calls directly, over the same services
// the HTTP API uses, behind the same input checks. One server acts for one tenant.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { MAX_TOKENS_LIMIT } from '../context/context-limits.js';
import { errorMessage, isAppError } from '../domain/errors.js';
import { findInputProblem } from '../domain/input-problems.js';
import { MAX_QUERY_CHARS } from '../memory/recall/recall-service.js';
import type { Runtime } from '../runtime.js';

export interface McpServerOptions {
  tenantId: string;
  version: string;
}

const text = z.string().min(1);

function ok(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] };
}

function failure(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/**
 * Tool failures are answers the model can read and act on, never protocol errors. Arguments no
 * store can keep (NUL, lone surrogates, deep nesting) are refused first, as HTTP refuses them.
 */
async function answer(input: unknown, work: () => Promise<unknown>): Promise<CallToolResult> {
  const problem = findInputProblem(input, 'arguments');
  if (problem !== undefined) return failure(`INVALID_INPUT: Invalid input: ${problem}.`);
  try {
    return ok(await work());
  } catch (error) {
    const message = isAppError(error)
      ? `${error.code}: ${error.message}`
      : `INTERNAL: ${errorMessage(error)}`;
    return failure(message);
  }
}

export function createMcpServer(runtime: Runtime, options: McpServerOptions): McpServer {
  const { tenantId } = options;
  const server = new McpServer({ name: 'engram', version: options.version });

  server.registerTool(
    'remember',
    {
      title: 'Remember conversation turns',
      description:
        'Store turns of a conversation in a session (created when sessionId is omitted). Returns the session id to pass next time.',
      inputSchema: {
        sessionId: z.string().max(100).optional(),
        userId: z.string().max(200).optional(),
        turns: z
          .array(
            z.object({
              speaker: text.max(200),
              content: text.max(32_000),
              at: z.string().datetime().optional(),
            }),
          )
          .min(1)
          .max(100),
      },
    },
    async (input) =>
      answer(input, async () => {
        const session =
          input.sessionId === undefined
            ? await runtime.memory.createSession(tenantId, {
                ...(input.userId === undefined ? {} : { userId: input.userId }),
              })
            : await runtime.memory.getSession(tenantId, input.sessionId);
        const added = await runtime.memory.addTurns(
          tenantId,
          session.id,
          input.turns.map((turn) => ({
            speaker: turn.speaker,
            content: turn.content,
            ...(turn.at === undefined ? {} : { at: Date.parse(turn.at) }),
          })),
        );
        return { sessionId: session.id, turnIds: added.turns.map((turn) => turn.id) };
      }),
  );

  server.registerTool(
    'recall',
    {
      title: 'Recall memories',
      description:
        'Find what is remembered about a query across working, episodic and semantic memory (and ingested documents). Each item has a citation id; pass the ids you used to `cite`.',
      inputSchema: {
        query: text.max(2000),
        sessionId: z.string().max(100).optional(),
        userId: z.string().max(200).optional(),
        k: z.number().int().min(1).max(50).default(10),
      },
    },
    async (input) =>
      answer(input, async () => {
        const result = await runtime.recall.recall({
          tenantId,
          query: input.query,
          k: input.k,
          ...(input.sessionId === undefined ? {} : { sessionId: input.sessionId }),
          ...(input.userId === undefined ? {} : { userId: input.userId }),
        });
        return result.items.map((item) => ({
          id: item.id,
          tier: item.tier,
          text: item.text,
          occurredAt: item.occurredAt,
        }));
      }),
  );

  server.registerTool(
    'cite',
    {
      title: 'Cite memories',
      description: 'Tell Engram which recalled memories were useful, so they stay salient.',
      inputSchema: { ids: z.array(z.string().min(1).max(100)).min(1).max(100) },
    },
    async (input) => answer(input, () => runtime.memory.cite(tenantId, input.ids)),
  );

  server.registerTool(
    'get_context',
    {
      title: 'Build token-exact context',
      description:
        'Recall for a query and pack the result into maxTokens of the named tokenizer (o200k_base, cl100k_base, or a configured tokenizer.json). Returns the text and its token count.',
      inputSchema: {
        query: text.max(MAX_QUERY_CHARS),
        tokenizer: z.string().max(100).default('o200k_base'),
        maxTokens: z.number().int().min(1).max(MAX_TOKENS_LIMIT).default(2000),
        sessionId: z.string().max(100).optional(),
        userId: z.string().max(200).optional(),
      },
    },
    async (input) =>
      answer(input, async () => {
        const built = await runtime.context.build({
          tenantId,
          query: input.query,
          tokenizer: input.tokenizer,
          maxTokens: input.maxTokens,
          ...(input.sessionId === undefined ? {} : { sessionId: input.sessionId }),
          ...(input.userId === undefined ? {} : { userId: input.userId }),
        });
        return {
          text: built.text,
          tokenCount: built.tokenCount,
          itemIds: built.items.map((item) => item.id),
        };
      }),
  );

  server.registerTool(
    'ingest_document',
    {
      title: 'Ingest a document',
      description:
        'Add a document to the knowledge base. It is processed in the background (chunks, embeddings, entities); check with document_status.',
      inputSchema: {
        content: text.max(runtime.ingest.limits.maxDocumentBytes),
        title: z.string().max(500).optional(),
        mimeType: z.enum(['text/plain', 'text/markdown', 'text/html']).default('text/markdown'),
        namespace: z.string().max(100).optional(),
      },
    },
    async (input) =>
      answer(input, async () => {
        const { document, created } = await runtime.ingest.submit(tenantId, {
          content: input.content,
          mimeType: input.mimeType,
          ...(input.title === undefined ? {} : { title: input.title }),
          ...(input.namespace === undefined ? {} : { namespace: input.namespace }),
        });
        return { id: document.id, status: document.status, created };
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
        namespace: z.string().max(100).optional(),
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

  return server;
}
