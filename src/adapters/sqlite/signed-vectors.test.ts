// The sign-bit index over SQLite vectors: its candidates against a model (fast-check), and the
// promises of its persistence: it survives a restart reading bits only, is rebuilt when bits are
// missing, follows inserts, re-embeddings and deletes of any connection without a rebuild, and a
// rolled-back delete leaves the rows findable.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkInputs, newDocument } from '../../../test/ingest/document-store-contract.js';
import { cosine } from '../../../test/support/cosine.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { openSqlite, type SqliteDatabase } from './database.js';
import { createSqliteDocumentStore } from './document-store.js';
import { quantise } from './int8-rows.js';
import { SignBitIndex } from './sign-bit-index.js';
import { signBits } from './sign-bits.js';

function hamming(a: Uint8Array, b: Uint8Array): number {
  let distance = 0;
  for (let i = 0; i < a.length; i += 1) {
    let x = a[i]! ^ b[i]!;
    while (x !== 0) {
      distance += x & 1;
      x >>>= 1;
    }
  }
  return distance;
}

describe('SignBitIndex', () => {
  const DIMENSION = 40; // not a multiple of 32: the last word is partial
  const vectorArb = fc
    .array(fc.float({ min: -1, max: 1, noNaN: true }), {
      minLength: DIMENSION,
      maxLength: DIMENSION,
    })
    .map((xs) => Float32Array.from(xs));
  const operationArb = fc.oneof(
    fc.record({
      op: fc.constant('add' as const),
      id: fc.integer({ min: 1, max: 60 }),
      vector: vectorArb,
      key: fc.constantFrom('a', 'b', null),
      time: fc.integer({ min: 0, max: 9 }),
    }),
    fc.record({ op: fc.constant('remove' as const), id: fc.integer({ min: 1, max: 60 }) }),
  );

  it('returns the nearest live entries that pass the filter, through adds, replacements, removals and compaction', () => {
    fc.assert(
      fc.property(
        // Long runs (fast-check keeps arrays near 10 by default): removals and replacements pile
        // up, as they do between compactions.
        fc.array(operationArb, { maxLength: 300, size: 'max' }),
        vectorArb,
        fc.constantFrom<Array<string | null> | undefined>(
          undefined,
          ['a'],
          [null],
          ['a', 'b'],
          ['never added'],
        ),
        fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
        fc.integer({ min: 1, max: 30 }),
        // 0: always the full pass; 1: a key filter walks its chains; 1/16: as in production.
        fc.constantFrom(0, 1, 1 / 16),
        fc.integer({ min: 1, max: 30 }),
        (operations, query, keys, from, limit, narrowShare, k) => {
          const centre = new Float32Array(DIMENSION);
          const index = new SignBitIndex(centre, 1, narrowShare);
          const model = new Map<
            number,
            { signs: Uint8Array; vector: Float32Array; key: string | null; time: number }
          >();
          for (const operation of operations) {
            if (operation.op === 'add') {
              const { id, vector, key, time } = operation;
              const signs = signBits(vector, centre);
              index.add({ id, signs, quantised: quantise(vector), keys: [key], time });
              model.set(id, { signs, vector, key, time });
            } else {
              expect(index.remove(operation.id)).toBe(model.delete(operation.id));
            }
          }
          expect(index.size).toBe(model.size);
          const q = signBits(query, centre);
          const passing = [...model.entries()].filter(
            ([, entry]) =>
              (keys === undefined || keys.includes(entry.key)) &&
              (from === undefined || entry.time >= from),
          );
          const filter = { keys: [keys], ...(from === undefined ? {} : { from }) };
          const { ids, matched } = index.candidates(query, filter, limit);
          expect(matched).toBe(passing.length);
          expect(new Set(ids).size).toBe(ids.length);
          expect(ids.length).toBe(Math.min(limit, passing.length));
          const distance = new Map(passing.map(([id, entry]) => [id, hamming(entry.signs, q)]));
          for (const id of ids) expect(distance.has(id)).toBe(true);
          // Nothing left out is nearer than anything returned.
          const worstIn = Math.max(-1, ...ids.map((id) => distance.get(id)!));
          const left = passing.filter(([id]) => !ids.includes(id));
          for (const [id] of left) expect(distance.get(id)!).toBeGreaterThanOrEqual(worstIn);
          // The same candidates split by their int8 copies: none left out can reach the floor,
          // and k (or all) of those kept score at least the floor.
          const split = index.nearest(query, filter, { k, limit });
          expect(new Set([...split.ids, ...split.others])).toEqual(new Set(ids));
          expect(split.matched).toBe(matched);
          const exact = (id: number) => cosine(query, model.get(id)!.vector);
          for (const id of split.others) expect(exact(id)).toBeLessThan(split.floor);
          const reaching = split.ids.filter((id) => !(exact(id) < split.floor)).length;
          expect(reaching).toBeGreaterThanOrEqual(Math.min(k, ids.length));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('SignBitIndex, a narrow key filter', () => {
  it('walks its chains to exactly what the full pass finds, with two keys, a time range, replacements and compaction', () => {
    const dimension = 64;
    const centre = new Float32Array(dimension);
    let state = 5;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
    const vector = () => Float32Array.from({ length: dimension }, next);
    const walk = new SignBitIndex(centre, 2, 1);
    const pass = new SignBitIndex(centre, 2, 0);
    const both = (apply: (index: SignBitIndex) => void) => [walk, pass].forEach(apply);
    const vectors = new Map<number, Float32Array>();
    const put = (id: number, keys: string[]) => {
      const v = vector();
      vectors.set(id, v);
      const entry = { id, signs: signBits(v, centre), quantised: quantise(v), keys, time: id };
      both((index) => index.add(entry));
    };
    for (let id = 1; id <= 6_000; id += 1) put(id, [`user${id % 40}`, `kind${id % 3}`]);
    // 2,400 removals (compaction runs past a quarter), then 500 ids moved to other users.
    for (let id = 1; id <= 6_000; id += 5) both((index) => index.remove(id));
    for (let id = 2; id <= 6_000; id += 5) both((index) => index.remove(id));
    for (let id = 3; id <= 3_000; id += 6) put(id, ['user7', 'kind1']);
    expect(walk.size).toBe(pass.size);
    const filters = [
      { keys: [['user7']] },
      { keys: [['user7', 'user8'], ['kind1']] },
      { keys: [undefined, ['kind2']] },
      { keys: [['user3']], from: 1_000, to: 4_000 },
      { keys: [['nobody']] },
    ];
    for (const filter of filters) {
      for (const limit of [1, 10, 100]) {
        const query = vector();
        const walked = walk.candidates(query, filter, limit);
        expect(walked).toEqual(pass.candidates(query, filter, limit));
        // Compaction moved the int8 copies with their rows: both split the same way, and what
        // they leave out scores below the floor.
        const k = Math.ceil(limit / 4);
        const split = walk.nearest(query, filter, { k, limit });
        expect(split).toEqual(pass.nearest(query, filter, { k, limit }));
        for (const id of split.others)
          expect(cosine(query, vectors.get(id)!)).toBeLessThan(split.floor);
        expect(
          split.ids.filter((id) => cosine(query, vectors.get(id)!) >= split.floor).length,
        ).toBeGreaterThanOrEqual(Math.min(k, walked.ids.length));
      }
    }
    // Without a filter, the kernel's count per distance less the removed rows (none left over
    // from before a compaction) picks exactly the nearest.
    const removed = (id: number) => id % 5 === 1 || id % 5 === 2;
    const live = [...vectors.keys()].filter((id) => !removed(id) || (id <= 3_000 && id % 6 === 3));
    const query = vector();
    const q = signBits(query, centre);
    const distanceOf = (id: number) => hamming(signBits(vectors.get(id)!, centre), q);
    const everyone = pass.candidates(query, {}, 100);
    expect(everyone.matched).toBe(live.length);
    expect(everyone.ids.map(distanceOf).sort((a, b) => a - b)).toEqual(
      live
        .map(distanceOf)
        .sort((a, b) => a - b)
        .slice(0, 100),
    );
    // user7's own ids (7 mod 40, so 2 mod 5) were all removed: the 500 moved in are left.
    const user7 = walk.candidates(vector(), { keys: [['user7']] }, 10_000);
    expect(user7.matched).toBe(500);
    expect(user7.ids).toHaveLength(user7.matched);
  });
});

describe('SignBitIndex as it grows', () => {
  it.each([0, 4_999])(
    'keeps every row through the growth of its WebAssembly memory (room for %i made first), and ranks them by exact distance',
    (reserved) => {
      // 96 dimensions: three words a row, so each row has a padding word the kernel skips over.
      const dimension = 96;
      const centre = new Float32Array(dimension);
      const index = new SignBitIndex(centre, 1);
      index.reserve(reserved);
      let state = 11;
      const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
      const query = Float32Array.from({ length: dimension }, next);
      const stored: Uint8Array[] = [];
      for (let id = 1; id <= 20_000; id += 1) {
        const signs = signBits(Float32Array.from({ length: dimension }, next), centre);
        stored.push(signs);
        index.add({ id, signs, quantised: null, keys: [id % 2 === 0 ? 'even' : 'odd'], time: id });
        // A search before each growth leaves distances where the next rows will be written.
        if ((id & (id - 1)) === 0 && id >= 1024) index.candidates(query, {}, 10);
      }
      const q = signBits(query, centre);
      const byDistance = stored
        .map((signs, i) => ({ id: i + 1, distance: hamming(signs, q) }))
        .filter(({ id }) => id % 2 === 1);
      const { ids, matched } = index.candidates(query, { keys: [['odd']] }, 100);
      expect(matched).toBe(10_000);
      expect(ids).toHaveLength(100);
      const returned = ids.map((id) => hamming(stored[id - 1]!, q)).sort((a, b) => a - b);
      const best = byDistance
        .map(({ distance }) => distance)
        .sort((a, b) => a - b)
        .slice(0, 100);
      expect(returned).toEqual(best);
      for (const id of ids) expect(id % 2).toBe(1);
      // The first and the last row written are where they were put.
      expect(index.candidates(query, { from: 1, to: 2 }, 5).ids).toEqual([1]);
      expect(index.candidates(query, { from: 20_000 }, 5).ids).toEqual([20_000]);
      // A row equal to the query is at distance 0: first among any number of candidates.
      index.add({ id: 20_001, signs: q, quantised: null, keys: ['odd'], time: 0 });
      const nearest = index.candidates(query, { keys: [['odd']] }, 1).ids;
      expect(nearest).toContain(20_001);
      expect(nearest.length).toBe(Math.ceil(10_001 / 300)); // the share of a large scope
    },
  );
});

describe('SignBitIndex.reserve', () => {
  it('is a hint: room it cannot have leaves the index as it was, still growing by doubling', () => {
    const centre = new Float32Array(64);
    const index = new SignBitIndex(centre, 1);
    const vector = (i: number) => {
      let state = i;
      return Float32Array.from(
        { length: 64 },
        () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5,
      );
    };
    const add = (id: number) =>
      index.add({
        id,
        signs: signBits(vector(id), centre),
        quantised: null,
        keys: ['a'],
        time: id,
      });
    for (let id = 1; id <= 3; id += 1) add(id);
    index.reserve(2 ** 31); // 16 GiB of ids alone: no typed array that long
    for (let id = 4; id <= 3_000; id += 1) add(id);
    expect(index.size).toBe(3_000);
    expect(index.candidates(vector(2), {}, 1).ids).toContain(2);
    expect(index.candidates(vector(2_999), {}, 1).ids).toContain(2_999);
  });
});

describe('SignBitIndex large enough to be sampled', () => {
  it('picks exactly the nearest, whether its sample of the rows judges the query well or badly', () => {
    const dimension = 64;
    const centre = new Float32Array(dimension);
    let state = 17;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
    const query = Float32Array.from({ length: dimension }, next);
    const q = signBits(query, centre);
    const rows = 70_000;
    const block = 2_048; // the sample's runs (ceilingFor): 8 of them, spread over the rows
    const sampled = (at: number) =>
      Array.from({ length: 8 }, (_, b) => Math.floor((b * (rows - block)) / 7)).some(
        (from) => at >= from && at < from + block,
      );
    // Layouts of rows near the query (a few bits off): spread evenly, where the sample looks
    // (it sees many and judges the ceiling too near), and where it does not look.
    const layouts: Record<string, (at: number) => boolean> = {
      even: (at) => at % 100 === 0,
      'in the sample': (at) => sampled(at) && at % 20 === 0,
      'outside the sample': (at) => !sampled(at) && at % 50 === 0,
    };
    for (const [name, near] of Object.entries(layouts)) {
      const index = new SignBitIndex(centre, 1);
      const stored = new Map<number, Uint8Array>();
      for (let at = 0; at < rows; at += 1) {
        const signs = near(at)
          ? q.map((byte, i) => (i === at % 8 ? byte ^ (1 << (at % 3)) : byte))
          : signBits(Float32Array.from({ length: dimension }, next), centre);
        stored.set(at + 1, signs);
        index.add({ id: at + 1, signs, quantised: null, keys: ['all'], time: at });
      }
      // Removed rows, near ones (counted by the pass, then taken off) and far ones (not counted).
      for (let id = 1; id <= rows; id += 1)
        if (near(id - 1) ? id % 3 === 0 : id % 7 === 0) {
          index.remove(id);
          stored.delete(id);
        }
      const distances = [...stored.values()]
        .map((signs) => hamming(signs, q))
        .sort((a, b) => a - b);
      for (const limit of [10, 300, 1_000]) {
        const { ids, matched } = index.candidates(query, {}, limit);
        expect(matched, name).toBe(stored.size);
        const want = Math.max(limit, Math.ceil(stored.size / 300));
        expect(
          ids.map((id) => hamming(stored.get(id)!, q)).sort((a, b) => a - b),
          name,
        ).toEqual(distances.slice(0, want));
      }
    }
  });
});

describe('SQLite chunk vectors through the sign-bit index', () => {
  const DIMENSION = 48;
  const TENANT = 't';
  function unit(seed: number): Float32Array {
    let state = seed;
    const v = Float32Array.from(
      { length: DIMENSION },
      () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5,
    );
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  }

  interface Held {
    chunkId: string;
    documentId: string;
    vector: Float32Array;
  }

  async function addDocument(store: DocumentStore, n: number, seed: number): Promise<Held[]> {
    const texts = Array.from({ length: n }, (_, i) => `chunk ${seed} ${i}`);
    const { document } = await store.createDocument(newDocument(TENANT, texts.join(' ')));
    await store.replaceChunks(TENANT, document.id, chunkInputs(texts));
    const chunks = await store.listChunks(TENANT, document.id);
    const held = chunks.map((chunk, i) => ({
      chunkId: chunk.id,
      documentId: document.id,
      vector: unit(seed * 10_000 + i + 1),
    }));
    await store.upsertVectors(TENANT, held);
    await store.indexDocument(TENANT, document.id);
    await store.updateDocument(TENANT, document.id, { status: 'completed', now: 1 });
    return held;
  }

  async function nearest(store: DocumentStore, vector: Float32Array, limit = 1) {
    return (await store.searchVector({ tenantId: TENANT, vector, limit })).map(
      (hit) => hit.chunk.id,
    );
  }

  function withStore(
    body: (open: () => { database: SqliteDatabase; store: DocumentStore }) => Promise<void>,
  ) {
    return async () => {
      const dir = mkdtempSync(join(tmpdir(), 'engram-signed-'));
      const opened: SqliteDatabase[] = [];
      try {
        await body(() => {
          const database = openSqlite({ path: join(dir, 'engram.db') });
          opened.push(database);
          return { database, store: createSqliteDocumentStore({ db: database.db }) };
        });
      } finally {
        for (const database of opened) database.close();
        rmSync(dir, { recursive: true, force: true });
      }
    };
  }

  const signless = (database: SqliteDatabase) =>
    (
      database.db.prepare('SELECT count(*) AS n FROM chunk_vectors WHERE signs IS NULL').get() as {
        n: number;
      }
    ).n;
  const unquantised = (database: SqliteDatabase) =>
    (
      database.db
        .prepare('SELECT count(*) AS n FROM chunk_vectors WHERE quantised IS NULL')
        .get() as { n: number }
    ).n;
  const centre = (database: SqliteDatabase) =>
    database.db
      .prepare(`SELECT sample_size, version FROM vector_centres WHERE name = ?`)
      .get(`chunks\u0000${TENANT}`) as { sample_size: number; version: number };

  it(
    'survives a restart on its stored bits and int8 copies, fills in rows missing either, and reads copies without residual codes',
    withStore(async (open) => {
      const first = open();
      await first.store.bindVectorSpace({ embedderId: 'test:48', dimension: DIMENSION });
      const held: Held[] = [];
      for (let d = 0; d < 12; d += 1) held.push(...(await addDocument(first.store, 100, d + 1)));
      const probes = [3, 400, 1111].map((i) => held[i]!);
      for (const probe of probes)
        expect(await nearest(first.store, probe.vector)).toEqual([probe.chunkId]);
      expect(signless(first.database)).toBe(0);
      expect(unquantised(first.database)).toBe(0);
      const stored = first.database.db
        .prepare('SELECT vector, quantised FROM chunk_vectors ORDER BY id LIMIT 1')
        .get() as { vector: Buffer; quantised: Buffer };
      const floats = new Float32Array(new Uint8Array(stored.vector).buffer);
      expect(stored.quantised).toEqual(quantise(floats));
      const before = centre(first.database);
      first.database.close();

      const second = open();
      for (const probe of probes)
        expect(await nearest(second.store, probe.vector)).toEqual([probe.chunkId]);
      expect(centre(second.database)).toEqual(before);
      // Bits lost (as after the migration that introduced them): searched right, signed again.
      second.database.db.exec('UPDATE chunk_vectors SET signs = NULL');
      second.database.close();
      const third = open();
      for (const probe of probes)
        expect(await nearest(third.store, probe.vector)).toEqual([probe.chunkId]);
      expect(signless(third.database)).toBe(0);
      // Int8 copies lost (as after the migration that introduced them): the same.
      third.database.db.exec('UPDATE chunk_vectors SET quantised = NULL WHERE id % 2 = 0');
      third.database.close();
      const fourth = open();
      for (const probe of probes)
        expect(await nearest(fourth.store, probe.vector)).toEqual([probe.chunkId]);
      expect(unquantised(fourth.database)).toBe(0);
      // Int8 copies without their residual codes (as written before them): searched right as
      // they are, not rewritten (a large store would wait on its first search for all of them).
      const current = quantise(floats).length;
      const withoutResidual = 8 + DIMENSION;
      fourth.database.db.exec(
        `UPDATE chunk_vectors SET quantised = substr(quantised, 1, ${withoutResidual}) WHERE id % 3 = 0`,
      );
      fourth.database.close();
      const fifth = open();
      for (const probe of probes)
        expect(await nearest(fifth.store, probe.vector)).toEqual([probe.chunkId]);
      const lengths = fifth.database.db
        .prepare('SELECT DISTINCT length(quantised) AS n FROM chunk_vectors ORDER BY n')
        .all() as Array<{ n: number }>;
      expect(lengths).toEqual([{ n: withoutResidual }, { n: current }]);
    }),
  );

  it(
    'loads rows it has not seen yet past a rolled-back re-embedding of one of them',
    withStore(async (open) => {
      const { store } = open();
      await store.bindVectorSpace({ embedderId: 'test:48', dimension: DIMENSION });
      const first = await addDocument(store, 10, 1);
      expect(await nearest(store, first[3]!.vector)).toEqual([first[3]!.chunkId]);
      const second = await addDocument(store, 10, 2); // not yet seen by the index
      // Its last chunk re-embedded, then a vector of the wrong length: the batch rolls back.
      await expect(
        store.upsertVectors(TENANT, [
          { chunkId: second[9]!.chunkId, vector: unit(99) },
          { chunkId: second[0]!.chunkId, vector: new Float32Array(3) },
        ]),
      ).rejects.toThrow(/dimension/);
      for (const held of second) expect(await nearest(store, held.vector)).toEqual([held.chunkId]);
    }),
  );

  it(
    'returns the exact top k, with filters the index does not hold and without',
    withStore(async (open) => {
      const { store } = open();
      await store.bindVectorSpace({ embedderId: 'test:48', dimension: DIMENSION });
      const held: Held[] = [];
      for (let d = 0; d < 6; d += 1) held.push(...(await addDocument(store, 100, d + 1)));
      const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
      for (const [q, k, documents] of [
        [7, 10, undefined],
        [8, 25, undefined],
        [9, 10, [held[0]!.documentId, held[450]!.documentId]],
        [10, 40, [held[250]!.documentId]],
      ] as const) {
        const query = unit(q * 7_777);
        const expected = held
          .filter((h) => documents === undefined || documents.includes(h.documentId))
          .sort((a, b) => dot(query, b.vector) - dot(query, a.vector))
          .slice(0, k)
          .map((h) => h.chunkId);
        const hits = await store.searchVector({
          tenantId: TENANT,
          vector: query,
          limit: k,
          ...(documents === undefined ? {} : { documentIds: [...documents] }),
        });
        expect(hits.map((hit) => hit.chunk.id)).toEqual(expected);
      }
    }),
  );

  it(
    "follows another connection's inserts, re-embeddings and deletes, and keeps a rolled-back delete",
    withStore(async (open) => {
      const reader = open();
      const writer = open();
      await reader.store.bindVectorSpace({ embedderId: 'test:48', dimension: DIMENSION });
      const first = await addDocument(reader.store, 900, 1);
      expect(await nearest(reader.store, first[5]!.vector)).toEqual([first[5]!.chunkId]);
      // Inserted through the other connection after the reader's index was loaded.
      const second = await addDocument(writer.store, 50, 2);
      expect(await nearest(reader.store, second[7]!.vector)).toEqual([second[7]!.chunkId]);
      // Re-embedded through the other connection: a new row id, so the reader picks it up.
      const moved = unit(424_242);
      await writer.store.upsertVectors(TENANT, [{ chunkId: first[9]!.chunkId, vector: moved }]);
      expect(await nearest(reader.store, moved)).toEqual([first[9]!.chunkId]);
      // A delete rolled back: the document's chunks are still found.
      reader.database.db.exec('BEGIN');
      await reader.store.deleteDocument(TENANT, second[0]!.documentId);
      reader.database.db.exec('ROLLBACK');
      expect(await nearest(reader.store, second[7]!.vector)).toEqual([second[7]!.chunkId]);
      // A search inside the transaction that deletes, then a rollback: still found after.
      reader.database.db.exec('BEGIN');
      await reader.store.deleteDocument(TENANT, second[0]!.documentId);
      await nearest(reader.store, second[7]!.vector);
      reader.database.db.exec('ROLLBACK');
      expect(await nearest(reader.store, second[7]!.vector)).toEqual([second[7]!.chunkId]);
      // A delete that commits: never found again, and the index no longer holds its rows.
      await reader.store.deleteDocument(TENANT, first[0]!.documentId);
      const hits = await nearest(reader.store, first[5]!.vector, 10);
      expect(hits).toHaveLength(10);
      for (const id of hits) expect(first.some((h) => h.chunkId === id)).toBe(false);
    }),
  );

  it(
    'takes its centre again as a small store grows fourfold (on search or on write), and signs every row around it',
    withStore(async (open) => {
      const { database, store } = open();
      await store.bindVectorSpace({ embedderId: 'test:48', dimension: DIMENSION });
      const held = await addDocument(store, 20, 1);
      expect(await nearest(store, held[3]!.vector)).toEqual([held[3]!.chunkId]);
      expect(centre(database)).toEqual({ sample_size: 20, version: 1 });
      const more = await addDocument(store, 70, 2);
      expect(await nearest(store, more[40]!.vector)).toEqual([more[40]!.chunkId]);
      expect(centre(database)).toEqual({ sample_size: 90, version: 2 });
      const row = database.db
        .prepare('SELECT vector, signs FROM chunk_vectors ORDER BY id LIMIT 1')
        .get() as { vector: Buffer; signs: Buffer };
      const mean = database.db
        .prepare('SELECT centre FROM vector_centres WHERE name = ?')
        .get(`chunks\u0000${TENANT}`) as { centre: Buffer };
      const floats = (blob: Buffer) => new Float32Array(new Uint8Array(blob).buffer);
      expect(new Uint8Array(row.signs)).toEqual(signBits(floats(row.vector), floats(mean.centre)));
      // Grown fourfold again by writes alone: the write that finds the centre outgrown takes it.
      await addDocument(store, 300, 3);
      expect(centre(database)).toEqual({ sample_size: 90, version: 2 });
      const last = await addDocument(store, 10, 4);
      expect(centre(database)).toEqual({ sample_size: 390, version: 3 });
      expect(signless(database)).toBe(0);
      expect(await nearest(store, last[4]!.vector)).toEqual([last[4]!.chunkId]);
    }),
  );

  it(
    'counts a growing scope only near the sizes that ask for a new centre, not at every batch',
    withStore(async (open) => {
      const { database, store } = open();
      const { db } = database;
      let counts = 0;
      const prepare = db.prepare.bind(db);
      db.prepare = ((sql: string) => {
        const prepared = prepare(sql);
        if (!sql.startsWith('SELECT count(*) AS n FROM chunk_vectors')) return prepared;
        const get = prepared.get.bind(prepared);
        prepared.get = (...params: unknown[]) => {
          counts += 1;
          return get(...params);
        };
        return prepared;
      }) as typeof db.prepare;
      await store.bindVectorSpace({ embedderId: 'test:48', dimension: DIMENSION });
      for (let d = 0; d < 40; d += 1) await addDocument(store, 5, d + 1);
      // 200 rows: the centre taken again once 64 are in (sample 5 → 65; the next at 260).
      expect(centre(database)).toEqual({ sample_size: 65, version: 2 });
      expect(counts).toBeLessThanOrEqual(6);
      expect(signless(database)).toBe(0);
    }),
  );

  it(
    "a new vector space bound through another connection replaces the reader's index",
    withStore(async (open) => {
      const reader = open();
      const writer = open();
      await reader.store.bindVectorSpace({ embedderId: 'test:48', dimension: DIMENSION });
      const old = await addDocument(reader.store, 30, 1);
      expect(await nearest(reader.store, old[3]!.vector)).toEqual([old[3]!.chunkId]);
      await writer.store.deleteDocument(TENANT, old[0]!.documentId);
      await writer.store.bindVectorSpace({ embedderId: 'test:128', dimension: 128 });
      const { document } = await writer.store.createDocument(newDocument(TENANT, 'three parts'));
      await writer.store.replaceChunks(TENANT, document.id, chunkInputs(['a', 'b', 'c']));
      const chunks = await writer.store.listChunks(TENANT, document.id);
      const wide = (axis: number) =>
        Float32Array.from({ length: 128 }, (_, i) => (i === axis ? 1 : 0));
      await writer.store.upsertVectors(
        TENANT,
        chunks.map((chunk, i) => ({ chunkId: chunk.id, vector: wide(i) })),
      );
      await writer.store.indexDocument(TENANT, document.id);
      await writer.store.updateDocument(TENANT, document.id, { status: 'completed', now: 1 });
      const hits = await reader.store.searchVector({ tenantId: TENANT, vector: wide(1), limit: 5 });
      expect(hits).toHaveLength(3);
      expect(hits[0]!.chunk.id).toBe(chunks[1]!.id);
    }),
  );
});
