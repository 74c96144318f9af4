// API keys → tenants, decided on the route a request matched (route-access.ts), never on the
// raw URL. With no keys configured every request is tenant "default" (the embedded, single-user
// case); with keys, every tenant route needs one (Authorization: Bearer or X-API-Key).
// Two steps, so refused keys are rate limited too: `identify` (onRequest, never throws) says who
// the caller is; the per-route rate limit (an onRequest hook of the route) counts the request
// by tenant or by address; `guard` (preParsing, after every onRequest hook and before the body
// is read) refuses a request whose route needs a key it did not bring.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { EngramApp } from './engram-app.js';
import { AppError } from '../domain/errors.js';
import { parseApiKeys } from '../config/api-keys.js';
import { accessOfRequest } from './route-access.js';

export { parseApiKeys };

declare module 'fastify' {
  interface FastifyRequest {
    tenantId: string;
    /** True once a tenant is established: a valid key, or no keys configured. */
    authenticated: boolean;
  }
}

export const DEFAULT_TENANT = 'default';

export interface AuthOptions {
  /** Bearer token for /metrics (ENGRAM_METRICS_TOKEN). */
  metricsToken?: string | undefined;
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.toLowerCase().startsWith('bearer '))
    return header.slice(7).trim();
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

function matches(expected: Buffer, presented: string): boolean {
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** `apiKeys`: key → tenant (parseApiKeys); empty means no authentication. */
export function installAuth(
  app: EngramApp,
  apiKeys: Map<string, string>,
  options: AuthOptions = {},
): void {
  const keys = [...apiKeys].map(([key, tenant]) => [Buffer.from(key), tenant] as const);
  const metricsToken =
    options.metricsToken === undefined ? undefined : Buffer.from(options.metricsToken);
  app.decorateRequest('tenantId', DEFAULT_TENANT);
  app.decorateRequest('authenticated', false);

  app.addHook('onRequest', async (request) => {
    request.tenantId = DEFAULT_TENANT;
    request.authenticated = false;
    if (accessOfRequest(request) !== 'tenant') return;
    if (keys.length === 0) {
      request.authenticated = true;
      return;
    }
    const presented = presentedKey(request);
    if (presented === undefined || presented === '') return;
    for (const [expected, tenant] of keys) {
      if (matches(expected, presented)) {
        request.tenantId = tenant;
        request.authenticated = true;
        return;
      }
    }
  });

  app.addHook('preParsing', async (request, _reply, payload) => {
    const access = accessOfRequest(request);
    if (access === 'tenant' && !request.authenticated) {
      const presented = presentedKey(request);
      throw new AppError(
        'UNAUTHORIZED',
        presented === undefined || presented === ''
          ? 'Missing API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>".'
          : 'Unknown API key.',
      );
    }
    if (access === 'metrics') {
      if (metricsToken !== undefined) {
        const presented = presentedKey(request);
        if (presented === undefined || !matches(metricsToken, presented)) {
          throw new AppError(
            'UNAUTHORIZED',
            'Metrics need ENGRAM_METRICS_TOKEN: send "Authorization: Bearer <token>".',
          );
        }
      } else if (keys.length > 0) {
        // Metrics show every tenant's figures, so no tenant's key opens them.
        throw new AppError(
          'UNAUTHORIZED',
          'Metrics are closed while ENGRAM_API_KEYS is set: set ENGRAM_METRICS_TOKEN and send it as "Authorization: Bearer <token>".',
        );
      }
    }
    return payload;
  });
}
