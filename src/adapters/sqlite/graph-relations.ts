// SQLite graph store, relations (facts): idempotent upserts with their sources in one
// transaction, lookups by subject and predicate, invalidation and revival, and the facts
// touching a set of entities.
//
// Plans: SQLite's planner has no statistics, and searched the facts touching some entities by
// the tenant alone, reading every fact of the tenant. The tenant is repeated in each arm of their
// OR, so each arm searches its own index by tenant and entity; graph-store.test.ts checks the
// plan of every statement the graph contract runs.
import type { NewRelation } from '../../ports/graph-store.js';
import {
  RELATION_COLUMNS,
  RELATION_JOINS,
  toNamedRelation,
  toRelation,
  type RelationRow,
} from '../graph-rows.js';
import type { GraphRelationsPart } from '../graph-store-parts.js';
import type { SqliteHandle } from './database.js';
import { statement } from './statement-cache.js';

export function createSqliteGraphRelations(db: SqliteHandle): GraphRelationsPart {
  const insertRelation = statement(
    db,
    `INSERT INTO graph_relations (id, tenant_id, subject_id, predicate, object_id, valid_at, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, subject_id, predicate, object_id) DO NOTHING`,
  );
  const selectRelation = statement(
    db,
    `SELECT * FROM graph_relations WHERE tenant_id = ? AND subject_id = ? AND predicate = ? AND object_id = ?`,
  );
  const insertSource = statement(
    db,
    `INSERT INTO graph_relation_sources (tenant_id, relation_id, document_id, chunk_id, sentence)
    VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const upsertRelations = db.transaction((tenantId: string, relations: NewRelation[]) =>
    relations.map((relation) => {
      const inserted = insertRelation.run(
        relation.id,
        tenantId,
        relation.subjectId,
        relation.predicate,
        relation.objectId,
        relation.validAt,
        relation.createdAt,
      );
      const row = selectRelation.get(
        tenantId,
        relation.subjectId,
        relation.predicate,
        relation.objectId,
      ) as RelationRow;
      insertSource.run(
        tenantId,
        row.id,
        relation.source.documentId,
        relation.source.chunkId,
        relation.source.sentence,
      );
      return { relation: toRelation(row), created: inserted.changes > 0 };
    }),
  );

  const invalidate = statement(
    db,
    `UPDATE graph_relations SET invalid_at = ?, invalidated_by = ? WHERE tenant_id = ? AND id = ?`,
  );
  const invalidateRelations = db.transaction(
    (tenantId: string, updates: { id: string; invalidAt: number; invalidatedBy: string }[]) => {
      for (const update of updates)
        invalidate.run(update.invalidAt, update.invalidatedBy, tenantId, update.id);
    },
  );

  return {
    async upsertRelations(tenantId, relations) {
      return upsertRelations(tenantId, relations);
    },

    async relationsOf(tenantId, pairs) {
      if (pairs.length === 0) return [];
      const rows = statement(
        db,
        `SELECT r.* FROM json_each(?) p CROSS JOIN graph_relations r
          WHERE r.tenant_id = ? AND r.subject_id = json_extract(p.value, '$[0]') AND r.predicate = json_extract(p.value, '$[1]')
          ORDER BY r.valid_at, r.id`,
      ).all(
        JSON.stringify(pairs.map((p) => [p.subjectId, p.predicate])),
        tenantId,
      ) as RelationRow[];
      return rows.map(toRelation);
    },

    async invalidateRelations(tenantId, updates) {
      invalidateRelations(tenantId, updates);
    },

    async reviveRelation(tenantId, relationId, validAt) {
      statement(
        db,
        `UPDATE graph_relations SET valid_at = ?, invalid_at = NULL, invalidated_by = NULL WHERE tenant_id = ? AND id = ?`,
      ).run(validAt, tenantId, relationId);
    },

    async factsOf(tenantId, entityIds, limit) {
      if (entityIds.length === 0) return [];
      const ids = JSON.stringify(entityIds);
      const rows = statement(
        db,
        `SELECT ${RELATION_COLUMNS} FROM graph_relations r ${RELATION_JOINS}
          WHERE (r.tenant_id = ? AND r.subject_id IN (SELECT value FROM json_each(?))) OR (r.tenant_id = ? AND r.object_id IN (SELECT value FROM json_each(?)))
          ORDER BY r.invalid_at IS NOT NULL, r.valid_at DESC, r.id LIMIT ?`,
      ).all(tenantId, ids, tenantId, ids, limit) as RelationRow[];
      return rows.map(toNamedRelation);
    },
  };
}
