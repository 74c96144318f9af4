// Ingestion tables of the embedded store: documents, chunks, the chunks' full-text index and
// the record of which embedder's vectors the store holds. The vec0 vector table is created on
// first use by the adapter, because its dimension comes from the embedder, not from a migration.
import type { Migration } from '../../migration.js';
import { CHUNKS_FTS, termDocsTable } from '../fts5-term-docs.js';

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
        metadata TEXT NOT NULL DEFAULT '{}',
        content TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
        stage TEXT CHECK (stage IN ('chunk', 'embed', 'extract', 'index')),
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        chunk_count INTEGER NOT NULL DEFAULT 0,
        entity_count INTEGER NOT NULL DEFAULT 0,
        relation_count INTEGER NOT NULL DEFAULT 0,
        timings TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        started_at INTEGER,
        completed_at INTEGER
      );
      CREATE UNIQUE INDEX documents_content ON documents (tenant_id, namespace, content_hash);
      CREATE INDEX documents_list ON documents (tenant_id, id);
      CREATE INDEX documents_status ON documents (tenant_id, status, id);

      CREATE TABLE chunks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        tenant_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        text TEXT NOT NULL,
        heading_path TEXT NOT NULL DEFAULT '[]',
        token_count INTEGER NOT NULL,
        start_offset INTEGER NOT NULL,
        end_offset INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        has_vector INTEGER NOT NULL DEFAULT 0,
        indexed INTEGER NOT NULL DEFAULT 0,
        UNIQUE (document_id, ordinal)
      );
      CREATE INDEX chunks_document ON chunks (tenant_id, document_id, ordinal);

      -- Own-content FTS5 table keyed by chunks.seq: an external-content table would need the
      -- exact old text to delete a row, which a re-chunked retry no longer has.
      CREATE VIRTUAL TABLE chunks_fts USING fts5 (text, headings, tokenize = 'porter unicode61');

      -- One row: the vector space of the whole file. It has no tenant_id on purpose: the vec0
      -- table's dimension is shared by every tenant of the store.
      CREATE TABLE vector_space (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        embedder_id TEXT NOT NULL,
        dimension INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 101,
    name: 'chunk-term-frequencies',
    // Document frequency per (stemmed) term, read by search to skip terms found almost everywhere.
    sql: `CREATE VIRTUAL TABLE chunks_fts_vocab USING fts5vocab (chunks_fts, 'row');`,
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
    name: 'chunk-vectors-signed',
    // Chunk vectors leave the vec0 table (an exact scan per query) for a plain table searched
    // through an in-process sign-bit index (signed-vectors.ts): each row keeps its vector and its
    // sign bits around the scope's centre in vector_centres (NULL until first signed), the bits
    // in a covering index so that loading them never reads the vectors. A new id
    // on every write lets the index catch up by id. The vec0 table exists only once an embedder
    // was bound, so an empty one stands in for it when it does not. Search reads each
    // candidate's document status, a column after the document's content: the covering index
    // spares it the content's overflow pages (45 ms → 2 ms for 800 candidates at 100k chunks).
    sql: `
      CREATE VIRTUAL TABLE IF NOT EXISTS chunk_vectors USING vec0 (tenant_id TEXT PARTITION KEY,
        namespace TEXT, embedding FLOAT[1] distance_metric=cosine);
      CREATE TABLE chunk_vectors_signed (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        seq INTEGER NOT NULL UNIQUE REFERENCES chunks (seq) ON DELETE CASCADE,
        tenant_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        signs BLOB,
        vector BLOB NOT NULL
      );
      INSERT INTO chunk_vectors_signed (seq, tenant_id, namespace, vector)
        SELECT v.rowid, v.tenant_id, c.namespace, v.embedding FROM chunk_vectors v JOIN chunks c ON c.seq = v.rowid
        ORDER BY v.rowid;
      DROP TABLE chunk_vectors;
      ALTER TABLE chunk_vectors_signed RENAME TO chunk_vectors;
      CREATE INDEX chunk_vectors_signs ON chunk_vectors (tenant_id, id, namespace, signs);
      CREATE TABLE vector_centres (
        name TEXT PRIMARY KEY,
        centre BLOB NOT NULL,
        sample_size INTEGER NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE INDEX documents_search ON documents (id, status, tenant_id);
    `,
  },
  {
    version: 106,
    name: 'chunk vectors carry an int8 copy',
    // Each vector's int8 copy (int8-rows.ts; NULL until first filled in), which the in-process
    // index ranks its candidates by, beside the sign bits in the covering index.
    sql: `
      ALTER TABLE chunk_vectors ADD COLUMN quantised BLOB;
      DROP INDEX chunk_vectors_signs;
      CREATE INDEX chunk_vectors_signs ON chunk_vectors (tenant_id, id, namespace, signs, quantised);
    `,
  },
  {
    version: 107,
    name: 'chunk term counts',
    // The chunks holding each term (fts5-term-docs.ts), counted once here from fts5vocab and from
    // now on by every write to chunks_fts (chunk-fts-rows.ts), instead of fts5vocab decoding every
    // posting of a query's terms.
    sql: `
      ${termDocsTable(CHUNKS_FTS)}
      INSERT INTO chunk_term_docs (term, docs) SELECT term, doc FROM chunks_fts_vocab;
      DROP TABLE chunks_fts_vocab;
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
  {
    version: 109,
    name: 'document contents apart',
    // A document's content in a table of its own. In the document's row it sat before the status,
    // stage and timings: SQLite writes a row's content again whenever an update changes the
    // row's size (a status update of a 5 MB document took 6.1–6.6 ms, 0.06 after) and reads a
    // column after a large one through its overflow pages (migrations 105 and 108 worked around
    // that for two reads; every status read still paid it). PostgreSQL keeps such a value out of
    // line already (TOAST) and neither rewrites nor reads it for the other columns. The copy
    // leaves the old pages free in the file until a VACUUM; an earlier version cannot use a
    // migrated file (README).
    sql: `
      CREATE TABLE document_contents (
        document_id TEXT PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
        content TEXT NOT NULL
      );
      INSERT INTO document_contents (document_id, content) SELECT id, content FROM documents;
      ALTER TABLE documents DROP COLUMN content;
    `,
  },
];
