// Request duration histogram by route, method and status, on the runtime's registry.
import type { EngramApp } from './engram-app.js';
import { Histogram, type Registry } from 'prom-client';

export function installRequestMetrics(app: EngramApp, registry: Registry): void {
  const duration = new Histogram({
    name: 'engram_http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by route template, method and status code.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route template (not the raw URL) keeps label cardinality bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}
