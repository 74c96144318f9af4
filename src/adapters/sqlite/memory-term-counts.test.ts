// The counts a memory text plan reads (memory-term-counts.ts): tenant-wide in a store of one
// tenant they come from the term-docs table and FTS5's row count, and must equal what counting
// the scope's rowid range gives, through random writes (memories of several users inserted,
// edited, forgotten) and once a second tenant writes; and that path must not count the range.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MemoryScope } from '../../ports/memory-store.js';
import { openSqlite, type SqliteHandle } from './database.js';
import { MemoryTermCounts } from './memory-term-counts.js';
import { SqliteMemoryStore } from './memory-store.js';
import { ftsTerms, scopeRowids } from './memory-text-search.js';

// Stems that meet, punctuation unicode61 splits on, a word no memory holds.
const WORDS = ['run', 'runs', 'running', 'Cat', 'cats', 'blue', 'kettle', 'x-ray', 'ÉTÉ', 'absent'];

const text = fc
  .array(fc.constantFrom(...WORDS), { minLength: 0, maxLength: 6 })
  .map((words) => words.join(' '));

type Operation =
  | { op: 'memory'; tenant: 't' | 'other'; user: number; text: string }
  | { op: 'edit memory'; index: number; text: string }
  | { op: 'forget memory'; index: number }
  | { op: 'forget user'; user: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant('memory' as const),
      tenant: fc.constant('t' as const),
      user: fc.integer({ min: 0, max: 2 }),
      text,
    }),
    weight: 6,
  },
  fc.record({
    op: fc.constant('memory' as const),
    tenant: fc.constant('other' as const),
    user: fc.integer({ min: 0, max: 2 }),
    text,
  }),
  fc.record({ op: fc.constant('edit memory' as const), index: fc.nat(), text }),
  fc.record({ op: fc.constant('forget memory' as const), index: fc.nat() }),
  fc.record({ op: fc.constant('forget user' as const), user: fc.integer({ min: 0, max: 2 }) }),
);

async function apply(db: SqliteHandle, operations: Operation[]): Promise<void> {
  const memories = new SqliteMemoryStore(db);
  const ids: Array<{ tenant: string; id: string }> = [];
  let n = 0;
  for (const step of operations) {
    n += 1;
    switch (step.op) {
      case 'memory': {
        const id = `mem_${n}`;
        await memories.insertMemories(
          step.tenant,
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
        ids.push({ tenant: step.tenant, id });
        break;
      }
      case 'edit memory':
        if (ids.length === 0) break;
        db.prepare('UPDATE memories SET text = ? WHERE id = ?').run(
          step.text,
          ids[step.index % ids.length]!.id,
        );
        break;
      case 'forget memory': {
        if (ids.length === 0) break;
        const { tenant, id } = ids[step.index % ids.length]!;
        await memories.forgetMemory(tenant, id);
        break;
      }
      case 'forget user':
        await memories.forgetUser('t', `user-${step.user}`);
        break;
    }
  }
}

/** The statements `db` prepares while `run` runs. */
function prepared<T>(db: SqliteHandle, run: () => T): { result: T; sql: string[] } {
  const sql: string[] = [];
  const prepare = db.prepare.bind(db);
  db.prepare = (source: string) => {
    sql.push(source);
    return prepare(source);
  };
  try {
    return { result: run(), sql };
  } finally {
    db.prepare = prepare;
  }
}

const query = ftsTerms(WORDS.join(' '));
const rangeCount = (sql: string) => sql.includes('MATCH ? AND rowid >=');

describe('memory term counts', () => {
  it("equal the scope's range counts, and skip them tenant-wide in a store of one tenant", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (operations) => {
        const database = openSqlite({ path: ':memory:' });
        try {
          await apply(database.db, operations);
          const oneTenant = operations.every((s) => s.op !== 'memory' || s.tenant === 't');
          for (const scope of [
            { tenantId: 't' },
            { tenantId: 't', userId: 'user-1' },
          ] satisfies MemoryScope[]) {
            const rowids = scopeRowids(database.db, scope);
            if (rowids === undefined) continue;
            // First on this connection, so its statements are prepared here (they are cached).
            const { result, sql } = prepared(database.db, () =>
              new MemoryTermCounts(database.db).of(scope, rowids, query),
            );
            const ranged = new MemoryTermCounts(database.db, undefined, { wholeIndex: false });
            expect(result).toEqual(ranged.of(scope, rowids, query));
            if (scope.userId === undefined) expect(sql.some(rangeCount)).toBe(!oneTenant);
          }
        } finally {
          database.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});
