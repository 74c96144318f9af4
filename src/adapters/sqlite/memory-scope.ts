// SQLite memory store, scope filters: WHERE clauses (on alias m) and their parameters for a
// memory scope, shared by search and counting.
import type { MemoryScope } from '../../ports/memory-store.js';

/** WHERE clauses (on alias m) and their parameters for a scope. */
export function scopeClauses(scope: MemoryScope): { sql: string; params: unknown[] } {
  const clauses = ['m.tenant_id = ?'];
  const params: unknown[] = [scope.tenantId];
  if (scope.userId !== undefined) {
    if (scope.userId === null) clauses.push('m.user_id IS NULL');
    else {
      clauses.push('m.user_id = ?');
      params.push(scope.userId);
    }
  }
  if (scope.sessionId !== undefined) {
    clauses.push('m.session_id = ?');
    params.push(scope.sessionId);
  }
  if (scope.tiers !== undefined) {
    clauses.push(`m.tier IN (${scope.tiers.map(() => '?').join(', ') || 'NULL'})`);
    params.push(...scope.tiers);
  }
  if (scope.kinds !== undefined) {
    clauses.push(`m.kind IN (${scope.kinds.map(() => '?').join(', ') || 'NULL'})`);
    params.push(...scope.kinds);
  }
  if (scope.timeRange?.from !== undefined) {
    clauses.push('m.occurred_at >= ?');
    params.push(scope.timeRange.from);
  }
  if (scope.timeRange?.to !== undefined) {
    clauses.push('m.occurred_at < ?');
    params.push(scope.timeRange.to);
  }
  return { sql: clauses.join(' AND '), params };
}
