// buildApp(runtime): the Fastify application, without listening. Tests call app.inject().
import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { AppError } from '../domain/errors.js';
import { runForLazyTenant } from '../domain/tenant-scope.js';
import type { Runtime } from '../runtime.js';
import type { EngramApp } from './engram-app.js';
import { installAuth, parseApiKeys } from './auth.js';
import { installErrorHandler } from './error-handler.js';
import { installRequestMetrics } from './request-metrics.js';
import { documentRoutes } from './routes/documents.js';
import { contextRoutes } from './routes/context.js';
import { graphRoutes } from './routes/graph.js';
import { memoryRoutes } from './routes/memory.js';
import { operationsRoutes } from './routes/operations.js';
import { recallRoutes } from './routes/recall.js';
import { telemetryRoutes } from './routes/telemetry.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(runtime: Runtime): Promise<EngramApp> {
  const { config } = runtime;
  const app = Fastify({
    // Widened to Fastify's logger type so the instance type matches EngramApp everywhere.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: runtime.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    return503OnClosing: true,
    // Accept a caller's X-Request-ID when it is sane, otherwise make one; it is in every log line.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // Everything a request runs (model calls included) is attributed to its tenant.
  app.addHook('onRequest', (request, _reply, done) => {
    runForLazyTenant(() => request.tenantId, done);
  });
  installAuth(app, parseApiKeys(config.apiKeys));
  installRequestMetrics(app, runtime.metrics);

  if (config.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      max: config.rateLimitPerMinute,
      timeWindow: 60_000,
      // Shared across API nodes when Redis is configured; per process otherwise.
      ...(runtime.redis === undefined ? {} : { redis: runtime.redis, nameSpace: 'ratelimit:' }),
      keyGenerator: (request) =>
        request.url.startsWith('/v1/') ? `tenant:${request.tenantId}` : `ip:${request.ip}`,
      allowList: (request) => !request.url.startsWith('/v1/'),
      skipOnError: true,
      errorResponseBuilder: (_request, context) =>
        new AppError(
          'RATE_LIMITED',
          `Rate limit of ${context.max} requests per minute reached; retry in ${Math.ceil(context.ttl / 1000)} s.`,
          {
            details: { retryAfterSeconds: Math.ceil(context.ttl / 1000) },
          },
        ),
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Engram',
        description: 'Memory and context server for AI agents.',
        version: process.env.npm_package_version ?? '0.1.0',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(operationsRoutes(runtime));
  await app.register(memoryRoutes(runtime.memory));
  await app.register(recallRoutes(runtime.recall));
  await app.register(graphRoutes(runtime.graph));
  await app.register(documentRoutes({ ingest: runtime.ingest }));
  await app.register(
    telemetryRoutes(runtime.telemetry, { batchMaxBytes: config.telemetryBatchMaxBytes }),
  );
  await app.register(contextRoutes(runtime.context, runtime.tokenIds));
  return app;
}
