// Runs the MemoryStore contract against the SQLite adapter on a temp file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteMemoryBackend } from '../../../test/memory/backends.js';
import { describeMemoryStore } from '../../../test/memory/memory-store.contract.js';
import {
  distinctStatements,
  openRecordedSqlite,
  wholeTenantReads,
  type StatementPlan,
} from '../../../test/support/sqlite-plans.js';
import { openSqlite } from './database.js';
import { SqliteMemoryStore } from './memory-store.js';
import { ftsQuery } from './memory-text-search.js';
import { describe, expect, it } from 'vitest';
import type { NewMemory } from '../../ports/memory-store.js';

describeMemoryStore('sqlite', () => openSqliteMemoryBackend());

/** Memory number i: a turn of user u in session s, unless `extra` says otherwise. */
function turn(i: number, extra: Partial<NewMemory> = {}): NewMemory {
  return {
    id: `m${i}`,
    kind: 'turn',
    tier: 'episodic',
    userId: 'u',
    sessionId: 's',
    agentId: null,
    speaker: null,
    text: `item ${i}`,
    seq: i,
    occurredAt: i,
    ...extra,
  };
}

/** Two connections to one new SQLite file, each as a store; both closed and the file removed after. */
async function withTwoConnections(
  body: (store: SqliteMemoryStore, other: SqliteMemoryStore) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'engram-memory-'));
  const database = openSqlite({ path: join(dir, 'engram.db') });
  const other = openSqlite({ path: join(dir, 'engram.db') });
  try {
    await body(new SqliteMemoryStore(database.db), new SqliteMemoryStore(other.db));
  } finally {
    other.close();
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('ftsQuery', () => {
  it('keeps content words as quoted OR terms and drops stop words and syntax', () => {
    expect(ftsQuery('What did Caroline "research" (NEAR) -x?')).toBe(
      '"caroline" OR "research" OR "near" OR "x"',
    );
    expect(ftsQuery('what is it?')).toBe('');
  });
});

describe('SQLite vector search through the binary index', () => {
  function randomUnit(dimension: number, seed: number): Float32Array {
    let state = seed;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
    const vector = Float32Array.from({ length: dimension }, next);
    const norm = Math.hypot(...vector);
    return vector.map((value) => value / norm);
  }

  it('finds exact nearest neighbours beyond the candidate limit, sees other writers, and keeps scopes strict', () =>
    withTwoConnections(async (store, writer) => {
      const count = 3000;
      const vectors = Array.from({ length: count }, (_, i) => randomUnit(64, i + 1));
      await store.insertMemories(
        't',
        vectors.map((_, i) => turn(i, { userId: `u${i % 3}`, sessionId: `s${i % 30}` })),
        0,
      );
      await store.putVectors(
        't',
        'e',
        vectors.map((vector, i) => ({ memoryId: `m${i}`, vector })),
      );
      const exact = (query: Float32Array, filter: (i: number) => boolean, k: number) =>
        vectors
          .map((vector, i) => ({
            i,
            score: vector.reduce((sum, value, d) => sum + value * query[d]!, 0),
          }))
          .filter(({ i }) => filter(i))
          .sort((a, b) => b.score - a.score)
          .slice(0, k)
          .map(({ i }) => `m${i}`);
      // A stored vector is its own nearest neighbour; results agree with brute force.
      for (const target of [5, 1234, 2999]) {
        const hits = await store.searchVector({
          tenantId: 't',
          vector: vectors[target]!,
          embedderId: 'e',
          k: 10,
        });
        expect(hits[0]!.memory.id).toBe(`m${target}`);
        const truth = exact(vectors[target]!, () => true, 10);
        expect(hits.filter((hit) => truth.includes(hit.memory.id)).length).toBeGreaterThanOrEqual(
          8,
        );
      }
      // Scope filters are exact (user 1 only, a time window).
      const query = randomUnit(64, 99_999);
      const scoped = await store.searchVector({
        tenantId: 't',
        userId: 'u1',
        timeRange: { from: 100, to: 400 },
        vector: query,
        embedderId: 'e',
        k: 5,
      });
      expect(scoped.map((hit) => hit.memory.id)).toEqual(
        exact(query, (i) => i % 3 === 1 && i >= 100 && i < 400, 5),
      );
      // A tier filter applied after the index still fills k (falls back to an exact scan).
      await store.insertMemories(
        't',
        [
          {
            id: 'sem',
            kind: 'promoted',
            tier: 'semantic',
            userId: 'u1',
            sessionId: null,
            agentId: null,
            speaker: null,
            text: 'x',
            seq: null,
            occurredAt: 5,
          },
        ],
        0,
      );
      await writer.putVectors('t', 'e', [{ memoryId: 'sem', vector: randomUnit(64, 7) }]);
      const semantic = await store.searchVector({
        tenantId: 't',
        tiers: ['semantic'],
        vector: query,
        embedderId: 'e',
        k: 3,
      });
      expect(semantic.map((hit) => hit.memory.id)).toEqual(['sem']);
      // Re-embedding an old row through another connection and this one.
      await store.putVectors('t', 'e', [{ memoryId: 'm7', vector: query }]);
      expect(
        (await store.searchVector({ tenantId: 't', vector: query, embedderId: 'e', k: 1 }))[0]!
          .memory.id,
      ).toBe('m7');
      expect(
        await store.searchVector({
          tenantId: 't',
          userId: 'nobody',
          vector: query,
          embedderId: 'e',
          k: 3,
        }),
      ).toEqual([]);
      expect(
        await store.searchVector({ tenantId: 'other', vector: query, embedderId: 'e', k: 3 }),
      ).toEqual([]);
    }));
});

describe('SQLite memory vectors written out of order by another connection', () => {
  it('finds memories embedded after later ones, through a reader whose index was already built', () =>
    withTwoConnections(async (reader, writer) => {
      const axis = (i: number) => Float32Array.from({ length: 16 }, (_, d) => (d === i ? 1 : 0));
      await writer.insertMemories(
        't',
        Array.from({ length: 10 }, (_, i) => turn(i)),
        0,
      );
      const embed = (ids: number[]) =>
        writer.putVectors(
          't',
          'e',
          ids.map((i) => ({ memoryId: `m${i}`, vector: axis(i) })),
        );
      const first = async (i: number) =>
        (await reader.searchVector({ tenantId: 't', vector: axis(i), embedderId: 'e', k: 1 }))[0]
          ?.memory.id;
      // The later memories are embedded first (as background embedding may do), and read.
      await embed([5, 6, 7, 8, 9]);
      expect(await first(7)).toBe('m7');
      // Then the earlier ones, whose memory rows are older than anything the reader has seen.
      await embed([0, 1, 2, 3, 4]);
      expect(await first(2)).toBe('m2');
      // Re-embedded through the other connection: found by its new vector.
      await writer.putVectors('t', 'e', [{ memoryId: 'm3', vector: axis(12) }]);
      expect(await first(12)).toBe('m3');
    }));
});

describe('SQLite full-text search on a large store', () => {
  it('lets common terms weigh in without selecting every memory that holds them, once they hold more postings than a query may rank; the plain query fills the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-memory-'));
    const database = openSqlite({ path: join(dir, 'engram.db') });
    try {
      const item = (i: number, text: string) => turn(i, { text });
      const hiking = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, i) =>
          item(from + i, `went hiking with friends, day ${from + i}`),
        );
      const query = { tenantId: 't', userId: 'u', query: 'pottery hiking went', k: 10 };
      const small = new SqliteMemoryStore(database.db);
      await small.insertMemories(
        't',
        [...hiking(0, 600), item(600, 'went to the pottery class'), item(601, 'pottery')],
        0,
      );
      // 1,203 postings, within the budget (2,000 for k = 10): the plain OR query.
      const all = await small.searchText(query);
      expect(all).toHaveLength(10);
      expect(all.slice(0, 2).map((hit) => hit.memory.id)).toEqual(['m601', 'm600']);
      await small.insertMemories('t', hiking(602, 2_600), 0);
      // 5,201 postings: "pottery" selects alone, "hiking" and "went" only score (a store opened
      // now: a store's counts of postings are kept for ten minutes).
      const store = new SqliteMemoryStore(database.db);
      const hits = await store.searchText(query);
      expect(hits.slice(0, 2).map((hit) => hit.memory.id)).toEqual(['m601', 'm600']);
      // Fewer than k hold "pottery": the plain OR query's next eight follow.
      expect(hits.map((hit) => hit.memory.id).slice(2)).toEqual(
        all.slice(2).map((hit) => hit.memory.id),
      );
      // A query of common terms only still finds them.
      expect(await store.searchText({ tenantId: 't', query: 'hiking friends', k: 5 })).toHaveLength(
        5,
      );
    } finally {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite full-text search in a store of several tenants', () => {
  it("plans a tenant's query with the tenant's own counts: a term common in another tenant but rare in this one still selects", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-memory-'));
    const database = openSqlite({ path: join(dir, 'engram.db') });
    try {
      const store = new SqliteMemoryStore(database.db);
      // Memory ids are unique across tenants. Tenant a: 1,100 of 3,000 hold "kettle". Tenant b: 10 short rows hold it, 1,000 long
      // ones hold "blue". Store-wide the two terms hold 2,110 postings, beyond the budget for
      // k = 10 (2,000); within tenant b they hold 1,010.
      await store.insertMemories(
        'a',
        Array.from({ length: 3_000 }, (_, i) =>
          turn(i, { text: i < 1_100 ? `the kettle boiled, day ${i}` : `quiet afternoon ${i}` }),
        ),
        0,
      );
      const filler = 'walked along the river past the old mill towards the hills at dusk again';
      await store.insertMemories(
        'b',
        [
          ...Array.from({ length: 1_000 }, (_, i) =>
            turn(i, { id: `b${i}`, text: `blue ${filler} ${i}` }),
          ),
          ...Array.from({ length: 10 }, (_, i) =>
            turn(1_000 + i, { id: `b${1_000 + i}`, text: `kettle ${i}` }),
          ),
          ...Array.from({ length: 1_090 }, (_, i) =>
            turn(1_010 + i, { id: `b${1_010 + i}`, text: `note ${i}` }),
          ),
        ],
        0,
      );
      const hits = await store.searchText({ tenantId: 'b', query: 'kettle blue', k: 10 });
      // FTS5's own ranking of the plain OR query within tenant b.
      const expected = (
        database.db
          .prepare(
            `SELECT m.id FROM memories_fts f JOIN memories m ON m.pk = (f.rowid & ${(1n << 33n) - 1n})
             WHERE memories_fts MATCH '"kettle" OR "blue"' AND m.tenant_id = 'b'
             ORDER BY bm25(memories_fts), m.pk LIMIT 10`,
          )
          .all() as Array<{ id: string }>
      ).map((row) => row.id);
      expect(expected).toEqual(Array.from({ length: 10 }, (_, i) => `b${1_000 + i}`));
      expect(hits.map((hit) => hit.memory.id).sort()).toEqual([...expected].sort());
    } finally {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Statements that read by the tenant alone or whole, by design. */
const MEMORY_READS_BY_DESIGN = [
  // One row per tenant, keyed by it: a look-up, and whether any other tenant wrote (its first row).
  { sql: /FROM memory_fts_tenants WHERE/, line: /^(?:SEARCH|SCAN) memory_fts_tenants\b/ },
  // A scope's row count for a full-text plan, kept ten minutes (memory-term-counts.ts).
  {
    sql: /^SELECT count\(\*\) AS n FROM memories WHERE tenant_id = \?$/,
    line: /\(tenant_id=\?\)$/,
  },
  // Every tenant's memories waiting for a vector, in a partial index of those alone.
  {
    sql: /WHERE embedder_id IS NULL ORDER BY pk/,
    line: /^SCAN memories USING INDEX memories_unembedded$/,
  },
];

/** Every statement the contract runs, for its plan (the full text on the calling thread). */
const memoryPlans: StatementPlan[] = [];
describeMemoryStore('sqlite, full text on the calling thread', async () => {
  const database = openRecordedSqlite();
  return {
    store: new SqliteMemoryStore(database.db),
    close: async () => {
      memoryPlans.push(...database.close());
    },
  };
});

describe('memory store query plans (sqlite)', () => {
  it('read no tenant whole where the rows are named by id', () => {
    expect(distinctStatements(memoryPlans)).toBeGreaterThan(20);
    expect(wholeTenantReads(memoryPlans, /^memor/, MEMORY_READS_BY_DESIGN)).toEqual([]);
  });
});
