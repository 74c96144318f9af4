// Lab: where PostgreSQL full-text chunk search spends its time, on a kept schema (filled first
// when it holds fewer chunks than asked).
//   tsx bench/lab/pg-text-parts.ts <schema> <chunks>   (env: ENGRAM_BENCH_DATABASE_URL, EXPLAIN=1)
// For each of the scale bench's 100 queries: the store's searchText (limit 30), and by parts the
// plan's statistics, the rows it selects (its window included) counted, and those rows ranked by
// ts_rank_cd (the store's) and by ts_rank.
import { createPostgresDocumentStore } from '../../src/adapters/postgres/document-store.js';
import { createTermPostings } from '../../src/adapters/postgres/term-postings.js';
import {
  anyTermQuery,
  selectedRows,
  selectingQuery,
} from '../../src/adapters/postgres/term-postings.js';
import { rareTermsFirst } from '../../src/adapters/rare-terms-first.js';
import { chunkPostingBudget } from '../../src/adapters/postgres/document-search.js';
import { systemClock } from '../../src/domain/clock.js';
import { searchTerms } from '../../src/ports/document-store.js';
import { quantile } from '../harness.js';
import { openLabSchema } from './pg-lab-schema.js';
import {
  BENCH_TENANT,
  clusteredVectors,
  fillChunks,
  searchQueries,
} from '../suites/synthetic-store.js';

const [schema = 'lab_pg100k', sizeArg = '100000'] = process.argv.slice(2);
const database = await openLabSchema(schema);
const pool = database.pool;
const store = createPostgresDocumentStore({ pool });
await fillChunks(store, Number(sizeArg), {
  log: (m) => console.log(m),
  vectors: clusteredVectors(42),
});
await pool.query('ANALYZE chunks; ANALYZE documents; ANALYZE chunk_vectors');
const termPostings = createTermPostings(systemClock, 'chunks', 'tsv');
const queries = searchQueries(100);

interface Sample {
  query: string;
  selected: number;
  parts: Record<string, number>;
}
const samples: Sample[] = [];
const timed = async (run: () => Promise<unknown>) => {
  const t = performance.now();
  await run();
  return performance.now() - t;
};
for (const query of queries) {
  const terms = searchTerms(query);
  const parts: Record<string, number> = {};
  parts['searchText 30'] = await timed(() =>
    store.searchText({ tenantId: BENCH_TENANT, query, limit: 30 }),
  );
  let plan!: ReturnType<typeof rareTermsFirst>;
  parts.statistics = await timed(async () => {
    const stats = await termPostings(pool, terms);
    plan = rareTermsFirst(stats.terms, stats.rows, chunkPostingBudget(120), { windowed: true });
  });
  const selecting = plan.complete ? anyTermQuery(terms) : selectingQuery(plan);
  const params = [anyTermQuery(terms), BENCH_TENANT, ...(selecting === null ? [] : [selecting])];
  const rowsOf = (score: string) =>
    selectedRows({
      from: 'chunks x',
      id: 'x.id',
      tsv: 'x.tsv',
      score,
      where: 'x.tenant_id = $2',
      selecting: selecting === null ? null : '$3',
      scoring: '$1',
      windowRows: plan.complete ? null : plan.windowRows,
    });
  let count = 0;
  parts['select, count'] = await timed(async () => {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (${rowsOf('0')}) r`,
      params,
    );
    count = rows[0]!.n;
  });
  for (const [name, score] of [
    ['rank ts_rank_cd', 'ts_rank_cd(x.tsv, q)'],
    ['rank ts_rank', 'ts_rank(x.tsv, q)'],
  ] as const) {
    parts[name] = await timed(() =>
      pool.query(`SELECT * FROM (${rowsOf(score)}) r ORDER BY score DESC, id LIMIT 120`, params),
    );
  }
  if (process.env.EXPLAIN === '1' && samples.length < 3) {
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM (${rowsOf('ts_rank_cd(x.tsv, q)')}) r
       ORDER BY score DESC, id LIMIT 120`,
      params,
    );
    console.log(query, '\n' + rows.map((row) => row['QUERY PLAN']).join('\n'));
  }
  samples.push({ query, selected: count, parts });
}
const names = Object.keys(samples[0]!.parts);
for (const name of names) {
  const xs = samples.map((s) => s.parts[name]!);
  console.log(
    `${name.padEnd(22)} p50 ${quantile(xs, 0.5).toFixed(1)} p95 ${quantile(xs, 0.95).toFixed(1)} ms`,
  );
}
const rows = samples.map((s) => s.selected);
console.log(
  `rows selected: p50 ${quantile(rows, 0.5)} p95 ${quantile(rows, 0.95)} max ${Math.max(...rows)}`,
);
const slowest = samples.toSorted((a, b) => b.parts['searchText 30']! - a.parts['searchText 30']!);
for (const s of slowest.slice(0, 5))
  console.log(`slow: ${s.parts['searchText 30']!.toFixed(1)} ms, ${s.selected} rows: ${s.query}`);
await database.close();
