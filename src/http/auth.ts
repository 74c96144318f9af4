// API keys → tenants. With no keys configured every request is tenant "default" (the embedded,
// single-user case); with keys, every /v1 request must present one (Authorization: Bearer or X-API-Key).
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { EngramApp } from './engram-app.js';
import { AppError } from '../domain/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    tenantId: string;
  }
}

export const DEFAULT_TENANT = 'default';
const TENANT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function parseApiKeys(spec: string | undefined): Map<string, string> {
  const keys = new Map<string, string>();
  if (spec === undefined) return keys;
  for (const pair of spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const separator = pair.lastIndexOf(':');
    const key = pair.slice(0, separator);
    const tenant = pair.slice(separator + 1);
    if (separator <= 0 || key.length < 16 || !TENANT_NAME.test(tenant)) {
      throw new AppError(
        'CONFIG_INVALID',
        'ENGRAM_API_KEYS must be "key:tenant" pairs separated by commas; keys at least 16 characters, tenants 1-64 of A-Z a-z 0-9 _ . -',
      );
    }
    keys.set(key, tenant);
  }
  return keys;
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.toLowerCase().startsWith('bearer '))
    return header.slice(7).trim();
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

function findTenant(
  keys: ReadonlyArray<readonly [Buffer, string]>,
  presented: string,
): string | undefined {
  const given = Buffer.from(presented);
  for (const [expected, tenant] of keys) {
    if (expected.length === given.length && timingSafeEqual(expected, given)) return tenant;
  }
  return undefined;
}

export function installAuth(app: EngramApp, keys: Map<string, string>): void {
  const expected = [...keys].map(([key, tenant]) => [Buffer.from(key), tenant] as const);
  app.decorateRequest('tenantId', DEFAULT_TENANT);
  app.addHook('onRequest', async (request) => {
    request.tenantId = DEFAULT_TENANT;
    if (keys.size === 0 || !request.url.startsWith('/v1/')) return;
    const presented = presentedKey(request);
    if (presented === undefined || presented === '') {
      throw new AppError(
        'UNAUTHORIZED',
        'Missing API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>".',
      );
    }
    const tenant = findTenant(expected, presented);
    if (tenant === undefined) throw new AppError('UNAUTHORIZED', 'Unknown API key.');
    request.tenantId = tenant;
  });
}
