// The tenant the current work runs for, carried through async calls (AsyncLocalStorage), so
// code far from the request — a model call's telemetry recorder — knows whom to attribute it
// to without every port passing a tenant along. Set where work for one tenant starts: each HTTP
// request (its tenant is read when asked, after auth has resolved it), each job, each per-tenant
// step of background work. Outside any scope the answer is undefined.
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<() => string>();

/** Runs `work` (and everything it awaits or starts) as work for `tenantId`. */
export function runForTenant<T>(tenantId: string, work: () => T): T {
  return scope.run(() => tenantId, work);
}

/** Like runForTenant, with the tenant read lazily (an HTTP request's, once authenticated). */
export function runForLazyTenant<T>(tenantOf: () => string, work: () => T): T {
  return scope.run(tenantOf, work);
}

/** The tenant of the current scope, or undefined outside every scope. */
export function currentTenant(): string | undefined {
  return scope.getStore()?.();
}
