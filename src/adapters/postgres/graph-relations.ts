// PostgreSQL graph store, relations (facts): idempotent batch upserts with their sources in one
// transaction, lookups by subject and predicate, invalidation and revival, and the facts
// touching a set of entities.
import type { NewRelation } from '../../ports/graph-store.js';
import {
  RELATION_COLUMNS,
  RELATION_JOINS,
  toNamedRelation,
  toRelation,
  type RelationRow,
} from '../graph-rows.js';
import type { GraphRelationsPart } from '../graph-store-parts.js';
import { withTransaction, type Queryable } from './transaction.js';

export function createPostgresGraphRelations(pool: Queryable): GraphRelationsPart {
  return {
    async upsertRelations(tenantId, relations) {
      if (relations.length === 0) return [];
      const column = <T>(get: (relation: NewRelation) => T) => relations.map(get);
      return withTransaction(pool, async (client) => {
        // Three statements for the whole batch: insert the new, read back all, record every source.
        const inserted = await client.query<{ id: string }>(
          `INSERT INTO graph_relations (id, tenant_id, subject_id, predicate, object_id, valid_at, created_at)
            SELECT DISTINCT ON (subject_id, predicate, object_id) id, $1, subject_id, predicate, object_id, valid_at, created_at
            FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
              AS n(id, subject_id, predicate, object_id, valid_at, created_at)
            ON CONFLICT (tenant_id, subject_id, predicate, object_id) DO NOTHING RETURNING id`,
          [
            tenantId,
            column((r) => r.id),
            column((r) => r.subjectId),
            column((r) => r.predicate),
            column((r) => r.objectId),
            column((r) => r.validAt),
            column((r) => r.createdAt),
          ],
        );
        const createdIds = new Set(inserted.rows.map((row) => row.id));
        const rows = await client.query<RelationRow>(
          `SELECT r.* FROM graph_relations r
            JOIN unnest($2::text[], $3::text[], $4::text[]) AS k(subject_id, predicate, object_id)
              ON r.subject_id = k.subject_id AND r.predicate = k.predicate AND r.object_id = k.object_id
            WHERE r.tenant_id = $1`,
          [
            tenantId,
            column((r) => r.subjectId),
            column((r) => r.predicate),
            column((r) => r.objectId),
          ],
        );
        const byKey = new Map(
          rows.rows.map((row) => [
            `${row.subject_id}\u0000${row.predicate}\u0000${row.object_id}`,
            row,
          ]),
        );
        const found = relations.map((r) =>
          byKey.get(`${r.subjectId}\u0000${r.predicate}\u0000${r.objectId}`)!,
        );
        await client.query(
          `INSERT INTO graph_relation_sources (tenant_id, relation_id, document_id, chunk_id, sentence)
            SELECT DISTINCT ON (relation_id, chunk_id) $1, relation_id, document_id, chunk_id, sentence
            FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS s(relation_id, document_id, chunk_id, sentence)
            ON CONFLICT DO NOTHING`,
          [
            tenantId,
            found.map((row) => row.id),
            column((r) => r.source.documentId),
            column((r) => r.source.chunkId),
            column((r) => r.source.sentence),
          ],
        );
        // A relation new in this batch counts as created once: for its first occurrence.
        const seen = new Set<string>();
        return found.map((row) => {
          const created = createdIds.has(row.id) && !seen.has(row.id);
          seen.add(row.id);
          return { relation: toRelation(row), created };
        });
      });
    },

    async relationsOf(tenantId, pairs) {
      if (pairs.length === 0) return [];
      const rows = await pool.query<RelationRow>(
        `SELECT r.* FROM graph_relations r
          JOIN (SELECT DISTINCT * FROM unnest($2::text[], $3::text[]) AS p(subject_id, predicate)) p
            ON r.subject_id = p.subject_id AND r.predicate = p.predicate
          WHERE r.tenant_id = $1 ORDER BY r.valid_at, r.id`,
        [tenantId, pairs.map((p) => p.subjectId), pairs.map((p) => p.predicate)],
      );
      return rows.rows.map(toRelation);
    },

    async invalidateRelations(tenantId, updates) {
      if (updates.length === 0) return;
      await pool.query(
        `UPDATE graph_relations r SET invalid_at = u.invalid_at, invalidated_by = u.invalidated_by
          FROM unnest($2::text[], $3::bigint[], $4::text[]) AS u(id, invalid_at, invalidated_by)
          WHERE r.tenant_id = $1 AND r.id = u.id`,
        [
          tenantId,
          updates.map((u) => u.id),
          updates.map((u) => u.invalidAt),
          updates.map((u) => u.invalidatedBy),
        ],
      );
    },

    async reviveRelation(tenantId, relationId, validAt) {
      await pool.query(
        `UPDATE graph_relations SET valid_at = $1, invalid_at = NULL, invalidated_by = NULL WHERE tenant_id = $2 AND id = $3`,
        [validAt, tenantId, relationId],
      );
    },

    async factsOf(tenantId, entityIds, limit) {
      if (entityIds.length === 0) return [];
      const rows = await pool.query<RelationRow>(
        `SELECT ${RELATION_COLUMNS} FROM graph_relations r ${RELATION_JOINS}
          WHERE r.tenant_id = $1 AND (r.subject_id = ANY($2::text[]) OR r.object_id = ANY($2::text[]))
          ORDER BY r.invalid_at IS NOT NULL, r.valid_at DESC, r.id LIMIT $3`,
        [tenantId, entityIds, limit],
      );
      return rows.rows.map(toNamedRelation);
    },
  };
}
