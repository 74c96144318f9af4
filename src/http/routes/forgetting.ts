// Forgetting endpoints: one memory (with what was derived from it) or everything a user has.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MemoryService } from '../../memory/memory-service.js';

const idSchema = z.string().min(1).max(200);

export function forgettingRoutes(memory: MemoryService): FastifyPluginAsyncZod {
  return async (app) => {
    app.delete(
      '/v1/memories/:id',
      {
        schema: {
          tags: ['memory'],
          summary:
            'Forget a memory: the item, the episodes and promoted copies derived from it, their vectors and index rows. Nothing recalled, searched or packed afterwards contains it.',
          params: z.object({ id: idSchema }),
          response: {
            200: z.object({
              forgotten: z
                .array(z.string())
                .describe('Ids deleted: the memory first, then what was derived from it.'),
            }),
          },
        },
      },
      async (request) => memory.forget(request.tenantId, request.params.id),
    );

    app.delete(
      '/v1/users/:userId/memories',
      {
        schema: {
          tags: ['memory'],
          summary:
            'Forget everything a user has: every session, turn, episode and promoted item, with their vectors and index rows (404 USER_NOT_FOUND when there is nothing).',
          params: z.object({ userId: idSchema }),
          response: {
            200: z.object({
              deleted: z.number().int().describe('Memory items deleted.'),
              sessions: z.number().int().describe('Sessions deleted.'),
            }),
          },
        },
      },
      async (request) => {
        const { memories, sessions } = await memory.forgetUser(
          request.tenantId,
          request.params.userId,
        );
        return { deleted: memories, sessions };
      },
    );
  };
}
