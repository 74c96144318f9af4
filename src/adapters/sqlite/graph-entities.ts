// SQLite graph store, entities and aliases: the lookups entity resolution needs (by alias key,
// by key prefix, by name embedding through sqlite-vec's vec_distance_cosine, brute force per
// tenant and type class), entity writes, mentions with the aliases they introduce, name search
// and an entity's detail.
//
// Plans: SQLite's planner has no statistics, and took `tenant_id = ?` over `id IN (…)`, reading
// every row of the tenant's index to find a few named by id. Such statements write `+tenant_id`
// (the test still applied, no longer choosing the index), and an entity's facts repeat the
// tenant in each arm of their OR; graph-store.test.ts checks the plan of every statement the
// graph contract runs.
import type { EntityCandidate, NewEntity, NewMention } from '../../ports/graph-store.js';
import {
  ENTITY_COLUMNS,
  RELATION_COLUMNS,
  RELATION_JOINS,
  toCandidates,
  toEntity,
  toEntityDetail,
  toMention,
  type AliasKeyRow,
  type AliasRow,
  type EntityRow,
  type MentionRow,
  type RelationRow,
} from '../graph-rows.js';
import type { GraphEntitiesPart } from '../graph-store-parts.js';
import type { SourceRow } from '../graph-sources.js';
import { likeEscape } from '../like-pattern.js';
import type { SqliteHandle } from './database.js';
import { vectorBlob } from './vector-blob.js';
import { statement } from './statement-cache.js';

/** Recounts the mentions of some entities (after mentions were added or removed). */
export const RECOUNT = `UPDATE graph_entities AS e SET mention_count = (
    SELECT count(*) FROM graph_mentions m WHERE m.tenant_id = e.tenant_id AND m.entity_id = e.id)
  WHERE +e.tenant_id = ? AND e.id IN (SELECT value FROM json_each(?))`;

export function createSqliteGraphEntities(db: SqliteHandle): GraphEntitiesPart {
  const candidatesFor = (tenantId: string, entityIds: string[]): EntityCandidate[] => {
    if (entityIds.length === 0) return [];
    const entities = statement(
      db,
      `SELECT ${ENTITY_COLUMNS} FROM graph_entities e WHERE +e.tenant_id = ? AND e.id IN (SELECT value FROM json_each(?)) ORDER BY e.created_at, e.id`,
    ).all(tenantId, JSON.stringify(entityIds)) as EntityRow[];
    const aliases = statement(
      db,
      `SELECT entity_id, key FROM graph_aliases WHERE +tenant_id = ? AND entity_id IN (SELECT value FROM json_each(?))`,
    ).all(tenantId, JSON.stringify(entityIds)) as AliasKeyRow[];
    return toCandidates(entities, aliases);
  };

  const insertAlias = statement(
    db,
    `INSERT INTO graph_aliases
      (tenant_id, entity_id, alias, key, prefix, type_class, method, score, document_id, chunk_id, created_at)
    SELECT @tenantId, @entityId, @surface, @aliasKey, substr(@aliasKey, 1, 2), e.type_class, @method, @score, @documentId, @chunkId, @createdAt
    FROM graph_entities e WHERE e.tenant_id = @tenantId AND e.id = @entityId
    ON CONFLICT (entity_id, alias) DO NOTHING`,
  );
  const insertMention = statement(
    db,
    `INSERT INTO graph_mentions
      (tenant_id, entity_id, document_id, chunk_id, surface, type, method, score, created_at)
    VALUES (@tenantId, @entityId, @documentId, @chunkId, @surface, @type, @method, @score, @createdAt)
    ON CONFLICT DO NOTHING`,
  );

  const addToCount = statement(
    db,
    'UPDATE graph_entities SET mention_count = mention_count + ? WHERE tenant_id = ? AND id = ?',
  );
  // A document names the same entity the same way many times: its alias is tried once (a later
  // insert of the same pair would do nothing), and each entity's count grows by the mentions that
  // went in (counting every mention of the entity again cost more as the store grew).
  const saveMentions = db.transaction((tenantId: string, mentions: NewMention[]) => {
    const aliasesTried = new Set<string>();
    const added = new Map<string, number>();
    for (const mention of mentions) {
      const params = { tenantId, ...mention };
      const { changes } = insertMention.run(params);
      added.set(mention.entityId, (added.get(mention.entityId) ?? 0) + changes);
      const alias = `${mention.entityId}\u0000${mention.surface}`;
      if (aliasesTried.has(alias)) continue;
      aliasesTried.add(alias);
      insertAlias.run(params);
    }
    for (const [entityId, count] of added) if (count > 0) addToCount.run(count, tenantId, entityId);
  });

  return {
    async findEntitiesByKeys(tenantId, typeClass, keys) {
      if (keys.length === 0) return [];
      const ids = statement(
        db,
        `SELECT DISTINCT entity_id FROM graph_aliases WHERE tenant_id = ? AND type_class = ? AND key IN (SELECT value FROM json_each(?))
          UNION SELECT id FROM graph_entities WHERE tenant_id = ? AND type_class = ? AND key IN (SELECT value FROM json_each(?))`,
      ).all(
        tenantId,
        typeClass,
        JSON.stringify(keys),
        tenantId,
        typeClass,
        JSON.stringify(keys),
      ) as { entity_id: string }[];
      return candidatesFor(
        tenantId,
        ids.map((r) => r.entity_id),
      );
    },

    async findEntityCandidates(tenantId, typeClass, prefix, limit) {
      const ids = statement(
        db,
        `SELECT DISTINCT entity_id FROM graph_aliases WHERE tenant_id = ? AND type_class = ? AND prefix = ? LIMIT ?`,
      ).all(tenantId, typeClass, prefix, limit) as { entity_id: string }[];
      return candidatesFor(
        tenantId,
        ids.map((r) => r.entity_id),
      );
    },

    async nearestEntities(tenantId, query) {
      const rows = statement(
        db,
        `SELECT ${ENTITY_COLUMNS}, vec_distance_cosine(e.embedding, ?) AS distance FROM graph_entities e
          WHERE e.tenant_id = ? AND e.type_class = ? AND e.embedder_id = ? AND e.embedding IS NOT NULL
          ORDER BY distance LIMIT ?`,
      ).all(
        vectorBlob(query.vector),
        tenantId,
        query.typeClass,
        query.embedderId,
        query.limit,
      ) as (EntityRow & { distance: number })[];
      return rows.map((row) => ({ entity: toEntity(row), similarity: 1 - row.distance }));
    },

    async createEntity(tenantId, entity: NewEntity) {
      statement(
        db,
        `INSERT INTO graph_entities (id, tenant_id, name, type, type_class, key, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, type_class, key) DO NOTHING`,
      ).run(
        entity.id,
        tenantId,
        entity.name,
        entity.type,
        entity.typeClass,
        entity.key,
        entity.createdAt,
        entity.createdAt,
      );
      const row = statement(
        db,
        `SELECT ${ENTITY_COLUMNS} FROM graph_entities e WHERE e.tenant_id = ? AND e.type_class = ? AND e.key = ?`,
      ).get(tenantId, entity.typeClass, entity.key) as EntityRow;
      return toEntity(row);
    },

    async setEntityEmbedding(tenantId, entityId, embedderId, vector) {
      statement(
        db,
        `UPDATE graph_entities SET embedder_id = ?, embedding = ? WHERE tenant_id = ? AND id = ?`,
      ).run(embedderId, vectorBlob(vector), tenantId, entityId);
    },

    async setEntityType(tenantId, entityId, type) {
      statement(db, `UPDATE graph_entities SET type = ? WHERE tenant_id = ? AND id = ?`).run(
        type,
        tenantId,
        entityId,
      );
    },

    async saveMentions(tenantId, mentions) {
      saveMentions(tenantId, mentions);
    },

    async searchEntities(tenantId, key, limit) {
      const pattern = likeEscape(key);
      const rows = statement(
        db,
        `WITH hits AS (
            SELECT entity_id, MIN(CASE WHEN key = @key THEN 0 WHEN key LIKE @prefix ESCAPE '\\' THEN 1 ELSE 2 END) AS rank
            FROM graph_aliases WHERE tenant_id = @tenantId AND key LIKE @infix ESCAPE '\\' GROUP BY entity_id)
          SELECT ${ENTITY_COLUMNS}, h.rank FROM hits h JOIN graph_entities e ON e.id = h.entity_id AND +e.tenant_id = @tenantId
          ORDER BY h.rank, mention_count DESC, e.name LIMIT @limit`,
      ).all({ tenantId, key, prefix: `${pattern}%`, infix: `%${pattern}%`, limit }) as EntityRow[];
      return rows.map(toEntity);
    },

    async getEntity(tenantId, entityId, limits) {
      const row = statement(
        db,
        `SELECT ${ENTITY_COLUMNS} FROM graph_entities e WHERE e.tenant_id = ? AND e.id = ?`,
      ).get(tenantId, entityId) as EntityRow | undefined;
      if (row === undefined) return null;
      const aliases = statement(
        db,
        `SELECT alias, key, method, score, document_id, chunk_id FROM graph_aliases WHERE +tenant_id = ? AND entity_id = ? ORDER BY created_at, alias`,
      ).all(tenantId, entityId) as AliasRow[];
      const facts = statement(
        db,
        `SELECT ${RELATION_COLUMNS} FROM graph_relations r ${RELATION_JOINS}
          WHERE (r.tenant_id = ? AND r.subject_id = ?) OR (r.tenant_id = ? AND r.object_id = ?) ORDER BY r.invalid_at IS NOT NULL, r.valid_at DESC, r.id LIMIT ?`,
      ).all(tenantId, entityId, tenantId, entityId, limits.facts + 1) as RelationRow[];
      const sources = statement(
        db,
        `SELECT relation_id, document_id, chunk_id, sentence FROM graph_relation_sources
            WHERE +tenant_id = ? AND relation_id IN (SELECT value FROM json_each(?)) ORDER BY relation_id, document_id, chunk_id`,
      ).all(tenantId, JSON.stringify(facts.map((f) => f.id))) as SourceRow[];
      const mentions = statement(
        db,
        `SELECT * FROM graph_mentions WHERE tenant_id = ? AND entity_id = ? ORDER BY created_at, document_id, chunk_id, surface LIMIT ?`,
      ).all(tenantId, entityId, limits.mentions + 1) as MentionRow[];
      return toEntityDetail({ entity: row, aliases, facts, sources, mentions }, limits);
    },

    async entityMentions(tenantId, entityId, after, limit) {
      const exists = statement(
        db,
        `SELECT 1 FROM graph_entities WHERE tenant_id = ? AND id = ?`,
      ).get(tenantId, entityId);
      if (exists === undefined) return null;
      const position = after ?? { createdAt: -1, documentId: '', chunkId: '', surface: '' };
      const rows = statement(
        db,
        `SELECT * FROM graph_mentions WHERE tenant_id = ? AND entity_id = ?
            AND (created_at, document_id, chunk_id, surface) > (?, ?, ?, ?)
            ORDER BY created_at, document_id, chunk_id, surface LIMIT ?`,
      ).all(
        tenantId,
        entityId,
        position.createdAt,
        position.documentId,
        position.chunkId,
        position.surface,
        limit,
      ) as MentionRow[];
      return rows.map(toMention);
    },
  };
}
