// A small real embedder for tests: hashed bag of lower-cased words, L2-normalised. Weak but
// deterministic and instant, so tests exercise the vector path without loading a model.
import type { Embedder } from '../../src/ports/embedder.js';

export function createHashingEmbedder(
  dimension = 64,
  id = 'test:hashing-64',
): Embedder & { calls: number; texts: number } {
  const embedder = {
    id,
    dimension,
    calls: 0,
    texts: 0,
    async embed(texts: string[]): Promise<Float32Array[]> {
      embedder.calls += 1;
      embedder.texts += texts.length;
      return texts.map((text) => {
        const vector = new Float32Array(dimension);
        for (const word of text.toLowerCase().split(/[^a-z0-9]+/)) {
          if (word === '') continue;
          let hash = 2166136261;
          for (let i = 0; i < word.length; i += 1)
            hash = Math.imul(hash ^ word.charCodeAt(i), 16777619);
          vector[(hash >>> 0) % dimension]! += 1;
        }
        const norm = Math.hypot(...vector) || 1;
        return vector.map((value) => value / norm);
      });
    },
    async close() {},
  };
  return embedder;
}
