// MCP tools of memory and context: remember turns, recall, cite what was used, pack token-exact
// context, and forget. Each calls the service the matching HTTP route calls.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import { MAX_TOKENS_LIMIT } from '../context/context-limits.js';
import { MAX_QUERY_CHARS } from '../memory/recall/recall-service.js';
import type { Runtime } from '../runtime.js';
import { answer, text } from './tool-answer.js';

export function registerMemoryTools(server: McpServer, runtime: Runtime, tenantId: string): void {
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
    'forget',
    {
      title: 'Forget memories',
      description:
        'Delete memories for good. With memoryId: that memory (a citation id from recall) and the episodes and promoted copies derived from it. With userId: every memory and session of that user. Give exactly one. Nothing recalled afterwards contains what was forgotten; it cannot be undone.',
      inputSchema: {
        memoryId: z.string().min(1).max(200).optional(),
        userId: z.string().min(1).max(200).optional(),
      },
    },
    async (input) =>
      answer(input, async () => {
        if ((input.memoryId === undefined) === (input.userId === undefined))
          throw new AppError('VALIDATION_FAILED', 'Give exactly one of memoryId and userId.');
        if (input.memoryId !== undefined) return runtime.memory.forget(tenantId, input.memoryId);
        const { memories, sessions } = await runtime.memory.forgetUser(tenantId, input.userId!);
        return { deleted: memories, sessions };
      }),
  );
}
