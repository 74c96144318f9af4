// The WHERE fragment both chunk searches share (full text and vectors), over chunks c joined with
// documents d: the tenant, completed documents, and the caller's namespace, documents and
// metadata values.
import { AppError } from '../../domain/errors.js';
import { METADATA_KEY, type ChunkSearchInput } from '../../ports/document-store.js';

export function chunkFilters(input: ChunkSearchInput): { sql: string; params: unknown[] } {
  const parts = [`c.tenant_id = ?`, `d.status = 'completed'`];
  const params: unknown[] = [input.tenantId];
  if (input.namespace !== undefined) {
    parts.push('c.namespace = ?');
    params.push(input.namespace);
  }
  if (input.documentIds !== undefined) {
    parts.push(`c.document_id IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(input.documentIds));
  }
  for (const [key, value] of Object.entries(input.metadata ?? {})) {
    if (!METADATA_KEY.test(key))
      throw new AppError('VALIDATION_FAILED', `Metadata filter key "${key}" is not allowed.`);
    parts.push(`json_extract(d.metadata, '$.${key}') = ?`);
    params.push(typeof value === 'boolean' ? (value ? 1 : 0) : value);
  }
  return { sql: parts.join(' AND '), params };
}
