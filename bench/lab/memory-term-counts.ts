// Lab: what a tenant-wide term count costs on a kept store (a MATCH over the tenant's rowid range,
// as memory text plans counted before memory-term-counts.ts) against the term-docs read, for the
// scale bench's query terms; and count(*) of the tenant's memories.
//   tsx bench/lab/memory-term-counts.ts <dir of a recall-parts.ts store>
import { join } from 'node:path';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { Fts5Frequencies } from '../../src/adapters/sqlite/fts5-frequencies.js';
import { MEMORIES_FTS } from '../../src/adapters/sqlite/fts5-term-docs.js';
import { ftsTerms } from '../../src/adapters/sqlite/memory-text-search.js';
import { quantile } from '../harness.js';
import { searchQueries } from '../suites/synthetic-store.js';

const database = openSqlite({ path: join(process.argv[2]!, 'engram.db') });
const db = database.db;
const terms = [...new Set(searchQueries(100).flatMap(ftsTerms))];
const count = db.prepare(
  'SELECT count(*) AS n FROM memories_fts WHERE memories_fts MATCH ? AND rowid >= ? AND rowid <= ?',
);
const from = 0n,
  to = 1n << 62n;
const freq = new Fts5Frequencies(db, MEMORIES_FTS);
const ms: number[] = [];
const fms: number[] = [];
let differ = 0;
for (const term of terms) {
  let t = performance.now();
  const n = (count.safeIntegers(false).get(`"${term}"`, from, to) as { n: number }).n;
  ms.push(performance.now() - t);
  t = performance.now();
  const [f] = freq.of([term]);
  fms.push(performance.now() - t);
  if (f !== n) differ++;
}
console.log(
  `${terms.length} terms; range count p50 ${quantile(ms, 0.5).toFixed(2)} p95 ${quantile(ms, 0.95).toFixed(2)} max ${Math.max(...ms).toFixed(1)} ms; term-docs p50 ${quantile(fms, 0.5).toFixed(3)} ms; differ ${differ}`,
);
const t = performance.now();
db.prepare('SELECT count(*) AS n FROM memories WHERE tenant_id = ?').get('default');
console.log(`tenant count(*) ${(performance.now() - t).toFixed(1)} ms`);
database.close();
