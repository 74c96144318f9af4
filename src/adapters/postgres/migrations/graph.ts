// Knowledge-graph tables of the PostgreSQL store: entities, aliases, mentions, relations and the
// sources (chunks) that support each relation.
import type { Migration } from '../../migration.js';

export const graphMigrations: Migration[] = [
  {
    version: 150,
    name: 'graph',
    sql: `
      CREATE TABLE graph_entities (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        type_class TEXT NOT NULL,
        key TEXT NOT NULL,
        embedder_id TEXT,
        embedding vector,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        UNIQUE (tenant_id, type_class, key)
      );
      CREATE TABLE graph_aliases (
        tenant_id TEXT NOT NULL,
        entity_id TEXT NOT NULL REFERENCES graph_entities (id) ON DELETE CASCADE,
        alias TEXT NOT NULL,
        key TEXT NOT NULL,
        prefix TEXT NOT NULL,
        type_class TEXT NOT NULL,
        method TEXT NOT NULL,
        score DOUBLE PRECISION NOT NULL,
        document_id TEXT NOT NULL,
        chunk_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (entity_id, alias)
      );
      CREATE INDEX graph_aliases_key ON graph_aliases (tenant_id, type_class, key);
      CREATE INDEX graph_aliases_prefix ON graph_aliases (tenant_id, type_class, prefix);
      CREATE INDEX graph_aliases_search ON graph_aliases (tenant_id, key);
      CREATE TABLE graph_mentions (
        tenant_id TEXT NOT NULL,
        entity_id TEXT NOT NULL REFERENCES graph_entities (id) ON DELETE CASCADE,
        document_id TEXT NOT NULL,
        chunk_id TEXT NOT NULL,
        surface TEXT NOT NULL,
        type TEXT NOT NULL,
        method TEXT NOT NULL,
        score DOUBLE PRECISION NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, document_id, chunk_id, entity_id, surface)
      );
      CREATE INDEX graph_mentions_entity ON graph_mentions (tenant_id, entity_id);
      CREATE TABLE graph_relations (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        subject_id TEXT NOT NULL REFERENCES graph_entities (id) ON DELETE CASCADE,
        predicate TEXT NOT NULL,
        object_id TEXT NOT NULL REFERENCES graph_entities (id) ON DELETE CASCADE,
        valid_at BIGINT NOT NULL,
        invalid_at BIGINT,
        invalidated_by TEXT,
        created_at BIGINT NOT NULL,
        UNIQUE (tenant_id, subject_id, predicate, object_id)
      );
      CREATE INDEX graph_relations_object ON graph_relations (tenant_id, object_id);
      CREATE INDEX graph_relations_invalidated_by ON graph_relations (tenant_id, invalidated_by);
      CREATE TABLE graph_relation_sources (
        tenant_id TEXT NOT NULL,
        relation_id TEXT NOT NULL REFERENCES graph_relations (id) ON DELETE CASCADE,
        document_id TEXT NOT NULL,
        chunk_id TEXT NOT NULL,
        sentence TEXT NOT NULL,
        PRIMARY KEY (relation_id, chunk_id)
      );
      CREATE INDEX graph_relation_sources_document ON graph_relation_sources (tenant_id, document_id);
    `,
  },
  {
    version: 151,
    name: 'graph relations by subject',
    // The neighbourhood walk follows relations from both ends; each end gets its own index so the
    // planner never falls back to scanning a tenant's relations (SQLite did, without ANALYZE stats).
    sql: `CREATE INDEX graph_relations_subject ON graph_relations (tenant_id, subject_id);`,
  },
  {
    version: 152,
    name: 'graph entity mention counts',
    // Kept on the entity so search and neighbourhoods can order by it without counting mentions
    // per row (that count was most of a 2-hop neighbourhood's time on PostgreSQL).
    sql: `
      ALTER TABLE graph_entities ADD COLUMN mention_count INTEGER NOT NULL DEFAULT 0;
      UPDATE graph_entities SET mention_count = (
        SELECT count(*) FROM graph_mentions m WHERE m.tenant_id = graph_entities.tenant_id AND m.entity_id = graph_entities.id);
    `,
  },
  {
    version: 153,
    name: 'graph child keys lead their indexes',
    // Deleting an entity looks up the mentions and relations that refer to it by entity id alone
    // (its foreign keys' cascades); with the tenant first in their indexes, every deleted entity
    // read all mentions and relations of every tenant (4 s to delete 50 entities next to 300,000
    // mentions). Led by the entity's id, the same indexes serve the cascades and every look-up by
    // tenant and entity.
    sql: `
      DROP INDEX graph_mentions_entity;
      CREATE INDEX graph_mentions_entity ON graph_mentions (entity_id, tenant_id);
      DROP INDEX graph_relations_subject;
      CREATE INDEX graph_relations_subject ON graph_relations (subject_id, tenant_id);
      DROP INDEX graph_relations_object;
      CREATE INDEX graph_relations_object ON graph_relations (object_id, tenant_id);
    `,
  },
];
