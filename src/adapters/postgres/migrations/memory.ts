// Memory tables of the PostgreSQL store: sessions and every recallable memory item, with a
// tsvector (GIN) for full-text search and a pgvector column. The HNSW index needs a fixed
// dimension, so the store creates one partial index per dimension when it first stores vectors.
import type { Migration } from '../../migration.js';
import { ROWS_INLINE } from '../pgvector.js';

export const memoryMigrations: Migration[] = [
  {
    version: 200,
    name: 'memory sessions, memories, full-text and vectors',
    sql: `
      CREATE TABLE memory_sessions (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        user_id TEXT,
        agent_id TEXT,
        metadata JSONB NOT NULL DEFAULT '{}',
        created_at BIGINT NOT NULL,
        last_active_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        turn_count INTEGER NOT NULL DEFAULT 0,
        distilled_through INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX memory_sessions_user ON memory_sessions (tenant_id, user_id, last_active_at);
      CREATE INDEX memory_sessions_expiry ON memory_sessions (expires_at);

      CREATE TABLE memories (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('turn', 'episode', 'promoted')),
        tier TEXT NOT NULL CHECK (tier IN ('working', 'episodic', 'semantic')),
        user_id TEXT,
        session_id TEXT,
        agent_id TEXT,
        speaker TEXT,
        text TEXT NOT NULL,
        text_search TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
        seq INTEGER,
        occurred_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        salience DOUBLE PRECISION NOT NULL DEFAULT 0,
        salience_updated_at BIGINT NOT NULL,
        source JSONB NOT NULL DEFAULT '{}',
        metadata JSONB NOT NULL DEFAULT '{}',
        promoted_id TEXT,
        embedder_id TEXT,
        embedding_dim INTEGER,
        embedding vector,
        inserted BIGSERIAL
      );
      CREATE INDEX memories_session ON memories (tenant_id, session_id, seq);
      CREATE INDEX memories_user_time ON memories (tenant_id, user_id, occurred_at);
      CREATE INDEX memories_unembedded ON memories (inserted) WHERE embedder_id IS NULL;
      CREATE INDEX memories_promotion ON memories (salience) WHERE tier = 'episodic' AND promoted_id IS NULL;
      CREATE INDEX memories_text_search ON memories USING gin (text_search);
    `,
  },
  {
    version: 201,
    name: 'memory-term-statistics',
    // As chunk-term-statistics (ingest.ts): 10,000 most common lexemes for the full-text plan.
    sql: `ALTER TABLE memories ALTER COLUMN text_search SET STATISTICS 1000;`,
  },
  {
    version: 202,
    name: 'memory-rows-inline',
    // A memory's vector stays in its row (pgvector.ts, ROWS_INLINE). Rows written before keep
    // theirs in TOAST until a new vector is written (updating other columns leaves it there), or
    // the table is rewritten (VACUUM FULL).
    sql: `ALTER TABLE memories SET (${ROWS_INLINE});`,
  },
  {
    version: 203,
    name: 'memory-tenant-time',
    // The newest memories of a tenant, for the full-text window (memory-text-search.ts); one
    // user's come from memories_user_time.
    sql: `CREATE INDEX memories_tenant_time ON memories (tenant_id, occurred_at);`,
  },
  {
    version: 204,
    name: 'memory-embedded-rows',
    // A tenant's memories with a vector from one embedder, for the exact search that follows a
    // short HNSW search (memory-vector-search.ts): while a backlog is embedded, or after the
    // embedder changed, few rows have one, and without this it read every row of the tenant.
    sql: `CREATE INDEX memories_embedded ON memories (tenant_id, embedder_id, embedding_dim)
      WHERE embedder_id IS NOT NULL;`,
  },
  {
    version: 205,
    name: 'memory-user-terms',
    // Full-text postings kept per user: each lexeme of a memory prefixed with a key of its tenant
    // and user, so one user's search reads that user's postings (memory-text-search.ts), not the
    // whole table's, as SQLite's rowid ranges do. The key is a 64-bit hash (the one hash
    // partitioning uses, stable across versions); two scopes sharing one only widen the rows the
    // search checks, as its other conditions decide. Every name in the body is pg_catalog's, so
    // a function or operator of the same name elsewhere on a search_path (ANALYZE, autovacuum, a
    // later session) cannot change the keys. ANALYZE computes it for every sampled row (slower);
    // without those statistics the planner misjudged it and read the table-wide GIN as well.
    sql: `
      CREATE FUNCTION memory_user_terms(tenant TEXT, usr TEXT, tsv TSVECTOR) RETURNS TEXT[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT pg_catalog.array_agg(k.key OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) lexeme)
              FROM (SELECT pg_catalog.to_hex(pg_catalog.hashtextextended(
                      tenant OPERATOR(pg_catalog.||) coalesce('/u' OPERATOR(pg_catalog.||) usr, '/n'),
                      0::pg_catalog.int8)) AS key) k,
                pg_catalog.unnest(pg_catalog.tsvector_to_array(tsv)) AS lexeme $$;
      CREATE INDEX memories_user_terms ON memories
        USING gin (memory_user_terms(tenant_id, user_id, text_search));
    `,
  },
  {
    version: 206,
    name: 'memory sessions due for distillation',
    // The sessions the distillation sweep (every few seconds) reads are those with enough
    // undistilled turns: found through this index, not by scanning and sorting every session of
    // every tenant.
    sql: `CREATE INDEX memory_sessions_due ON memory_sessions ((turn_count - distilled_through));`,
  },
];
