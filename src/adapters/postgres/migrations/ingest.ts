// Ingestion tables of the PostgreSQL store: documents, chunks with a tsvector (GIN) and the
// record of which embedder's vectors the store holds. The pgvector table and its HNSW index are
// created on first use by the adapter, because the dimension comes from the embedder.
import type { Migration } from '../../migration.js';
import { ROWS_INLINE } from '../pgvector.js';

export const ingestMigrations: Migration[] = [
  {
    version: 100,
    name: 'documents-and-chunks',
    sql: `
      CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        title TEXT,
        mime_type TEXT NOT NULL,
        metadata JSONB NOT NULL DEFAULT '{}',
        content TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
        stage TEXT CHECK (stage IN ('chunk', 'embed', 'extract', 'index')),
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        chunk_count INTEGER NOT NULL DEFAULT 0,
        entity_count INTEGER NOT NULL DEFAULT 0,
        relation_count INTEGER NOT NULL DEFAULT 0,
        timings JSONB NOT NULL DEFAULT '{}',
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        started_at BIGINT,
        completed_at BIGINT
      );
      CREATE UNIQUE INDEX documents_content ON documents (tenant_id, namespace, content_hash);
      CREATE INDEX documents_list ON documents (tenant_id, id);
      CREATE INDEX documents_status ON documents (tenant_id, status, id);

      CREATE TABLE chunks (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        text TEXT NOT NULL,
        heading_path JSONB NOT NULL DEFAULT '[]',
        token_count INTEGER NOT NULL,
        start_offset INTEGER NOT NULL,
        end_offset INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        has_vector BOOLEAN NOT NULL DEFAULT false,
        -- NULL until the index stage: only indexed chunks are found by text.
        tsv TSVECTOR,
        UNIQUE (document_id, ordinal)
      );
      CREATE INDEX chunks_document ON chunks (tenant_id, document_id, ordinal);
      CREATE INDEX chunks_tsv ON chunks USING GIN (tsv);

      -- One row: the vector space of the whole schema (shared by every tenant, hence no tenant_id).
      CREATE TABLE vector_space (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        embedder_id TEXT NOT NULL,
        dimension INTEGER NOT NULL,
        created_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 102,
    name: 'chunk-page',
    // The page a chunk starts on, for paged formats (PDF).
    sql: `ALTER TABLE chunks ADD COLUMN page INTEGER;`,
  },
  {
    version: 103,
    name: 'document-extraction-counts',
    // Chunks the graph extractor read and left out, and why the first one failed.
    sql: `
      ALTER TABLE documents ADD COLUMN extracted_chunks INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE documents ADD COLUMN failed_chunks INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE documents ADD COLUMN extraction_failure TEXT;
    `,
  },
  {
    version: 104,
    name: 'document-versions',
    // A caller's key names a document across contents; a new content is staged as a row that
    // replaces the document when it completes (at most one per document). Content dedup holds for
    // keyless documents still at their first content only: a keyed or re-versioned document is
    // addressed by its key or id, whatever it contains.
    sql: `
      ALTER TABLE documents ADD COLUMN key TEXT;
      ALTER TABLE documents ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE documents ADD COLUMN replaces TEXT;
      DROP INDEX documents_content;
      CREATE UNIQUE INDEX documents_content ON documents (tenant_id, namespace, content_hash)
        WHERE key IS NULL AND replaces IS NULL AND version = 1;
      CREATE UNIQUE INDEX documents_key ON documents (tenant_id, namespace, key) WHERE key IS NOT NULL;
      CREATE UNIQUE INDEX documents_next_version ON documents (replaces) WHERE replaces IS NOT NULL;
    `,
  },
  {
    version: 105,
    name: 'chunk-term-statistics',
    // The full-text plan counts a term's rows from ANALYZE's most common lexemes, and takes a
    // lexeme outside them for a rare one. By default ANALYZE keeps 1,000 of them (a share of about
    // 1.5% at the least in the scale bench's chunks); 10,000 reach down to about 0.14%, so a term
    // in hundreds of chunks is not taken for a rare one (docs/performance.md, 2026-12-06).
    sql: `ALTER TABLE chunks ALTER COLUMN tsv SET STATISTICS 1000;`,
  },
  {
    version: 106,
    name: 'chunk-rows-inline',
    // A chunk's tsvector (about 2 kB) and its vector stay in their rows (pgvector.ts,
    // ROWS_INLINE): ranking a chunk read its tsvector out of line. The vector table exists once an
    // embedder is bound (this schema's own: by name alone, one in public would be found), and is
    // made with the option from then on. Rows written before keep a value in TOAST until that
    // value is written again (or the table is rewritten: VACUUM FULL).
    sql: `
      ALTER TABLE chunks SET (${ROWS_INLINE});
      DO $$ BEGIN
        IF to_regclass(format('%I.chunk_vectors', current_schema())) IS NOT NULL THEN
          EXECUTE format('ALTER TABLE %I.chunk_vectors SET (${ROWS_INLINE})', current_schema());
        END IF;
      END $$;
    `,
  },
  {
    version: 107,
    name: 'chunk-vectors-tenant',
    // A tenant's vectors, for the exact search of a tenant holding a small part of the store
    // (document-search.ts, exactFirst): without it that search read every tenant's vectors. The
    // vector table exists once an embedder is bound (chunk-vectors.ts makes it with the index
    // from then on).
    sql: `
      DO $$ BEGIN
        IF to_regclass(format('%I.chunk_vectors', current_schema())) IS NOT NULL THEN
          EXECUTE format('CREATE INDEX IF NOT EXISTS chunk_vectors_tenant ON %I.chunk_vectors (tenant_id)',
            current_schema());
        END IF;
      END $$;
    `,
  },
  {
    version: 108,
    name: 'documents unfinished',
    // The documents the stalled-job sweep (every minute) reads: through this index, not by a scan
    // of every tenant's documents, which on SQLite also read each one's content to reach the
    // columns after it (195 ms a sweep at 4,000 documents of 64 KB; 0.05 ms through the index).
    sql: `CREATE INDEX documents_unfinished ON documents (updated_at) WHERE status IN ('pending', 'processing');`,
  },
];
