// Memory tables of the embedded store: sessions, every recallable memory item, its FTS5 index
// and its vectors (compared by brute force with sqlite-vec's distance function).
import type { Migration } from '../../migration.js';
import { MEMORIES_FTS, termDocsStatements, termDocsTable } from '../fts5-term-docs.js';

/**
 * Full-text rowid of a memory (v201): scope bits above the memory's pk, so FTS5 can restrict a
 * MATCH to one tenant's or user's rowid range before it ranks. Tenant and user numbers come from
 * the memory_fts_tenants / memory_fts_users tables and wrap; a wrapped collision only adds
 * candidates that the scope filter then drops. pks stay below 2^33. Migration 201 is built from
 * these helpers: never change them (add a migration), and keep memory-text-search.ts in step.
 */
function ftsRowid(row: 'new' | 'old'): string {
  const tenant = `(SELECT n FROM memory_fts_tenants WHERE tenant_id = ${row}.tenant_id)`;
  const user = `(SELECT n FROM memory_fts_users WHERE tenant_id = ${row}.tenant_id AND user_key = ${userKey(row)})`;
  return `(((${tenant} % 16384) << 49) | ((${user} % 65536) << 33) | ${row}.pk)`;
}

function userKey(row: string): string {
  return `(CASE WHEN ${row}.user_id IS NULL THEN '' ELSE 'u' || ${row}.user_id END)`;
}

function registerScope(row: 'new'): string {
  return `INSERT OR IGNORE INTO memory_fts_tenants (tenant_id) VALUES (${row}.tenant_id);
        INSERT OR IGNORE INTO memory_fts_users (tenant_id, user_key) VALUES (${row}.tenant_id, ${userKey(row)});`;
}

/** The statements of a trigger that count a memory's terms in or out (migration 205). */
function countTerms(way: 'in' | 'out', row: 'new' | 'old'): string {
  const statements = termDocsStatements(MEMORIES_FTS, `json_array(json_array(${row}.text))`, 1);
  return (way === 'in' ? statements.countIn : statements.countOut)
    .map((sql) => `${sql};`)
    .join('\n');
}

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
        metadata TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        last_active_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        turn_count INTEGER NOT NULL DEFAULT 0,
        distilled_through INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX memory_sessions_user ON memory_sessions (tenant_id, user_id, last_active_at);
      CREATE INDEX memory_sessions_expiry ON memory_sessions (expires_at);

      CREATE TABLE memories (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        tenant_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('turn', 'episode', 'promoted')),
        tier TEXT NOT NULL CHECK (tier IN ('working', 'episodic', 'semantic')),
        user_id TEXT,
        session_id TEXT,
        agent_id TEXT,
        speaker TEXT,
        text TEXT NOT NULL,
        seq INTEGER,
        occurred_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        salience REAL NOT NULL DEFAULT 0,
        salience_updated_at INTEGER NOT NULL,
        source TEXT NOT NULL DEFAULT '{}',
        metadata TEXT NOT NULL DEFAULT '{}',
        promoted_id TEXT,
        embedder_id TEXT
      );
      CREATE INDEX memories_session ON memories (tenant_id, session_id, seq);
      CREATE INDEX memories_user_time ON memories (tenant_id, user_id, occurred_at);
      CREATE INDEX memories_unembedded ON memories (pk) WHERE embedder_id IS NULL;
      CREATE INDEX memories_promotion ON memories (salience) WHERE tier = 'episodic' AND promoted_id IS NULL;

      CREATE VIRTUAL TABLE memories_fts USING fts5(
        text, content = 'memories', content_rowid = 'pk', tokenize = 'porter unicode61'
      );
      CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
        INSERT INTO memories_fts (rowid, text) VALUES (new.pk, new.text);
      END;
      CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
        INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', old.pk, old.text);
      END;
      CREATE TRIGGER memories_fts_update AFTER UPDATE OF text ON memories BEGIN
        INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', old.pk, old.text);
        INSERT INTO memories_fts (rowid, text) VALUES (new.pk, new.text);
      END;

      CREATE TABLE memory_vectors (
        memory_pk INTEGER PRIMARY KEY REFERENCES memories (pk) ON DELETE CASCADE,
        tenant_id TEXT NOT NULL,
        embedder_id TEXT NOT NULL,
        vector BLOB NOT NULL
      );
    `,
  },
  {
    version: 201,
    name: 'memory full-text rowids carry tenant and user, so MATCH is restricted to a scope',
    sql: `
      DROP TRIGGER memories_fts_insert;
      DROP TRIGGER memories_fts_delete;
      DROP TRIGGER memories_fts_update;
      DROP TABLE memories_fts;

      CREATE TABLE memory_fts_tenants (n INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL UNIQUE);
      CREATE TABLE memory_fts_users (
        n INTEGER PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        user_key TEXT NOT NULL,
        UNIQUE (tenant_id, user_key)
      );
      -- Contentless: the rowid is not memories.pk, so FTS5 cannot read text back from memories;
      -- deletes pass the old text, which is all FTS5 needs.
      CREATE VIRTUAL TABLE memories_fts USING fts5(
        text, content = '', tokenize = 'porter unicode61'
      );

      INSERT OR IGNORE INTO memory_fts_tenants (tenant_id)
        SELECT DISTINCT tenant_id FROM memories ORDER BY tenant_id;
      INSERT OR IGNORE INTO memory_fts_users (tenant_id, user_key)
        SELECT DISTINCT new.tenant_id, ${userKey('new')} FROM memories new ORDER BY 1, 2;
      INSERT INTO memories_fts (rowid, text) SELECT ${ftsRowid('new')}, new.text FROM memories new;

      CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
        ${registerScope('new')}
        INSERT INTO memories_fts (rowid, text) VALUES (${ftsRowid('new')}, new.text);
      END;
      CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
        INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', ${ftsRowid('old')}, old.text);
      END;
      CREATE TRIGGER memories_fts_update AFTER UPDATE OF text, tenant_id, user_id ON memories BEGIN
        INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', ${ftsRowid('old')}, old.text);
        ${registerScope('new')}
        INSERT INTO memories_fts (rowid, text) VALUES (${ftsRowid('new')}, new.text);
      END;
    `,
  },
  {
    version: 202,
    name: 'memory vectors carry their sign bits and a write id',
    // The sign bits the in-process index compares (signed-vectors.ts), written with each vector
    // (NULL until first signed), in a covering index so that loading them never reads vectors;
    // and an id that grows with every write (a re-embedding is a new row), so the index catches
    // up with any connection's writes by id, whatever order memories are embedded in.
    sql: `
      CREATE TABLE memory_vectors_signed (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        memory_pk INTEGER NOT NULL UNIQUE REFERENCES memories (pk) ON DELETE CASCADE,
        tenant_id TEXT NOT NULL,
        embedder_id TEXT NOT NULL,
        signs BLOB,
        vector BLOB NOT NULL
      );
      INSERT INTO memory_vectors_signed (memory_pk, tenant_id, embedder_id, vector)
        SELECT memory_pk, tenant_id, embedder_id, vector FROM memory_vectors ORDER BY memory_pk;
      DROP TABLE memory_vectors;
      ALTER TABLE memory_vectors_signed RENAME TO memory_vectors;
      CREATE INDEX memory_vectors_signs ON memory_vectors (tenant_id, embedder_id, id, signs);
    `,
  },
  {
    version: 203,
    name: 'memory vectors carry an int8 copy',
    // Each vector's int8 copy (int8-rows.ts; NULL until first filled in), which the in-process
    // index ranks its candidates by, beside the sign bits in the covering index; which now holds
    // the memory's key too, so loading the index reads no vector row at all.
    sql: `
      ALTER TABLE memory_vectors ADD COLUMN quantised BLOB;
      DROP INDEX memory_vectors_signs;
      CREATE INDEX memory_vectors_signs
        ON memory_vectors (tenant_id, embedder_id, id, memory_pk, signs, quantised);
    `,
  },
  {
    version: 204,
    name: 'memory term frequencies',
    // The rows holding each (stemmed) term, which full-text search gives engram_bm25() for its IDF
    // (fts5-frequencies.ts) instead of bm25() reading every posting of each term.
    sql: `CREATE VIRTUAL TABLE memories_fts_vocab USING fts5vocab (memories_fts, 'row');`,
  },
  {
    version: 205,
    name: 'memory term counts',
    // The memories holding each term (fts5-term-docs.ts), counted once here from fts5vocab and
    // from now on by triggers beside those that keep memories_fts.
    sql: `
      ${termDocsTable(MEMORIES_FTS)}
      INSERT INTO memory_term_docs (term, docs) SELECT term, doc FROM memories_fts_vocab;
      DROP TABLE memories_fts_vocab;
      CREATE TRIGGER memory_term_docs_insert AFTER INSERT ON memories BEGIN
        ${countTerms('in', 'new')}
      END;
      CREATE TRIGGER memory_term_docs_delete AFTER DELETE ON memories BEGIN
        ${countTerms('out', 'old')}
      END;
      CREATE TRIGGER memory_term_docs_update AFTER UPDATE OF text ON memories
      WHEN old.text IS NOT new.text BEGIN
        ${countTerms('out', 'old')}
        ${countTerms('in', 'new')}
      END;
    `,
  },
  {
    version: 206,
    name: 'memory sessions due for distillation',
    // The sessions the distillation sweep (every few seconds) reads are those with enough
    // undistilled turns: found through this index, not by scanning and sorting every session of
    // every tenant.
    sql: `CREATE INDEX memory_sessions_due ON memory_sessions (turn_count - distilled_through);`,
  },
];
