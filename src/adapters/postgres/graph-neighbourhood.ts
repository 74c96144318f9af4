// PostgreSQL graph store, neighbourhood: one recursive CTE walking relations out and in, then the
// relations among the entities reached.
import type { Neighborhood } from '../../ports/graph-store.js';
import {
  ENTITY_COLUMNS,
  RELATION_COLUMNS,
  RELATION_JOINS,
  toEntity,
  toNamedRelation,
  type EntityRow,
  type RelationRow,
} from '../graph-rows.js';
import { groupSources, type SourceRow } from '../graph-sources.js';
import type { GraphNeighbourhoodPart } from '../graph-store-parts.js';
import type { Queryable } from './transaction.js';

export function createPostgresGraphNeighbourhood(pool: Queryable): GraphNeighbourhoodPart {
  return {
    async neighborhood(tenantId, query): Promise<Neighborhood> {
      const reached = await pool.query<EntityRow & { depth: number }>(
        `WITH RECURSIVE walk(id, depth) AS (
            SELECT $2::text, 0
            UNION
            SELECT n.id, w.depth + 1 FROM walk w CROSS JOIN LATERAL (
              SELECT r.object_id AS id FROM graph_relations r
              WHERE r.tenant_id = $1 AND r.subject_id = w.id AND ($4 OR r.invalid_at IS NULL)
              UNION ALL
              SELECT r.subject_id FROM graph_relations r
              WHERE r.tenant_id = $1 AND r.object_id = w.id AND ($4 OR r.invalid_at IS NULL)) n
            WHERE w.depth < $3)
          SELECT ${ENTITY_COLUMNS}, MIN(w.depth) AS depth FROM walk w JOIN graph_entities e ON e.id = w.id AND e.tenant_id = $1
          GROUP BY e.id ORDER BY depth, mention_count DESC, e.id LIMIT $5`,
        [tenantId, query.entityId, query.depth, query.includeInvalid, query.maxEntities + 1],
      );
      const kept = reached.rows.slice(0, query.maxEntities);
      const ids = kept.map((row) => row.id);
      const relations = await pool.query<RelationRow>(
        `SELECT ${RELATION_COLUMNS} FROM graph_relations r ${RELATION_JOINS}
          WHERE r.tenant_id = $1 AND r.subject_id = ANY($2::text[]) AND r.object_id = ANY($2::text[]) AND ($3 OR r.invalid_at IS NULL)
          ORDER BY r.invalid_at IS NOT NULL, r.valid_at DESC, r.id LIMIT $4`,
        [tenantId, ids, query.includeInvalid, query.maxRelations + 1],
      );
      const shown = relations.rows.slice(0, query.maxRelations);
      const sources = await pool.query<SourceRow>(
        `SELECT relation_id, document_id, chunk_id, sentence FROM graph_relation_sources
          WHERE tenant_id = $1 AND relation_id = ANY($2::text[]) ORDER BY relation_id, document_id, chunk_id`,
        [tenantId, shown.map((r) => r.id)],
      );
      const grouped = groupSources(sources.rows);
      return {
        entities: kept.map((row) => ({ ...toEntity(row), depth: Number(row.depth) })),
        relations: shown.map((row) => ({
          ...toNamedRelation(row),
          sources: grouped.get(row.id) ?? [],
        })),
        truncated:
          reached.rows.length > query.maxEntities || relations.rows.length > query.maxRelations,
      };
    },
  };
}
