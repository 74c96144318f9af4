// Route-table tests: generated from the routes the app registers (route-access.ts keeps the
// table), so a new route is attacked without anyone writing a test for it.
// 1. Every route that needs a credential is tried without one, under every spelling of its path
//    an attacker might send (percent-encoded letters and digits, %2F, doubled slashes, dot
//    segments, ";", absolute form): the answer is 401, or the router's own 404 — never the
//    route's handler. The same spellings with a key show which ones really reach the route.
// 2. Every route with an id in its path is tried by tenant umbrella with tenant acme's id: 404,
//    never acme's data, and acme's resources are intact afterwards.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes, type RegisteredRoute } from '../../src/http/route-access.js';
import {
  ACME,
  createTestApp,
  TWO_TENANT_API_KEYS,
  UMBRELLA,
  type TestApp,
} from '../support/runtime.js';
import { until } from '../telemetry/backends.js';
import { rawRequest, type RawResponse } from './raw-http.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
const SECRET_TURN = 'My bank PIN is 4321.';
const SECRET_DOC = '# Acme\n\nAlice Smith works at Acme Corp in Berlin. The vault code is 8642.';

let fixture: TestApp;
let port: number;
let routes: readonly RegisteredRoute[];

beforeAll(async () => {
  fixture = await createTestApp({
    env: {
      ENGRAM_API_KEYS: TWO_TENANT_API_KEYS,
      ENGRAM_METRICS_TOKEN: METRICS_TOKEN,
      ENGRAM_RATE_LIMIT_PER_MINUTE: '1000000',
    },
  });
  await fixture.app.listen({ host: '127.0.0.1', port: 0 });
  port = (fixture.app.server.address() as AddressInfo).port;
  routes = registeredRoutes(fixture.app);
});

afterAll(async () => {
  await fixture.dispose();
});

/** The template with every parameter filled in. */
function concrete(url: string, value = 'no-such-id'): string {
  return url.replace(/:[A-Za-z_]+/g, value).replace(/\*/g, 'x');
}

function percent(char: string, lower: boolean): string {
  const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${lower ? hex : hex.toUpperCase()}`;
}

/** Spellings of `path` that a lenient router, proxy or decoder may take for the path itself. */
export function spellingsOf(path: string): string[] {
  const segments = path.split('/').slice(1);
  const join = (parts: string[]) => `/${parts.join('/')}`;
  const out = new Set<string>();
  segments.forEach((segment, i) => {
    const positions = new Set([0, segment.length - 1]);
    for (const at of positions) {
      const char = segment[at];
      if (char === undefined) continue;
      // Lower-case hex once (in the first segment) is enough: decoders treat both alike.
      for (const lower of i === 0 ? [false, true] : [false]) {
        const encoded = segment.slice(0, at) + percent(char, lower) + segment.slice(at + 1);
        out.add(join(segments.map((s, j) => (j === i ? encoded : s))));
      }
    }
    const before = segments.slice(0, i);
    const after = segments.slice(i);
    out.add(`/${before.join('/')}${before.length > 0 ? '/' : ''}/${after.join('/')}`);
    out.add(join([...before, '.', ...after]));
    out.add(join([...before, '%2e', ...after]));
    out.add(join([...before, 'x', '..', ...after]));
    out.add(join([...before, 'x', '%2E%2E', ...after]));
    if (i > 0) {
      out.add(`/${before.join('/')}%2F${after.join('/')}`);
      out.add(`/${before.join('/')}%2f${after.join('/')}`);
      out.add(`/${before.join('/')}\\${after.join('/')}`);
    }
  });
  out.add(`${path}/`);
  out.add(`${path}/.`);
  out.add(`${path};x`);
  out.add(`${path}%00`);
  out.add(`http://127.0.0.1${path}`);
  out.add(`http://evil.example${path}`);
  out.add(`HTTP://127.0.0.1:80${path}`);
  out.add(`http://127.0.0.1${path.replace('/v1/', '/%761/')}`);
  out.delete(path);
  return [...out];
}

function credentialFor(route: RegisteredRoute): Record<string, string> | undefined {
  if (route.access === 'tenant') return ACME;
  if (route.access === 'metrics') return { authorization: `Bearer ${METRICS_TOKEN}` };
  return undefined;
}

function bodyFor(method: string): string | undefined {
  return method === 'POST' || method === 'PUT' || method === 'PATCH' ? '{}' : undefined;
}

/** The router's own 404 (no route matched), as opposed to a handler's "not found". */
function unrouted(response: RawResponse): boolean {
  return response.status === 404 && response.body.includes('"message":"No route ');
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<void>) {
  for (let at = 0; at < items.length; at += size) {
    await Promise.all(items.slice(at, at + size).map(run));
  }
}

describe('every registered route', () => {
  it('lists the routes the app serves, each with its access', () => {
    const keys = routes.map((route) => `${route.method} ${route.url} ${route.access}`);
    expect(keys).toContain('GET /health probe');
    expect(keys).toContain('GET /metrics metrics');
    expect(keys).toContain('GET /v1/sessions/:id tenant');
    expect(keys).toContain('HEAD /v1/sessions/:id tenant');
    // The OTLP receiver is an ordinary tenant route: API keys, tenants and rate limits apply.
    for (const signal of ['traces', 'logs', 'metrics'])
      expect(keys).toContain(`POST /otlp/v1/${signal} tenant`);
    expect(routes.filter((route) => route.access === 'tenant').length).toBeGreaterThan(20);
  });

  it('refuses every guarded route without a credential, however its path is spelled', async () => {
    const guarded = routes.filter(
      (route) => route.access === 'tenant' || route.access === 'metrics',
    );
    const attempts = guarded.flatMap((route) => {
      const path = concrete(route.url);
      const spellings = spellingsOf(path);
      return [path, ...spellings].map((target) => ({
        route,
        target,
        plain: target === path,
        // A wrong key is tried on the plain path and on one other spelling per route.
        tryWrongKey: target === path || target === spellings[0],
      }));
    });
    const leaks: string[] = [];
    let reachedBySpelling = 0;
    await inBatches(attempts, 16, async ({ route, target, plain, tryWrongKey }) => {
      const body = bodyFor(route.method);
      // A HEAD answer has no body, so its 404 cannot say who gave it; it must still not be 2xx.
      const refused = (response: RawResponse) =>
        response.status === 401 ||
        unrouted(response) ||
        (route.method === 'HEAD' && response.status === 404);
      const anonymous = await rawRequest(port, route.method, target, {}, body);
      if (!refused(anonymous)) {
        leaks.push(`${route.method} ${target} → ${anonymous.status} without a key`);
      }
      if (tryWrongKey) {
        const wrongKey = await rawRequest(
          port,
          route.method,
          target,
          { authorization: 'Bearer wrong-key-0123456789abcdef' },
          body,
        );
        if (!refused(wrongKey)) {
          leaks.push(`${route.method} ${target} → ${wrongKey.status} with a wrong key`);
        }
      }
      if (!plain && route.method !== 'HEAD') {
        const keyed = await rawRequest(port, route.method, target, credentialFor(route), body);
        if (!unrouted(keyed)) reachedBySpelling += 1;
      }
    });
    expect(leaks).toEqual([]);
    // The attack is real: many of these spellings do reach the route when a key is given.
    expect(reachedBySpelling).toBeGreaterThan(guarded.length);
  });

  it('answers a HEAD without a key with 401', async () => {
    const heads = routes.filter((route) => route.method === 'HEAD' && route.access === 'tenant');
    expect(heads.length).toBeGreaterThan(0);
    for (const route of heads) {
      for (const target of [concrete(route.url), concrete(route.url).replace('/v1/', '/%761/')]) {
        expect((await rawRequest(port, 'HEAD', target)).status, `HEAD ${target}`).toBe(401);
      }
    }
  });
});

describe("another tenant's ids", () => {
  const ids = new Map<string, string>();

  beforeAll(async () => {
    const { app, runtime } = fixture;
    runtime.startBackground();
    const submitted = await app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: ACME,
      payload: { content: SECRET_DOC, mimeType: 'text/markdown' },
    });
    expect(submitted.statusCode).toBe(202);
    const documentId = submitted.json<{ id: string }>().id;
    ids.set('documents', documentId);
    const done = await until(
      async () =>
        (await app.inject({ url: `/v1/documents/${documentId}`, headers: ACME })).json<{
          status: string;
        }>().status,
      (status) => status === 'completed' || status === 'failed',
    );
    expect(done).toBe('completed');
    const entities = await app.inject({ url: '/v1/entities?query=Acme', headers: ACME });
    const entity = entities.json<{ entities: Array<{ id: string }> }>().entities[0];
    expect(entity).toBeDefined();
    ids.set('entities', entity!.id);
    const session = await app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: ACME,
      payload: { userId: 'ada' },
    });
    ids.set('sessions', session.json<{ id: string }>().id);
    const turns = await app.inject({
      method: 'POST',
      url: `/v1/sessions/${ids.get('sessions')}/turns`,
      headers: ACME,
      payload: { speaker: 'ada', content: SECRET_TURN },
    });
    expect(turns.statusCode).toBe(201);
    // A memory and a user of their own, so deleting ada's session leaves them for their routes.
    for (const userId of ['grace', 'bob']) {
      const other = await app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: ACME,
        payload: { userId },
      });
      const added = await app.inject({
        method: 'POST',
        url: `/v1/sessions/${other.json<{ id: string }>().id}/turns`,
        headers: ACME,
        payload: { speaker: userId, content: SECRET_TURN },
      });
      expect(added.statusCode).toBe(201);
      if (userId === 'grace')
        ids.set('memories', added.json<{ turns: Array<{ id: string }> }>().turns[0]!.id);
      else ids.set('users', userId);
    }
  });

  /** Acme's id for the resource a route's parameter names (the segment before it). */
  function acmeIdFor(url: string): string {
    const resource = /^\/v1\/([^/]+)\/:/.exec(url)?.[1];
    const id = resource === undefined ? undefined : ids.get(resource);
    if (id === undefined) {
      throw new Error(
        `No fixture for ${url}: teach route-table.test.ts to create one of its resources for tenant acme.`,
      );
    }
    return id;
  }

  const payloads: Record<string, unknown> = {
    'POST /v1/sessions/:id/turns': { speaker: 'ada', content: 'one more turn' },
    // The document's own content: for acme a no-op version, so later checks meet it unchanged.
    'PUT /v1/documents/:id': { content: SECRET_DOC, mimeType: 'text/markdown' },
  };

  function idRoutes(): RegisteredRoute[] {
    const withIds = routes.filter((route) => route.access === 'tenant' && route.url.includes(':'));
    // Deletions last, so every other route meets acme's resources intact.
    return [
      ...withIds.filter((route) => route.method !== 'DELETE'),
      ...withIds.filter((route) => route.method === 'DELETE'),
    ];
  }

  async function call(route: RegisteredRoute, headers: Record<string, string>) {
    const payload = payloads[`${route.method} ${route.url}`];
    return fixture.app.inject({
      method: route.method as 'GET',
      url: concrete(route.url, acmeIdFor(route.url)),
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
      ...(payload === undefined && route.method === 'POST' ? { payload: {} } : {}),
    });
  }

  it('answers 404 to every route that takes an id, and leaves the resource alone', async () => {
    const routesWithIds = idRoutes();
    expect(routesWithIds.length).toBeGreaterThan(5);
    for (const route of routesWithIds) {
      const response = await call(route, UMBRELLA);
      expect(response.statusCode, `${route.method} ${route.url} as umbrella`).toBe(404);
      // The request id is a random UUID: it may hold "4321" by chance, and says nothing of Acme.
      const body = response.body.replace(/"requestId":"[^"]*"/g, '');
      expect(body).not.toContain('4321');
      expect(body).not.toContain('8642');
      expect(body).not.toContain('Alice');
    }
    // Acme's resources are all still there, and every one of those routes does reach them.
    for (const route of routesWithIds) {
      const response = await call(route, ACME);
      expect(response.statusCode, `${route.method} ${route.url} as acme`).not.toBe(404);
      expect(response.statusCode, `${route.method} ${route.url} as acme`).toBeLessThan(500);
    }
  });

  it('keeps ids passed in queries and bodies to their tenant', async () => {
    const { app } = fixture;
    const neighborhood = await app.inject({
      url: `/v1/graph/neighborhood?entity=${encodeURIComponent(ids.get('entities')!)}`,
      headers: UMBRELLA,
    });
    expect(neighborhood.statusCode).toBe(404);
    expect(neighborhood.body).not.toContain('Alice');
    const cited = await app.inject({
      method: 'POST',
      url: '/v1/memories/cited',
      headers: UMBRELLA,
      payload: { ids: [ids.get('memories')] },
    });
    expect(cited.json()).toMatchObject({ updated: [], unknownIds: [ids.get('memories')] });
  });
});
