// Evidence of facts: groups graph_relation_sources rows by relation, capped per fact. Shared by
// the SQLite and PostgreSQL graph stores.
import type { RelationSource } from '../ports/graph-store.js';

export interface SourceRow {
  relation_id: string;
  document_id: string;
  chunk_id: string;
  sentence: string;
}

/** Evidence per relation, at most MAX_SOURCES_PER_FACT each: a fact repeated in 1,000 chunks needs no 1,000 quotes. */
export const MAX_SOURCES_PER_FACT = 5;

export function groupSources(rows: SourceRow[]): Map<string, RelationSource[]> {
  const grouped = new Map<string, RelationSource[]>();
  for (const row of rows) {
    const list = grouped.get(row.relation_id) ?? [];
    if (list.length < MAX_SOURCES_PER_FACT)
      list.push({ documentId: row.document_id, chunkId: row.chunk_id, sentence: row.sentence });
    grouped.set(row.relation_id, list);
  }
  return grouped;
}
