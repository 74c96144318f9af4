// The term-docs tables (fts5-term-docs.ts) against fts5vocab, which decodes the index itself:
// every term's count equal to its `doc`, through random writes of the stores (chunks indexed,
// re-indexed, replaced and deleted with their documents; memories inserted, their text edited,
// forgotten one by one and by user), and when a store that already held rows is migrated.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../domain/hashing.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { migrateSqlite, openSqlite, type SqliteHandle } from './database.js';
import { createSqliteDocumentStore } from './document-store.js';
import { SqliteMemoryStore } from './memory-store.js';
import { sqliteMigrations } from './migrations/index.js';

// Stems that meet, a word in a heading only, and punctuation unicode61 splits on.
const WORDS = ['run', 'runs', 'running', 'Cat', 'cats', 'blue', 'kettle', 'ode', 'x-ray', 'ÉTÉ'];

/** Every term's count by the term-docs table and by fts5vocab, sorted by term. */
function counts(db: SqliteHandle, table: string, termDocs: string) {
  db.exec(
    `CREATE VIRTUAL TABLE IF NOT EXISTS temp.${table}_check USING fts5vocab (main, ${table}, 'row')`,
  );
  return {
    kept: db.prepare(`SELECT term, docs FROM ${termDocs} ORDER BY term`).all(),
    decoded: db.prepare(`SELECT term, doc AS docs FROM temp.${table}_check ORDER BY term`).all(),
  };
}

const text = fc
  .array(fc.constantFrom(...WORDS), { minLength: 0, maxLength: 6 })
  .map((words) => words.join(' '));

type Operation =
  | { op: 'document'; slot: number; texts: string[]; headings: string[] }
  | { op: 'delete document'; slot: number }
  | { op: 'memory'; user: number; text: string }
  | { op: 'edit memory'; index: number; text: string }
  | { op: 'forget memory'; index: number }
  | { op: 'forget user'; user: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    op: fc.constant('document' as const),
    slot: fc.integer({ min: 0, max: 3 }),
    texts: fc.array(text, { minLength: 1, maxLength: 4 }),
    headings: fc.array(fc.constantFrom(...WORDS), { maxLength: 2 }),
  }),
  fc.record({ op: fc.constant('delete document' as const), slot: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ op: fc.constant('memory' as const), user: fc.integer({ min: 0, max: 2 }), text }),
  fc.record({ op: fc.constant('edit memory' as const), index: fc.nat(), text }),
  fc.record({ op: fc.constant('forget memory' as const), index: fc.nat() }),
  fc.record({ op: fc.constant('forget user' as const), user: fc.integer({ min: 0, max: 2 }) }),
);

async function apply(db: SqliteHandle, operations: Operation[]): Promise<void> {
  // Made on first use: before migration 107 a document store cannot be made.
  let store: DocumentStore | undefined;
  const documents = () => (store ??= createSqliteDocumentStore({ db }));
  const memories = new SqliteMemoryStore(db);
  const slots = new Map<number, string>();
  const memoryIds: string[] = [];
  let n = 0;
  for (const step of operations) {
    n += 1;
    switch (step.op) {
      case 'document': {
        // A slot's document gets new chunks (the old rows leave the index) and is indexed.
        let id = slots.get(step.slot);
        if (id === undefined) {
          const { document } = await documents().createDocument({
            id: `doc_${n}`,
            tenantId: 't',
            namespace: 'default',
            contentHash: sha256Hex(`doc ${n}`),
            content: step.texts.join('\n\n'),
            title: null,
            mimeType: 'text/markdown',
            metadata: {},
            now: n,
          });
          id = document.id;
          slots.set(step.slot, id);
        }
        await documents().replaceChunks(
          't',
          id,
          step.texts.map((chunk, ordinal) => ({
            ordinal,
            text: chunk,
            headingPath: step.headings,
            tokenCount: 1,
            startOffset: 0,
            endOffset: chunk.length,
            page: null,
            contentHash: sha256Hex(`${n} ${ordinal}`),
          })),
        );
        await documents().indexDocument('t', id);
        break;
      }
      case 'delete document': {
        const id = slots.get(step.slot);
        if (id === undefined) break;
        await documents().deleteDocument('t', id);
        slots.delete(step.slot);
        break;
      }
      case 'memory': {
        const id = `mem_${n}`;
        await memories.insertMemories(
          't',
          [
            {
              id,
              kind: 'episode',
              tier: 'semantic',
              userId: `user-${step.user}`,
              sessionId: null,
              agentId: null,
              speaker: null,
              text: step.text,
              seq: null,
              occurredAt: n,
            },
          ],
          n,
        );
        memoryIds.push(id);
        break;
      }
      case 'edit memory': {
        // No store call edits a memory's text; the trigger that counts it is the contract.
        if (memoryIds.length === 0) break;
        db.prepare('UPDATE memories SET text = ? WHERE id = ?').run(
          step.text,
          memoryIds[step.index % memoryIds.length],
        );
        break;
      }
      case 'forget memory': {
        if (memoryIds.length === 0) break;
        await memories.forgetMemory('t', memoryIds[step.index % memoryIds.length]!);
        break;
      }
      case 'forget user':
        await memories.forgetUser('t', `user-${step.user}`);
        break;
    }
  }
}

describe('term-docs tables', () => {
  it("hold each term's count as fts5vocab decodes it, through the stores' writes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (operations) => {
        const database = openSqlite({ path: ':memory:' });
        try {
          await apply(database.db, operations);
          const chunks = counts(database.db, 'chunks_fts', 'chunk_term_docs');
          expect(chunks.kept).toEqual(chunks.decoded);
          const memories = counts(database.db, 'memories_fts', 'memory_term_docs');
          expect(memories.kept).toEqual(memories.decoded);
        } finally {
          database.close();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('count a token FTS5 cut inside a character as its own bytes', async () => {
    const database = openSqlite({ path: ':memory:' });
    try {
      // 11,000 CJK characters: 33,000 bytes, cut at 32,768, inside the 10,923rd character.
      const texts = [`${'漢'.repeat(11_000)} kettle`, 'kettle run'];
      await apply(database.db, [{ op: 'document', slot: 0, texts, headings: ['Kettle'] }]);
      const mismatched = () =>
        database.db
          .prepare(
            `SELECT hex(v.term) AS term FROM temp.chunks_fts_check v
             LEFT JOIN chunk_term_docs t ON t.term = v.term WHERE t.docs IS NOT v.doc
             UNION ALL SELECT hex(t.term) FROM chunk_term_docs t
             WHERE NOT EXISTS (SELECT 1 FROM temp.chunks_fts_check v WHERE v.term = t.term)`,
          )
          .all();
      counts(database.db, 'chunks_fts', 'chunk_term_docs'); // makes the fts5vocab table
      expect(mismatched()).toEqual([]);
      expect(
        database.db
          .prepare('SELECT docs FROM chunk_term_docs WHERE length(CAST(term AS BLOB)) = 32768')
          .all(),
      ).toEqual([{ docs: 1 }]);
      await apply(database.db, [{ op: 'delete document', slot: 0 }]);
      expect(mismatched()).toEqual([]);
    } finally {
      database.close();
    }
  });

  it('are filled from the index when a store that holds rows is migrated', async () => {
    const operations = fc.sample(fc.array(operation, { minLength: 20, maxLength: 20 }), {
      numRuns: 1,
      seed: 7,
    })[0]!;
    const database = openSqlite({ path: ':memory:', migrations: [] });
    try {
      const before = sqliteMigrations.filter((m) => m.version !== 107 && m.version !== 205);
      migrateSqlite(database.db, before);
      await apply(
        database.db,
        operations.filter((step) => step.op !== 'document'),
      );
      // Chunks as the store wrote them before migration 107: FTS5 rows alone.
      database.db
        .prepare('INSERT INTO chunks_fts (rowid, text, headings) VALUES (?, ?, ?)')
        .run(1, 'running cats', 'Kettle');
      migrateSqlite(database.db, sqliteMigrations);
      const chunks = counts(database.db, 'chunks_fts', 'chunk_term_docs');
      expect(chunks.kept).toEqual(chunks.decoded);
      expect(chunks.kept.length).toBeGreaterThan(0);
      const memories = counts(database.db, 'memories_fts', 'memory_term_docs');
      expect(memories.kept).toEqual(memories.decoded);
      // …and kept from then on.
      await apply(database.db, operations);
      expect(counts(database.db, 'memories_fts', 'memory_term_docs').kept).toEqual(
        counts(database.db, 'memories_fts', 'memory_term_docs').decoded,
      );
    } finally {
      database.close();
    }
  });
});
