// Who may call each route, decided once per registered route (its template, never the raw URL:
// the router decodes "/%761/…" to "/v1/…", so a prefix test on request.url can be walked around).
// Every route not named in PUBLIC_ROUTES needs a tenant's API key, so a new route is protected
// by default. The table of registered routes is kept for the route-table tests.
import type { FastifyRequest, RouteOptions } from 'fastify';
import type { EngramApp } from './engram-app.js';

/**
 * probe: open and never rate limited (load balancers, orchestrators).
 * public: open, rate limited per client address.
 * metrics: ENGRAM_METRICS_TOKEN when set; closed when API keys are set without one.
 * tenant: an API key when keys are configured; acts for that key's tenant.
 */
export type RouteAccess = 'probe' | 'public' | 'metrics' | 'tenant';

/** The one list of routes that need no tenant key. Templates, as registered. */
export const PUBLIC_ROUTES: ReadonlyArray<{ url: string | RegExp; access: RouteAccess }> = [
  { url: '/health', access: 'probe' },
  { url: '/ready', access: 'probe' },
  { url: '/metrics', access: 'metrics' },
  // The OpenAPI document and its UI (static files under /docs/static/…).
  { url: /^\/docs(\/.*)?$/, access: 'public' },
  // The console's page and bundle: it holds no data; it calls the API with the person's key.
  { url: '/', access: 'public' },
  { url: /^\/console(\/.*)?$/, access: 'public' },
];

export interface RegisteredRoute {
  method: string;
  url: string;
  access: RouteAccess;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

export function accessOf(url: string): RouteAccess {
  for (const entry of PUBLIC_ROUTES) {
    if (typeof entry.url === 'string' ? entry.url === url : entry.url.test(url)) {
      return entry.access;
    }
  }
  return 'tenant';
}

const tables = new WeakMap<object, RegisteredRoute[]>();

/** Tags every route registered from now on (children included) with its access. */
export function installRouteAccess(app: EngramApp): void {
  const table: RegisteredRoute[] = [];
  tables.set(app, table);
  app.addHook('onRoute', (route: RouteOptions) => {
    const access = accessOf(route.url);
    route.config = { ...route.config, access };
    for (const method of [route.method].flat()) table.push({ method, url: route.url, access });
  });
}

/** The routes registered on `app`, with the access each was given. */
export function registeredRoutes(app: EngramApp): readonly RegisteredRoute[] {
  return tables.get(app) ?? [];
}

/**
 * The access of the route a request matched; undefined for a 404. A route registered where
 * installRouteAccess was not installed counts as a tenant route: fail closed.
 */
export function accessOfRequest(request: FastifyRequest): RouteAccess | undefined {
  if (request.is404) return undefined;
  return request.routeOptions.config.access ?? 'tenant';
}
