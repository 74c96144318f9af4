// Lab: what one graph mention insert costs in SQLite, and which part of the table's shape costs
// it: graph_mentions as the migrations make it (a rowid table, a five-column primary key and an
// index led by the entity), then without the entity index, without rowids, without foreign keys,
// with a 64 MB page cache, and written by one INSERT … SELECT from JSON per transaction. 90,000
// mentions of 20,000 entities in 300 transactions of 300 (a document's chunks), in a file in WAL.
//   npx tsx bench/lab/mention-writes.ts [variant…]   (base noidx wr nofk cache bulk; all by default)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const VARIANTS = ['base', 'noidx', 'wr', 'nofk', 'cache', 'bulk'];
const chosen = process.argv.length > 2 ? process.argv.slice(2) : VARIANTS;
const id = (prefix: string, n: number) => prefix + String(n).padStart(24, '0');

interface Mention {
  entityId: string;
  documentId: string;
  chunkId: string;
  surface: string;
}

function batches(): Mention[][] {
  const all: Mention[][] = [];
  let chunk = 0;
  for (let b = 0; b < 300; b++) {
    const mentions: Mention[] = [];
    for (let c = 0; c < 30; c++) {
      chunk++;
      for (let k = 0; k < 10; k++)
        mentions.push({
          entityId: id('e', (chunk * 31 + k * 977) % 20_000),
          documentId: id('d', b),
          chunkId: id('c', chunk),
          surface: `Surface ${k}`,
        });
    }
    all.push(mentions);
  }
  return all;
}

function run(variant: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'engram-mentions-'));
  const db = new Database(join(dir, 'engram.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('mmap_size = 2147418112');
    db.pragma(`foreign_keys = ${variant === 'nofk' ? 'OFF' : 'ON'}`);
    if (variant === 'cache') db.pragma('cache_size = -65536');
    db.exec(`CREATE TABLE graph_entities (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL);
      CREATE TABLE graph_mentions (
        tenant_id TEXT NOT NULL,
        entity_id TEXT NOT NULL REFERENCES graph_entities (id) ON DELETE CASCADE,
        document_id TEXT NOT NULL, chunk_id TEXT NOT NULL, surface TEXT NOT NULL,
        type TEXT NOT NULL, method TEXT NOT NULL, score REAL NOT NULL, created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, document_id, chunk_id, entity_id, surface)
      ) ${variant === 'wr' ? 'WITHOUT ROWID' : ''};
      ${variant === 'noidx' ? '' : 'CREATE INDEX graph_mentions_entity ON graph_mentions (entity_id, tenant_id);'}`);
    const entity = db.prepare('INSERT INTO graph_entities (id, tenant_id) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 20_000; i++) entity.run(id('e', (i * 7919) % 20_000), 'default');
    })();
    const one = db.prepare(`INSERT INTO graph_mentions
      (tenant_id, entity_id, document_id, chunk_id, surface, type, method, score, created_at)
      VALUES (?, ?, ?, ?, ?, 'Person', 'rule', 0.8, 0) ON CONFLICT DO NOTHING`);
    const many = db.prepare(`INSERT INTO graph_mentions
      (tenant_id, entity_id, document_id, chunk_id, surface, type, method, score, created_at)
      SELECT ?, value ->> 0, value ->> 1, value ->> 2, value ->> 3, 'Person', 'rule', 0.8, 0
      FROM json_each(?) WHERE true ON CONFLICT DO NOTHING`);
    const write = db.transaction((mentions: Mention[]) => {
      if (variant === 'bulk')
        many.run(
          'default',
          JSON.stringify(mentions.map((m) => [m.entityId, m.documentId, m.chunkId, m.surface])),
        );
      else
        for (const m of mentions)
          one.run('default', m.entityId, m.documentId, m.chunkId, m.surface);
    });
    const all = batches();
    const start = performance.now();
    for (const mentions of all) write(mentions);
    return ((performance.now() - start) * 1000) / all.reduce((n, b) => n + b.length, 0);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const round of [1, 2])
  for (const variant of chosen)
    console.log(`round ${round} ${variant.padEnd(6)} ${run(variant).toFixed(1)} µs a mention`);
