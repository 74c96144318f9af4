// The unmapped-record store contract, run against SQLite and PostgreSQL: records read back as
// written, newest first, paged by id and filtered by signal and name; a re-sent record (same key)
// is stored once and counted once; past the bound the oldest go first and the drop is counted;
// writers racing on one tenant keep the bound exactly; tenants never see each other.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/adapters/postgres/database.js';
import { createPostgresUnmappedStore } from '../../src/adapters/postgres/unmapped-store.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { createSqliteUnmappedStore } from '../../src/adapters/sqlite/unmapped-store.js';
import type {
  UnmappedRecord,
  UnmappedSignal,
  UnmappedStore,
} from '../../src/ports/unmapped-store.js';
import { dropSchema, POSTGRES_URL, postgresAvailable, uniqueName } from '../support/backends.js';

interface Backend {
  store: UnmappedStore;
  close(): Promise<void>;
}

const hasPostgres = await postgresAvailable();

const BACKENDS: Array<{ name: string; skip: boolean; open: () => Promise<Backend> }> = [
  {
    name: 'sqlite',
    skip: false,
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'engram-unmapped-'));
      const database = openSqlite({ path: join(dir, 'engram.db') });
      return {
        store: createSqliteUnmappedStore(database.db),
        close: async () => {
          database.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    skip: !hasPostgres,
    open: async () => {
      const schema = uniqueName('unmapped');
      const database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 4 });
      return {
        store: createPostgresUnmappedStore(database.pool),
        close: async () => {
          await database.close();
          await dropSchema(schema);
        },
      };
    },
  },
];

function record(
  key: string,
  signal: UnmappedSignal = 'traces',
  name = 'GET /forecast',
): UnmappedRecord {
  const text = JSON.stringify({ span: { name, key, note: 'ünïcode ✓' } });
  return {
    key,
    signal,
    name,
    reason: signal === 'traces' ? 'not a GenAI span (no gen_ai.operation.name)' : 'not mapped',
    record: text,
    recordBytes: Buffer.byteLength(text),
    receivedMs: 1_767_268_800_000,
  };
}

const BIG = { maxRecords: 1000 };

describe.each(BACKENDS)('unmapped record store: $name', ({ open, skip, name }) => {
  let backend: Backend;
  beforeAll(async () => {
    if (!skip) backend = await open();
  });
  afterAll(async () => {
    if (!skip) await backend.close();
  });

  it.skipIf(skip)(
    'reads records back exactly, newest first, and stores a re-sent one once',
    async () => {
      const tenant = `read-${name}`;
      const first = await backend.store.write(tenant, [record('a'), record('b'), record('a')], BIG);
      expect(first).toEqual({ stored: 2, duplicates: 1, dropped: 0 });
      const again = await backend.store.write(
        tenant,
        [{ ...record('b'), reason: 'other' }, record('c')],
        BIG,
      );
      expect(again).toEqual({ stored: 1, duplicates: 1, dropped: 0 });
      const listed = await backend.store.list(tenant, { limit: 10 });
      expect(listed.map((r) => r.key)).toEqual(['c', 'b', 'a']);
      const { id, ...b } = listed[1]!;
      expect(b).toEqual(record('b'));
      expect(id).toBeLessThan(listed[0]!.id);
      expect(await backend.store.counts(tenant, { limit: 10 })).toEqual({
        held: 3,
        received: 3,
        dropped: 0,
        byName: [
          {
            signal: 'traces',
            name: 'GET /forecast',
            reason: 'not a GenAI span (no gen_ai.operation.name)',
            count: 3,
          },
        ],
      });
    },
  );

  it.skipIf(skip)('pages by id and filters by signal and name', async () => {
    const tenant = `page-${name}`;
    const records = [
      record('s1', 'traces', 'GET /a'),
      record('l1', 'logs', 'claude_code.mcp_call'),
      record('s2', 'traces', 'GET /b'),
      record('l2', 'logs', 'claude_code.mcp_call'),
      record('m1', 'metrics', 'jvm.gc'),
    ];
    await backend.store.write(tenant, records, BIG);
    const seen: string[] = [];
    let beforeId: number | undefined;
    for (;;) {
      const page = await backend.store.list(tenant, {
        limit: 2,
        ...(beforeId === undefined ? {} : { beforeId }),
      });
      seen.push(...page.map((r) => r.key));
      if (page.length < 2) break;
      beforeId = page.at(-1)!.id;
    }
    expect(seen).toEqual(['m1', 'l2', 's2', 'l1', 's1']);
    expect(
      (await backend.store.list(tenant, { limit: 10, signal: 'logs' })).map((r) => r.key),
    ).toEqual(['l2', 'l1']);
    expect(
      (await backend.store.list(tenant, { limit: 10, signal: 'traces', name: 'GET /a' })).map(
        (r) => r.key,
      ),
    ).toEqual(['s1']);
    expect(await backend.store.list(tenant, { limit: 10, name: 'nothing' })).toEqual([]);
    const counts = await backend.store.counts(tenant, { limit: 2 });
    expect(counts.held).toBe(5);
    expect(counts.byName).toHaveLength(2);
    expect(counts.byName[0]).toMatchObject({
      signal: 'logs',
      name: 'claude_code.mcp_call',
      count: 2,
    });
  });

  it.skipIf(skip)('drops the oldest past the bound and counts the drop', async () => {
    const tenant = `bound-${name}`;
    const limits = { maxRecords: 3 };
    expect(await backend.store.write(tenant, [record('r1'), record('r2')], limits)).toMatchObject({
      dropped: 0,
    });
    expect(
      await backend.store.write(tenant, [record('r3'), record('r4'), record('r5')], limits),
    ).toEqual({ stored: 3, duplicates: 0, dropped: 2 });
    expect((await backend.store.list(tenant, { limit: 10 })).map((r) => r.key)).toEqual([
      'r5',
      'r4',
      'r3',
    ]);
    // One export larger than the bound keeps its newest records.
    expect(
      await backend.store.write(
        tenant,
        ['r6', 'r7', 'r8', 'r9'].map((k) => record(k)),
        limits,
      ),
    ).toEqual({ stored: 4, duplicates: 0, dropped: 4 });
    expect((await backend.store.list(tenant, { limit: 10 })).map((r) => r.key)).toEqual([
      'r9',
      'r8',
      'r7',
    ]);
    expect(await backend.store.counts(tenant, { limit: 10 })).toMatchObject({
      held: 3,
      received: 9,
      dropped: 6,
    });
  });

  it.skipIf(skip)('keeps the bound exactly under concurrent writers of one tenant', async () => {
    const tenant = `race-${name}`;
    const limits = { maxRecords: 25 };
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, w) =>
        backend.store.write(
          tenant,
          Array.from({ length: 10 }, (_, i) => record(`w${w}-${i}`)),
          limits,
        ),
      ),
    );
    const counts = await backend.store.counts(tenant, { limit: 10 });
    expect(counts).toMatchObject({ held: 25, received: 80, dropped: 55 });
    expect(results.reduce((n, r) => n + r.dropped, 0)).toBe(55);
    // Kept are the newest: each writer's records in the reverse of the order it gave them.
    const listed = await backend.store.list(tenant, { limit: 100 });
    expect(listed).toHaveLength(25);
    for (let w = 0; w < 8; w += 1) {
      const mine = listed
        .filter((r) => r.key.startsWith(`w${w}-`))
        .map((r) => Number(r.key.split('-')[1]));
      expect(mine).toEqual([...mine].sort((a, b) => b - a));
      if (mine.length > 0) expect(mine[0]).toBe(9);
    }
  });

  it.skipIf(skip)('never shows one tenant’s records to another', async () => {
    await backend.store.write(`iso-a-${name}`, [record('x')], BIG);
    expect(await backend.store.list(`iso-b-${name}`, { limit: 10 })).toEqual([]);
    expect(await backend.store.counts(`iso-b-${name}`, { limit: 10 })).toEqual({
      held: 0,
      received: 0,
      dropped: 0,
      byName: [],
    });
    // The same key in another tenant is another record.
    expect(await backend.store.write(`iso-b-${name}`, [record('x')], BIG)).toMatchObject({
      stored: 1,
    });
  });
});
