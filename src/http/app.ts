// buildApp(runtime): the Fastify application, without listening. Tests call app.inject().
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { runForLazyTenant } from '../domain/tenant-scope.js';
import type { Runtime } from '../runtime.js';
import type { EngramApp } from './engram-app.js';
import { installAuth, parseApiKeys } from './auth.js';
import { consoleRoutes } from './console-route.js';
import { installDeadline } from './deadline.js';
import { errorBodyComponent } from './error-body.js';
import {
  installErrorHandler,
  installNotFoundHandler,
  sendFrameworkError,
} from './error-handler.js';
import { installInputGuard } from './input-guard.js';
import { installRateLimit } from './rate-limit.js';
import { installRouteAccess } from './route-access.js';
import { installRequestMetrics } from './request-metrics.js';
import { documentRoutes } from './routes/documents.js';
import { contextRoutes } from './routes/context.js';
import { graphRoutes } from './routes/graph.js';
import { mcpRoutes } from './mcp-route.js';
import { forgettingRoutes } from './routes/forgetting.js';
import { memoryRoutes } from './routes/memory.js';
import { operationsRoutes } from './routes/operations.js';
import { metricSeriesRoutes } from './routes/metric-series.js';
import { otlpRoutes } from './routes/otlp.js';
import { unmappedRoutes } from './routes/otlp-unmapped.js';
import { recallRoutes } from './routes/recall.js';
import { telemetryRoutes } from './routes/telemetry.js';

/** The version the OpenAPI document and the MCP server report. */
const ENGRAM_VERSION = process.env.npm_package_version ?? '0.1.0';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(runtime: Runtime): Promise<EngramApp> {
  const { config } = runtime;
  const app = Fastify({
    // Widened to Fastify's logger type so the instance type matches EngramApp everywhere.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: runtime.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    // While draining (src/http/drain.ts), requests already sent on open connections are served,
    // not refused: the listener is closed, so no new connection brings more.
    return503OnClosing: false,
    // Accept a caller's X-Request-ID when it is sane, otherwise make one; it is in every log line.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    // Router-level rejections (a path that is not UTF-8) in the same envelope as every error;
    // path parameters as long as the schemas allow (ids up to 200), longer ones refused as such.
    frameworkErrors: sendFrameworkError,
    routerOptions: { maxParamLength: 512 },
  }).withTypeProvider<ZodTypeProvider>();
  try {
    await assemble(app, runtime);
  } catch (error) {
    // What a part opened before the failure (the rate limiter's connection) closes with the app.
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

/** Hooks, the rate limiter, the API's documentation and every route, in that order. */
async function assemble(app: EngramApp, runtime: Runtime): Promise<void> {
  const { config } = runtime;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  // The deadline of a request once received: 504 TIMEOUT and request.workSignal aborted past it.
  installDeadline(app, { deadlineMs: config.requestDeadlineMs });
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // Access is decided per registered route, so this must come before any route.
  installRouteAccess(app);
  // Everything a request runs (model calls included) is attributed to its tenant.
  app.addHook('onRequest', (request, _reply, done) => {
    runForLazyTenant(() => request.tenantId, done);
  });
  const apiKeys = parseApiKeys(config.apiKeys);
  installAuth(app, apiKeys, { metricsToken: config.metricsToken });
  installRequestMetrics(app, runtime.metrics);
  installInputGuard(app);
  const limiter = await installRateLimit(app, {
    perMinute: config.rateLimitPerMinute,
    redis:
      config.redisUrl === undefined
        ? undefined
        : {
            url: config.redisUrl,
            keyPrefix: config.redisKeyPrefix,
            timeoutMs: Math.min(config.redisCommandTimeoutMs, config.rateLimitRedisTimeoutMs),
          },
    logger: runtime.logger,
  });
  installNotFoundHandler(app, limiter === undefined ? {} : { preHandler: limiter });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Engram',
        description: 'Memory and context server for AI agents.',
        version: ENGRAM_VERSION,
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
        schemas: { ErrorBody: errorBodyComponent() },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(operationsRoutes(runtime));
  await app.register(memoryRoutes(runtime.memory));
  await app.register(forgettingRoutes(runtime.memory));
  await app.register(recallRoutes(runtime.recall));
  await app.register(graphRoutes(runtime.graph));
  await app.register(documentRoutes({ ingest: runtime.ingest }));
  await app.register(
    telemetryRoutes(runtime.telemetry, { batchMaxBytes: config.telemetryBatchMaxBytes }),
  );
  await app.register(otlpRoutes(runtime.otlp, { maxBytes: config.telemetryBatchMaxBytes }));
  await app.register(metricSeriesRoutes(runtime.metricSeries));
  await app.register(unmappedRoutes(runtime.unmapped));
  await app.register(contextRoutes(runtime.context, runtime.tokenIds));
  await app.register(mcpRoutes(runtime, { version: ENGRAM_VERSION }));
  await app.register(
    consoleRoutes({
      maxDocumentBytes: runtime.ingest.limits.maxDocumentBytes,
      authRequired: apiKeys.size > 0,
    }),
  );
}
