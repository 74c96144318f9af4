import { openPostgres } from '../../../src/adapters/postgres/database.js';
import { createPostgresDocumentStore } from '../../../src/adapters/postgres/document-store.js';
import { POSTGRES_URL } from '../../../test/support/backends.js';
const database = await openPostgres({ url: POSTGRES_URL, schema: 'lab_pg100k', poolMax: 4 });
const pool = database.pool;
const captured: Array<[string, unknown[]]> = [];
const original = pool.query.bind(pool);
(pool as any).query = (sql: any, params: any) => { if (typeof sql === 'string' && sql.includes('r.score')) captured.push([sql, params]); return original(sql, params); };
const store = createPostgresDocumentStore({ pool });
const q = process.argv[2] ?? 'what about refunds deshite rushius usnote shianshi vazuan rideel?';
for (let i = 0; i < 3; i++) { const t = performance.now(); await store.searchText({ tenantId: 'default', query: q, limit: 30 }); console.log('ms', (performance.now() - t).toFixed(1), 'queries', captured.length); }
const [sql, params] = captured.at(-1)!;
(pool as any).query = original;
const { rows } = await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
console.log(rows.map((r: any) => r['QUERY PLAN']).join('\n'));
await database.close();
