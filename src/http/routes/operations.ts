// Operations endpoints: /health (process alive), /ready (dependencies and background jobs), /metrics.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Runtime } from '../../runtime.js';

const checkResult = z.object({ name: z.string(), ok: z.boolean(), error: z.string().optional() });

export function operationsRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/health',
      {
        schema: {
          tags: ['operations'],
          summary: 'The process is alive.',
          response: { 200: z.object({ status: z.literal('ok'), uptimeSeconds: z.number() }) },
        },
      },
      async () => ({ status: 'ok' as const, uptimeSeconds: Math.round(process.uptime()) }),
    );

    app.get(
      '/ready',
      {
        schema: {
          tags: ['operations'],
          summary: 'Storage and Redis answer, and background jobs are beating.',
          response: {
            200: z.object({ status: z.literal('ready'), checks: z.array(checkResult) }),
            503: z.object({ status: z.literal('unavailable'), checks: z.array(checkResult) }),
          },
        },
      },
      async (_request, reply) => {
        const checks = await Promise.all(
          runtime.readiness.map(async ({ name, check: run }) => {
            try {
              await withTimeout(run(), 2_000, `${name} did not answer within 2 s`);
              return { name, ok: true };
            } catch (error) {
              return {
                name,
                ok: false,
                error: error instanceof Error ? error.message : String(error),
              };
            }
          }),
        );
        if (checks.every((check) => check.ok)) return { status: 'ready' as const, checks };
        return reply.status(503).send({ status: 'unavailable' as const, checks });
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          tags: ['operations'],
          summary: 'Prometheus metrics (text exposition format).',
          hide: false,
        },
      },
      async (_request, reply) => {
        const body = await runtime.metrics.metrics();
        return reply.type(runtime.metrics.contentType).send(body);
      },
    );
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
