// PostgreSQL memory store, scope filters: WHERE clauses (on alias m) for a memory scope, with
// their numbered parameters appended to the query's values.
import type { MemoryScope } from '../../ports/memory-store.js';

export class ScopeBuilder {
  readonly clauses: string[] = [];
  constructor(readonly values: unknown[]) {}
  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  add(scope: MemoryScope): string {
    this.clauses.push(`m.tenant_id = ${this.param(scope.tenantId)}`);
    if (scope.userId !== undefined) {
      this.clauses.push(
        scope.userId === null ? 'm.user_id IS NULL' : `m.user_id = ${this.param(scope.userId)}`,
      );
    }
    if (scope.sessionId !== undefined)
      this.clauses.push(`m.session_id = ${this.param(scope.sessionId)}`);
    if (scope.tiers !== undefined)
      this.clauses.push(`m.tier = ANY(${this.param(scope.tiers)}::text[])`);
    if (scope.kinds !== undefined)
      this.clauses.push(`m.kind = ANY(${this.param(scope.kinds)}::text[])`);
    if (scope.timeRange?.from !== undefined)
      this.clauses.push(`m.occurred_at >= ${this.param(scope.timeRange.from)}`);
    if (scope.timeRange?.to !== undefined)
      this.clauses.push(`m.occurred_at < ${this.param(scope.timeRange.to)}`);
    return this.clauses.join(' AND ');
  }
}
