// The metric series store contract, run against SQLite and PostgreSQL: points read back as
// written (64-bit nanosecond times exact), a re-sent point is stored once, the point before a
// range comes with it, pages follow metric name then series id in byte order (the same in both
// stores) and list only series with points in the range, the per-tenant series bound refuses
// new series whole (and only new ones), tenants never see each other, and pruning frees old
// points and series.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/adapters/postgres/database.js';
import { createPostgresMetricSeriesStore } from '../../src/adapters/postgres/metric-series-store.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { createSqliteMetricSeriesStore } from '../../src/adapters/sqlite/metric-series-store.js';
import type {
  MetricSeriesStore,
  SeriesDescriptor,
  SeriesPoint,
} from '../../src/ports/metric-series-store.js';
import { dropSchema, POSTGRES_URL, postgresAvailable, uniqueName } from '../support/backends.js';

interface Backend {
  store: MetricSeriesStore;
  close(): Promise<void>;
}

const hasPostgres = await postgresAvailable();

const BACKENDS: Array<{ name: string; skip: boolean; open: () => Promise<Backend> }> = [
  {
    name: 'sqlite',
    skip: false,
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'engram-series-'));
      const database = openSqlite({ path: join(dir, 'engram.db') });
      return {
        store: createSqliteMetricSeriesStore(database.db),
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
      const schema = uniqueName('series');
      const database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 4 });
      return {
        store: createPostgresMetricSeriesStore(database.pool),
        close: async () => {
          await database.close();
          await dropSchema(schema);
        },
      };
    },
  },
];

function series(id: string, name = 'claude_code.token.usage'): SeriesDescriptor {
  return {
    seriesId: id,
    name,
    kind: 'sum',
    unit: 'tokens',
    temporality: 'cumulative',
    monotonic: true,
    resource: { 'service.name': 'claude-code' },
    attributes: { type: 'input', model: 'claude-sonnet-4-5' },
  };
}

/** A time past 2^53 ns, so a store that went through a double would lose the last digits. */
const T = 1_767_268_800_000_000_123n;
const at = (secondsLater: number) => (T + BigInt(secondsLater) * 1_000_000_000n).toString();
const point = (seriesId: string, secondsLater: number, value: number): SeriesPoint => ({
  seriesId,
  timeNs: at(secondsLater),
  startNs: T.toString(),
  value,
});
const LIMITS = { maxSeries: 100, nowMs: 1_767_268_800_000 };

describe.each(BACKENDS)('metric series store: $name', ({ open, skip, name }) => {
  let backend: Backend;
  beforeAll(async () => {
    if (!skip) backend = await open();
  });
  afterAll(async () => {
    if (!skip) await backend.close();
  });

  it.skipIf(skip)(
    'reads points back exactly, oldest first, and stores a re-sent point once',
    async () => {
      const tenant = `read-${name}`;
      const points = [point('s1', 20, 7), point('s1', 10, 3), point('s2', 10, 1.5)];
      const first = await backend.store.write(tenant, [series('s1'), series('s2')], points, LIMITS);
      expect(first).toEqual({ written: 3, duplicates: 0, refused: new Set() });
      const again = await backend.store.write(
        tenant,
        [series('s1')],
        [{ ...point('s1', 20, 999) }],
        LIMITS,
      );
      expect(again).toMatchObject({ written: 0, duplicates: 1 });

      const read = await backend.store.read(tenant, { fromNs: at(0), toNs: at(60), limit: 100 });
      const s1 = read.find((s) => s.seriesId === 's1')!;
      expect(s1).toMatchObject(series('s1'));
      expect(s1.before).toBeUndefined();
      expect(s1.points).toEqual([point('s1', 10, 3), point('s1', 20, 7)]);
      expect(read.find((s) => s.seriesId === 's2')!.points).toEqual([point('s2', 10, 1.5)]);
      expect(await backend.store.countSeries(tenant)).toBe(2);
    },
  );

  it.skipIf(skip)(
    'gives the latest point before the range and filters by metric name',
    async () => {
      const tenant = `before-${name}`;
      await backend.store.write(
        tenant,
        [series('a'), series('b', 'claude_code.cost.usage')],
        [point('a', 1, 1), point('a', 5, 2), point('a', 30, 9), point('b', 30, 0.5)],
        LIMITS,
      );
      const read = await backend.store.read(tenant, {
        fromNs: at(10),
        toNs: at(60),
        limit: 100,
        name: 'claude_code.token.usage',
      });
      expect(read).toHaveLength(1);
      expect(read[0]!.before).toEqual(point('a', 5, 2));
      expect(read[0]!.points).toEqual([point('a', 30, 9)]);
    },
  );

  it.skipIf(skip)(
    'pages by metric name then series id, in byte order, listing series with points in range',
    async () => {
      const tenant = `page-${name}`;
      // Upper case, lower case and non-ASCII names: byte order puts them Z < a < é.
      const names = ['é.metric', 'a.metric', 'Z.metric', 'a.metric', 'b.metric', 'a.metric'];
      const all = names.map((n, i) => series(`${(15 - i).toString(16)}${i}`, n));
      await backend.store.write(
        tenant,
        [...all, series('ffquiet', 'a.metric')],
        [
          ...all.flatMap((s) => [point(s.seriesId, 5, 1), point(s.seriesId, 20, 2)]),
          point('ffquiet', 5, 1),
        ],
        LIMITS,
      );
      const expected = [...all]
        .sort(
          (x, y) =>
            Buffer.compare(Buffer.from(x.name), Buffer.from(y.name)) ||
            (x.seriesId < y.seriesId ? -1 : 1),
        )
        .map((s) => s.seriesId);
      const seen: string[] = [];
      let after: { name: string; seriesId: string } | undefined;
      for (;;) {
        const page = await backend.store.read(tenant, {
          fromNs: at(10),
          toNs: at(60),
          limit: 4,
          ...(after === undefined ? {} : { after }),
        });
        for (const s of page) {
          // Each series comes with its points in range and the one before it.
          expect(s.points).toEqual([point(s.seriesId, 20, 2)]);
          expect(s.before).toEqual(point(s.seriesId, 5, 1));
        }
        seen.push(...page.map((s) => s.seriesId));
        if (page.length < 4) break;
        after = { name: page.at(-1)!.name, seriesId: page.at(-1)!.seriesId };
      }
      // 'ffquiet' has no point in the range: not listed.
      expect(seen).toEqual(expected);
      const named = await backend.store.read(tenant, {
        fromNs: at(0),
        toNs: at(60),
        limit: 2,
        name: 'a.metric',
      });
      expect(named.map((s) => s.seriesId)).toEqual(
        [...all.filter((s) => s.name === 'a.metric').map((s) => s.seriesId), 'ffquiet']
          .sort()
          .slice(0, 2),
      );
    },
  );

  it.skipIf(skip)(
    'refuses new series past the bound, keeps taking points of known ones',
    async () => {
      const tenant = `bound-${name}`;
      const limits = { ...LIMITS, maxSeries: 2 };
      const first = await backend.store.write(
        tenant,
        [series('x1'), series('x2'), series('x3')],
        [point('x1', 1, 1), point('x2', 1, 1), point('x3', 1, 1)],
        limits,
      );
      expect(first).toEqual({ written: 2, duplicates: 0, refused: new Set(['x3']) });
      const second = await backend.store.write(
        tenant,
        [series('x1'), series('x4')],
        [point('x1', 2, 2), point('x4', 2, 1)],
        limits,
      );
      expect(second).toEqual({ written: 1, duplicates: 0, refused: new Set(['x4']) });
      const read = await backend.store.read(tenant, { fromNs: at(0), toNs: at(60), limit: 100 });
      expect(read.map((s) => s.seriesId).sort()).toEqual(['x1', 'x2']);
      // The bound is per tenant.
      const other = await backend.store.write(
        `${tenant}-other`,
        [series('x3')],
        [point('x3', 1, 1)],
        limits,
      );
      expect(other.refused.size).toBe(0);
      expect(
        await backend.store.read(tenant, { fromNs: at(0), toNs: at(60), limit: 100 }),
      ).toHaveLength(2);
    },
  );

  it.skipIf(skip)('never shows one tenant’s series to another', async () => {
    await backend.store.write(`iso-a-${name}`, [series('s')], [point('s', 1, 1)], LIMITS);
    expect(
      await backend.store.read(`iso-b-${name}`, { fromNs: at(0), toNs: at(60), limit: 100 }),
    ).toEqual([]);
    expect(await backend.store.countSeries(`iso-b-${name}`)).toBe(0);
  });

  it.skipIf(skip)(
    'prunes old points and the series left without points, freeing the bound',
    async () => {
      const tenant = `prune-${name}`;
      const limits = { maxSeries: 1, nowMs: 1000 };
      await backend.store.write(tenant, [series('old')], [point('old', 1, 1)], limits);
      const cutoffMs = Number((T + 10_000_000_000n) / 1_000_000n);
      expect(await backend.store.prune(cutoffMs)).toBeGreaterThanOrEqual(2);
      expect(await backend.store.countSeries(tenant)).toBe(0);
      const after = await backend.store.write(
        tenant,
        [series('new')],
        [point('new', 20, 1)],
        limits,
      );
      expect(after.refused.size).toBe(0);
    },
  );
});
