// Embedder for any OpenAI-compatible `POST {baseUrl}/embeddings` (OpenAI, Ollama, vLLM, TEI,
// LiteLLM…): batches of `batchSize` texts, each request behind the shared call policy
// (timeout, retries on transient failures, circuit breaker). The dimension is configured or
// learned from the first response; a server that later changes it is an error, not a silent mix.
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { EmbedOptions, Embedder, ModelCallRecorder } from '../ports/embedder.js';
import { createCallPolicy, type CallPolicy } from './call-policy.js';
import { joinUrl, postJson, printableUrl } from './http-json.js';
import { l2Normalise } from './l2-normalise.js';
import { modelCallRecorder, recordedCall } from './model-call-recorder.js';

export interface OpenAiEmbedderOptions {
  /** e.g. `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  model: string;
  apiKey?: string | undefined;
  /** Texts per request. */
  batchSize: number;
  timeoutMs: number;
  /** Asks the server for this many dimensions (OpenAI text-embedding-3 supports it) and checks it. */
  dimensions?: number | undefined;
  logger: Logger;
  recordCall?: ModelCallRecorder | undefined;
  maxAttempts?: number;
  backoffBaseMs?: number;
  breakerThreshold?: number;
  breakerHalfOpenAfterMs?: number;
  /** Requests in flight at once for one embed() call with many batches. */
  concurrency?: number;
}

const embeddingsResponse = z.object({
  data: z
    .array(z.object({ index: z.number().int().nonnegative(), embedding: z.array(z.number()) }))
    .min(0),
  usage: z
    .object({ prompt_tokens: z.number().optional(), total_tokens: z.number().optional() })
    .partial()
    .optional(),
});

export function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Embedder {
  const url = joinUrl(options.baseUrl, 'embeddings');
  const target = `embedding server ${printableUrl(url)} (model ${options.model})`;
  const policy: CallPolicy = createCallPolicy({ ...options, target });
  const concurrency = Math.max(1, options.concurrency ?? 2);
  let dimension = options.dimensions;
  let closed = false;
  const id =
    options.dimensions === undefined
      ? `openai:${options.model}`
      : `openai:${options.model}:${options.dimensions}d`;

  const record = modelCallRecorder('embedding', 'openai', options);

  async function embedBatch(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const body: Record<string, unknown> = { model: options.model, input: texts };
    if (options.dimensions !== undefined) body['dimensions'] = options.dimensions;
    const { vectors } = await recordedCall(
      record,
      texts.length,
      async () => {
        const raw = await policy.execute(
          (attemptSignal) =>
            postJson({
              url,
              body,
              apiKey: options.apiKey,
              apiKeySetting: 'ENGRAM_EMBEDDER_API_KEY',
              target,
              signal: attemptSignal,
            }),
          signal,
        );
        return { vectors: parseResponse(raw, texts.length), tokens: readTokens(raw) };
      },
      ({ tokens }) => (tokens === undefined ? {} : { inputTokens: tokens }),
    );
    return vectors;
  }

  function parseResponse(raw: unknown, expected: number): Float32Array[] {
    const parsed = embeddingsResponse.safeParse(raw);
    if (!parsed.success) {
      throw new AppError(
        'PROVIDER_FAILED',
        `${target} answered without a valid embeddings list (expected {data: [{index, embedding}]})`,
        {
          details: { reason: 'bad_response', issues: parsed.error.issues.slice(0, 5) },
        },
      );
    }
    const rows = parsed.data.data;
    if (rows.length !== expected) {
      throw new AppError(
        'PROVIDER_FAILED',
        `${target} returned ${rows.length} embeddings for ${expected} texts`,
        {
          details: { reason: 'bad_response' },
        },
      );
    }
    const out = new Array<Float32Array | undefined>(expected);
    for (const row of rows) {
      if (row.index >= expected || out[row.index] !== undefined) {
        throw new AppError(
          'PROVIDER_FAILED',
          `${target} returned embedding index ${row.index} twice or out of range`,
          {
            details: { reason: 'bad_response' },
          },
        );
      }
      if (dimension === undefined) {
        if (row.embedding.length === 0) {
          throw new AppError('PROVIDER_FAILED', `${target} returned an empty embedding`, {
            details: { reason: 'bad_response' },
          });
        }
        dimension = row.embedding.length;
        options.logger.info({ target, dimension }, 'embedding dimension learned from the server');
      }
      if (row.embedding.length !== dimension) {
        throw new AppError(
          'EMBEDDER_MISMATCH',
          `${target} returned a ${row.embedding.length}-d vector, expected ${dimension}-d; ` +
            'the model behind this URL changed — set ENGRAM_EMBEDDER_MODEL to the model you indexed with, or re-embed',
          { details: { expected: dimension, actual: row.embedding.length } },
        );
      }
      out[row.index] = l2Normalise(row.embedding);
    }
    return out as Float32Array[];
  }

  return {
    id,
    get dimension(): number {
      if (dimension === undefined) {
        throw new AppError(
          'INVALID_STATE',
          `the dimension of ${id} is not known before its first embedding; embed a text first or set ENGRAM_EMBEDDER_DIMENSIONS`,
        );
      }
      return dimension;
    },
    async embed(texts: string[], embedOptions: EmbedOptions = {}): Promise<Float32Array[]> {
      if (closed) throw new AppError('UNAVAILABLE', `embedder ${id} is closed`);
      if (texts.length === 0) return [];
      const batches: string[][] = [];
      for (let i = 0; i < texts.length; i += options.batchSize)
        batches.push(texts.slice(i, i + options.batchSize));
      const results = new Array<Float32Array[]>(batches.length);
      // A small pool, not Promise.all over every batch: a 10k-text call must not open 160
      // requests at once, and a failure stops the rest instead of running them for nothing.
      let next = 0;
      let failed = false;
      const runLane = async () => {
        while (!failed && next < batches.length) {
          const index = next++;
          try {
            results[index] = await embedBatch(batches[index]!, embedOptions.signal);
          } catch (error) {
            failed = true;
            throw error;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, runLane));
      return results.flat();
    },
    async close() {
      closed = true;
    },
  };
}

function readTokens(raw: unknown): number | undefined {
  const usage = (raw as { usage?: { prompt_tokens?: unknown; total_tokens?: unknown } } | null)
    ?.usage;
  const value = usage?.prompt_tokens ?? usage?.total_tokens;
  return typeof value === 'number' ? value : undefined;
}
