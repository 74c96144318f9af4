// PostgreSQL adapter of the graph-store port. Name embeddings sit in an untyped pgvector column
// (one embedder per row, filtered by embedder_id, compared with <=>); the neighbourhood is one
// recursive CTE; removeDocument runs in one transaction.
import type pg from 'pg';
import type { EntityType } from '../../ports/extractor.js';
import type {
  EntityCandidate,
  EntityRecord,
  GraphStore,
  Neighborhood,
  NewMention,
  NewRelation,
  RelationRecord,
  RelationSource,
  RelationWithNames,
  RemovedGraph,
  ResolutionMethod,
} from '../../ports/graph-store.js';

interface EntityRow {
  id: string;
  name: string;
  type: string;
  key: string;
  mention_count: string | number;
  created_at: string | number;
  updated_at: string | number;
}

interface RelationRow {
  id: string;
  subject_id: string;
  predicate: string;
  object_id: string;
  valid_at: string | number;
  invalid_at: string | number | null;
  invalidated_by: string | null;
  created_at: string | number;
  subject_name?: string;
  object_name?: string;
}

const ENTITY_COLUMNS = `e.id, e.name, e.type, e.key, e.created_at, e.updated_at, e.mention_count`;

/**
 * Recounts the mentions of some entities. Run after the writing transaction commits, so with
 * concurrent writers the last recount sees every committed mention.
 */
const RECOUNT = `UPDATE graph_entities AS e SET mention_count = (
    SELECT count(*) FROM graph_mentions m WHERE m.tenant_id = e.tenant_id AND m.entity_id = e.id)
  WHERE e.tenant_id = $1 AND e.id = ANY($2::text[])`;

const RELATION_COLUMNS = `r.id, r.subject_id, r.predicate, r.object_id, r.valid_at, r.invalid_at, r.invalidated_by, r.created_at,
  s.name AS subject_name, o.name AS object_name`;

const RELATION_JOINS = `JOIN graph_entities s ON s.id = r.subject_id JOIN graph_entities o ON o.id = r.object_id`;

function toEntity(row: EntityRow): EntityRecord {
  return {
    id: row.id,
    name: row.name,
    type: row.type as EntityType,
    key: row.key,
    mentionCount: Number(row.mention_count),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toRelation(row: RelationRow): RelationRecord {
  return {
    id: row.id,
    subjectId: row.subject_id,
    predicate: row.predicate,
    objectId: row.object_id,
    validAt: Number(row.valid_at),
    invalidAt: row.invalid_at === null ? null : Number(row.invalid_at),
    invalidatedBy: row.invalidated_by,
    createdAt: Number(row.created_at),
  };
}

function toNamedRelation(row: RelationRow): RelationWithNames {
  return { ...toRelation(row), subjectName: row.subject_name ?? '', objectName: row.object_name ?? '' };
}

interface SourceRow {
  relation_id: string;
  document_id: string;
  chunk_id: string;
  sentence: string;
}

/** Evidence per relation, at most MAX_SOURCES_PER_FACT each: a fact repeated in 1,000 chunks needs no 1,000 quotes. */
const MAX_SOURCES_PER_FACT = 5;

function groupSources(rows: SourceRow[]): Map<string, RelationSource[]> {
  const grouped = new Map<string, RelationSource[]>();
  for (const row of rows) {
    const list = grouped.get(row.relation_id) ?? [];
    if (list.length < MAX_SOURCES_PER_FACT) list.push({ documentId: row.document_id, chunkId: row.chunk_id, sentence: row.sentence });
    grouped.set(row.relation_id, list);
  }
  return grouped;
}

function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}

function likeEscape(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

export function createPostgresGraphStore(pool: pg.Pool): GraphStore {
  async function transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async function candidatesFor(db: Queryable, tenantId: string, entityIds: string[]): Promise<EntityCandidate[]> {
    if (entityIds.length === 0) return [];
    const entities = await db.query<EntityRow>(
      `SELECT ${ENTITY_COLUMNS} FROM graph_entities e WHERE e.tenant_id = $1 AND e.id = ANY($2::text[]) ORDER BY e.created_at, e.id`,
      [tenantId, entityIds],
    );
    const aliases = await db.query<{ entity_id: string; key: string }>(
      `SELECT entity_id, key FROM graph_aliases WHERE tenant_id = $1 AND entity_id = ANY($2::text[])`,
      [tenantId, entityIds],
    );
    return entities.rows.map((row) => ({
      entity: toEntity(row),
      aliasKeys: [...new Set([row.key, ...aliases.rows.filter((a) => a.entity_id === row.id).map((a) => a.key)])],
    }));
  }

  async function insertMentions(tenantId: string, mentions: NewMention[]): Promise<void> {
    const column = <K extends keyof NewMention>(key: K) => mentions.map((m) => m[key]);
    await transaction(async (client) => {
      await client.query(
        `INSERT INTO graph_mentions (tenant_id, entity_id, document_id, chunk_id, surface, type, method, score, created_at)
          SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[], $9::bigint[])
          ON CONFLICT DO NOTHING`,
        [tenantId, column('entityId'), column('documentId'), column('chunkId'), column('surface'), column('type'), column('method'), column('score'), column('createdAt')],
      );
      await client.query(
        `INSERT INTO graph_aliases (tenant_id, entity_id, alias, key, prefix, type_class, method, score, document_id, chunk_id, created_at)
          SELECT DISTINCT ON (m.entity_id, m.surface) $1, m.entity_id, m.surface, m.key, substr(m.key, 1, 2), e.type_class, m.method, m.score,
            m.document_id, m.chunk_id, m.created_at
          FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::text[], $9::bigint[])
            AS m(entity_id, surface, key, document_id, chunk_id, score, method, created_at)
          JOIN graph_entities e ON e.tenant_id = $1 AND e.id = m.entity_id
          ON CONFLICT (entity_id, alias) DO NOTHING`,
        [tenantId, column('entityId'), column('surface'), column('aliasKey'), column('documentId'), column('chunkId'), column('score'), column('method'), column('createdAt')],
      );
    });
  }

  async function removeDocument(
    client: pg.PoolClient,
    tenantId: string,
    documentId: string,
  ): Promise<{ removed: RemovedGraph; touchedEntities: string[] }> {
    const touchedRelations = (
      await client.query<{ relation_id: string }>(
        `SELECT DISTINCT relation_id FROM graph_relation_sources WHERE tenant_id = $1 AND document_id = $2`,
        [tenantId, documentId],
      )
    ).rows.map((r) => r.relation_id);
    const touchedEntities = (
      await client.query<{ entity_id: string }>(`SELECT DISTINCT entity_id FROM graph_mentions WHERE tenant_id = $1 AND document_id = $2`, [
        tenantId,
        documentId,
      ])
    ).rows.map((r) => r.entity_id);
    await client.query(`DELETE FROM graph_relation_sources WHERE tenant_id = $1 AND document_id = $2`, [tenantId, documentId]);
    const mentions = (await client.query(`DELETE FROM graph_mentions WHERE tenant_id = $1 AND document_id = $2`, [tenantId, documentId]))
      .rowCount ?? 0;
    await client.query(
      `DELETE FROM graph_aliases a WHERE a.tenant_id = $1 AND a.entity_id = ANY($2::text[])
        AND NOT EXISTS (SELECT 1 FROM graph_mentions m WHERE m.tenant_id = a.tenant_id AND m.entity_id = a.entity_id AND m.surface = a.alias)`,
      [tenantId, touchedEntities],
    );
    const orphanEntities = (
      await client.query<{ id: string }>(
        `SELECT e.id FROM graph_entities e WHERE e.tenant_id = $1 AND e.id = ANY($2::text[])
          AND NOT EXISTS (SELECT 1 FROM graph_mentions m WHERE m.tenant_id = e.tenant_id AND m.entity_id = e.id)`,
        [tenantId, touchedEntities],
      )
    ).rows.map((r) => r.id);
    const doomed = (
      await client.query<{ id: string }>(
        `SELECT r.id FROM graph_relations r WHERE r.tenant_id = $1 AND r.id = ANY($2::text[])
            AND NOT EXISTS (SELECT 1 FROM graph_relation_sources s WHERE s.relation_id = r.id)
          UNION SELECT r.id FROM graph_relations r WHERE r.tenant_id = $1 AND r.subject_id = ANY($3::text[])
          UNION SELECT r.id FROM graph_relations r WHERE r.tenant_id = $1 AND r.object_id = ANY($3::text[])`,
        [tenantId, touchedRelations, orphanEntities],
      )
    ).rows.map((r) => r.id);
    // A fact superseded only by a removed fact is current again — unless another surviving,
    // newer fact for the same subject and predicate supersedes it.
    await client.query(
      `UPDATE graph_relations AS r SET (invalidated_by, invalid_at) = (
          SELECT n.id, n.valid_at FROM graph_relations n WHERE n.tenant_id = r.tenant_id AND n.subject_id = r.subject_id
            AND n.predicate = r.predicate AND n.object_id <> r.object_id AND n.invalid_at IS NULL AND n.valid_at >= r.valid_at
            AND NOT (n.id = ANY($2::text[])) ORDER BY n.valid_at, n.id LIMIT 1)
        WHERE r.tenant_id = $1 AND r.invalidated_by = ANY($2::text[]) AND NOT (r.id = ANY($2::text[]))`,
      [tenantId, doomed],
    );
    const relations = (await client.query(`DELETE FROM graph_relations WHERE tenant_id = $1 AND id = ANY($2::text[])`, [tenantId, doomed]))
      .rowCount ?? 0;
    const entities = (
      await client.query(`DELETE FROM graph_entities WHERE tenant_id = $1 AND id = ANY($2::text[])`, [tenantId, orphanEntities])
    ).rowCount ?? 0;
    // An entity whose display name lost its last mention takes its most-mentioned remaining alias.
    await client.query(
      `UPDATE graph_entities AS e SET name = (
          SELECT a.alias FROM graph_aliases a WHERE a.entity_id = e.id
          ORDER BY (SELECT count(*) FROM graph_mentions m WHERE m.tenant_id = a.tenant_id AND m.entity_id = a.entity_id AND m.surface = a.alias) DESC, a.alias
          LIMIT 1)
        WHERE e.tenant_id = $1 AND e.id = ANY($2::text[])
          AND NOT EXISTS (SELECT 1 FROM graph_aliases a WHERE a.entity_id = e.id AND a.alias = e.name)
          AND EXISTS (SELECT 1 FROM graph_aliases a WHERE a.entity_id = e.id)`,
      [tenantId, touchedEntities],
    );
    return { removed: { mentions, relations, entities }, touchedEntities };
  }

  return {
    async findEntitiesByKeys(tenantId, typeClass, keys) {
      if (keys.length === 0) return [];
      const ids = await pool.query<{ entity_id: string }>(
        `SELECT entity_id FROM graph_aliases WHERE tenant_id = $1 AND type_class = $2 AND key = ANY($3::text[])
          UNION SELECT id FROM graph_entities WHERE tenant_id = $1 AND type_class = $2 AND key = ANY($3::text[])`,
        [tenantId, typeClass, keys],
      );
      return candidatesFor(pool, tenantId, ids.rows.map((r) => r.entity_id));
    },

    async findEntityCandidates(tenantId, typeClass, prefix, limit) {
      const ids = await pool.query<{ entity_id: string }>(
        `SELECT DISTINCT entity_id FROM graph_aliases WHERE tenant_id = $1 AND type_class = $2 AND prefix = $3 LIMIT $4`,
        [tenantId, typeClass, prefix, limit],
      );
      return candidatesFor(pool, tenantId, ids.rows.map((r) => r.entity_id));
    },

    async nearestEntities(tenantId, query) {
      const rows = await pool.query<EntityRow & { distance: number }>(
        `SELECT ${ENTITY_COLUMNS}, e.embedding <=> $1::vector AS distance FROM graph_entities e
          WHERE e.tenant_id = $2 AND e.type_class = $3 AND e.embedder_id = $4 AND e.embedding IS NOT NULL
          ORDER BY distance LIMIT $5`,
        [vectorLiteral(query.vector), tenantId, query.typeClass, query.embedderId, query.limit],
      );
      return rows.rows.map((row) => ({ entity: toEntity(row), similarity: 1 - Number(row.distance) }));
    },

    async createEntity(tenantId, entity) {
      await pool.query(
        `INSERT INTO graph_entities (id, tenant_id, name, type, type_class, key, created_at, updated_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (tenant_id, type_class, key) DO NOTHING`,
        [entity.id, tenantId, entity.name, entity.type, entity.typeClass, entity.key, entity.createdAt],
      );
      const row = await pool.query<EntityRow>(
        `SELECT ${ENTITY_COLUMNS} FROM graph_entities e WHERE e.tenant_id = $1 AND e.type_class = $2 AND e.key = $3`,
        [tenantId, entity.typeClass, entity.key],
      );
      return toEntity(row.rows[0]!);
    },

    async setEntityEmbedding(tenantId, entityId, embedderId, vector) {
      await pool.query(`UPDATE graph_entities SET embedder_id = $1, embedding = $2::vector WHERE tenant_id = $3 AND id = $4`, [
        embedderId,
        vectorLiteral(vector),
        tenantId,
        entityId,
      ]);
    },

    async setEntityType(tenantId, entityId, type) {
      await pool.query(`UPDATE graph_entities SET type = $1 WHERE tenant_id = $2 AND id = $3`, [type, tenantId, entityId]);
    },

    async saveMentions(tenantId, mentions: NewMention[]) {
      if (mentions.length === 0) return;
      await insertMentions(tenantId, mentions);
      await pool.query(RECOUNT, [tenantId, [...new Set(mentions.map((m) => m.entityId))]]);
    },

    async upsertRelations(tenantId, relations) {
      if (relations.length === 0) return [];
      const column = <T>(get: (relation: NewRelation) => T) => relations.map(get);
      return transaction(async (client) => {
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
          [tenantId, column((r) => r.subjectId), column((r) => r.predicate), column((r) => r.objectId)],
        );
        const byKey = new Map(rows.rows.map((row) => [`${row.subject_id}\u0000${row.predicate}\u0000${row.object_id}`, row]));
        const found = relations.map((r) => byKey.get(`${r.subjectId}\u0000${r.predicate}\u0000${r.objectId}`)!);
        await client.query(
          `INSERT INTO graph_relation_sources (tenant_id, relation_id, document_id, chunk_id, sentence)
            SELECT DISTINCT ON (relation_id, chunk_id) $1, relation_id, document_id, chunk_id, sentence
            FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS s(relation_id, document_id, chunk_id, sentence)
            ON CONFLICT DO NOTHING`,
          [tenantId, found.map((row) => row.id), column((r) => r.source.documentId), column((r) => r.source.chunkId), column((r) => r.source.sentence)],
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
        [tenantId, updates.map((u) => u.id), updates.map((u) => u.invalidAt), updates.map((u) => u.invalidatedBy)],
      );
    },

    async reviveRelation(tenantId, relationId, validAt) {
      await pool.query(
        `UPDATE graph_relations SET valid_at = $1, invalid_at = NULL, invalidated_by = NULL WHERE tenant_id = $2 AND id = $3`,
        [validAt, tenantId, relationId],
      );
    },

    async removeDocument(tenantId, documentId) {
      const { removed, touchedEntities } = await transaction((client) => removeDocument(client, tenantId, documentId));
      await pool.query(RECOUNT, [tenantId, touchedEntities]);
      return removed;
    },

    async searchEntities(tenantId, key, limit) {
      const pattern = likeEscape(key);
      const rows = await pool.query<EntityRow>(
        `WITH hits AS (
            SELECT entity_id, MIN(CASE WHEN key = $2 THEN 0 WHEN key LIKE $3 ESCAPE '\\' THEN 1 ELSE 2 END) AS rank
            FROM graph_aliases WHERE tenant_id = $1 AND key LIKE $4 ESCAPE '\\' GROUP BY entity_id)
          SELECT ${ENTITY_COLUMNS}, h.rank FROM hits h JOIN graph_entities e ON e.id = h.entity_id AND e.tenant_id = $1
          ORDER BY h.rank, mention_count DESC, e.name LIMIT $5`,
        [tenantId, key, `${pattern}%`, `%${pattern}%`, limit],
      );
      return rows.rows.map(toEntity);
    },

    async getEntity(tenantId, entityId, limits) {
      const maxMentions = limits.mentions;
      const row = (await pool.query<EntityRow>(`SELECT ${ENTITY_COLUMNS} FROM graph_entities e WHERE e.tenant_id = $1 AND e.id = $2`, [tenantId, entityId]))
        .rows[0];
      if (row === undefined) return null;
      const aliases = await pool.query<{ alias: string; key: string; method: string; score: number; document_id: string; chunk_id: string }>(
        `SELECT alias, key, method, score, document_id, chunk_id FROM graph_aliases WHERE tenant_id = $1 AND entity_id = $2 ORDER BY created_at, alias`,
        [tenantId, entityId],
      );
      const facts = await pool.query<RelationRow>(
        `SELECT ${RELATION_COLUMNS} FROM graph_relations r ${RELATION_JOINS}
          WHERE r.tenant_id = $1 AND (r.subject_id = $2 OR r.object_id = $2) ORDER BY r.invalid_at IS NOT NULL, r.valid_at DESC, r.id
          LIMIT $3`,
        [tenantId, entityId, limits.facts + 1],
      );
      const sources = groupSources(
        (
          await pool.query<SourceRow>(
            `SELECT relation_id, document_id, chunk_id, sentence FROM graph_relation_sources
              WHERE tenant_id = $1 AND relation_id = ANY($2::text[]) ORDER BY relation_id, document_id, chunk_id`,
            [tenantId, facts.rows.map((f) => f.id)],
          )
        ).rows,
      );
      const mentions = await pool.query<{
        entity_id: string; document_id: string; chunk_id: string; surface: string; type: string; method: string; score: number; created_at: string;
      }>(
        `SELECT * FROM graph_mentions WHERE tenant_id = $1 AND entity_id = $2 ORDER BY created_at, document_id, chunk_id, surface LIMIT $3`,
        [tenantId, entityId, maxMentions + 1],
      );
      return {
        entity: toEntity(row),
        aliases: aliases.rows.map((a) => ({
          alias: a.alias,
          key: a.key,
          method: a.method as ResolutionMethod,
          score: Number(a.score),
          documentId: a.document_id,
          chunkId: a.chunk_id,
        })),
        facts: facts.rows.slice(0, limits.facts).map((row) => ({ ...toNamedRelation(row), sources: sources.get(row.id) ?? [] })),
        factsTruncated: facts.rows.length > limits.facts,
        mentions: mentions.rows.slice(0, maxMentions).map((m) => ({
          entityId: m.entity_id,
          documentId: m.document_id,
          chunkId: m.chunk_id,
          surface: m.surface,
          type: m.type as EntityType,
          method: m.method as ResolutionMethod,
          score: Number(m.score),
          createdAt: Number(m.created_at),
        })),
        mentionsTruncated: mentions.rows.length > maxMentions,
      };
    },

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
      return {
        entities: kept.map((row) => ({ ...toEntity(row), depth: Number(row.depth) })),
        relations: relations.rows.slice(0, query.maxRelations).map(toNamedRelation),
        truncated: reached.rows.length > query.maxEntities || relations.rows.length > query.maxRelations,
      };
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

    async countDocument(tenantId, documentId) {
      const row = (
        await pool.query<{ entities: string; relations: string }>(
          `SELECT
            (SELECT count(DISTINCT entity_id) FROM graph_mentions WHERE tenant_id = $1 AND document_id = $2) AS entities,
            (SELECT count(DISTINCT relation_id) FROM graph_relation_sources WHERE tenant_id = $1 AND document_id = $2) AS relations`,
          [tenantId, documentId],
        )
      ).rows[0]!;
      return { entities: Number(row.entities), relations: Number(row.relations) };
    },
  };
}
