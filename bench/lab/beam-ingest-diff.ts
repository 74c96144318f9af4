// Lab: ingest the same BEAM conversations twice into fresh stores and compare what was stored:
// memory rows (kind, tier, speaker, text, time) in order, and each memory's vector.
//   tsx bench/lab/beam-ingest-diff.ts <conversation dirs…>
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/config/load-config.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createRuntime } from '../../src/runtime.js';
import { loadBeamConversation } from '../../src/eval/beam-data.js';
import { ingestBeam } from '../../src/eval/beam-eval.js';

const conversations = await Promise.all(process.argv.slice(2).map((d) => loadBeamConversation(d)));
type Row = { key: string; vector: Buffer | null; signs: Buffer | null };
const centres: string[] = [];
async function ingestOnce(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'beam-ingest-'));
  const runtime = await createRuntime(loadConfig({ env: { ENGRAM_DATA_DIR: dir } }), {
    logger: createSilentLogger(),
  });
  await ingestBeam(conversations, { memory: runtime.memory, tenantId: 'default' });
  await runtime.close();
  const db = new Database(`${dir}/engram.db`, { readonly: true });
  const rows = db
    .prepare(
      `SELECT m.kind, m.tier, m.speaker, m.text, m.occurred_at, m.salience, v.vector, v.signs FROM memories m
       LEFT JOIN memory_vectors v ON v.memory_pk = m.pk ORDER BY m.user_id, m.occurred_at, m.kind, m.text`,
    )
    .all() as Array<Record<string, unknown> & { vector: Buffer | null; signs: Buffer | null }>;
  const centre = db.prepare('SELECT name, sample_size, version, centre FROM vector_centres').all();
  centres.push(JSON.stringify(centre));
  console.log('centres', JSON.stringify(centre).slice(0, 300));
  db.close();
  console.log('ingested', dir, rows.length, 'memories');
  return rows.map(({ vector, signs, ...rest }) => ({ key: JSON.stringify(rest), vector, signs }));
}
const a = await ingestOnce();
const b = await ingestOnce();
let rowsDiffer = 0;
let vectorsDiffer = 0;
let maxDelta = 0;
let signsDiffer = 0;
const bByKey = new Map(b.map((r) => [r.key, r]));
for (const r of a) {
  const other = bByKey.get(r.key);
  if (other === undefined) {
    rowsDiffer++;
    if (rowsDiffer <= 5) console.log('only in the first:', r.key.slice(0, 200));
    continue;
  }
  if (r.signs !== null && other.signs !== null && !r.signs.equals(other.signs)) signsDiffer++;
  if (r.vector === null || other.vector === null) {
    if (r.vector !== other.vector) vectorsDiffer++;
    continue;
  }
  if (!r.vector.equals(other.vector)) {
    vectorsDiffer++;
    const x = new Float32Array(r.vector.buffer, r.vector.byteOffset, r.vector.length / 4);
    const y = new Float32Array(
      other.vector.buffer,
      other.vector.byteOffset,
      other.vector.length / 4,
    );
    for (let i = 0; i < x.length; i++) maxDelta = Math.max(maxDelta, Math.abs(x[i]! - y[i]!));
  }
}
console.log(
  'memories',
  a.length,
  b.length,
  'rows only in the first',
  rowsDiffer,
  'vectors differing',
  vectorsDiffer,
  'largest component difference',
  maxDelta,
  'sign bits differing',
  signsDiffer,
  'centres equal',
  centres[0] === centres[1],
);
