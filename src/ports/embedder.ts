// Embedder port: turns texts into L2-normalised vectors (so cosine similarity is a dot product).
// The id is stored with every vector, so a change of embedder is detected instead of silently
// mixing vectors from two models in one index.

/** One call Engram made to a model, for the telemetry capability's "what memory costs you". */
export interface ModelCall {
  kind: 'embedding' | 'chat';
  /** `local`, `openai` (any OpenAI-compatible server). */
  provider: string;
  model: string;
  latencyMs: number;
  inputTokens?: number;
  outputTokens?: number;
  /** Texts embedded or messages sent in this call. */
  items?: number;
  success: boolean;
  /** Short reason on failure; never contains a secret. */
  error?: string;
}

/** Called once per model invocation (one batch, one HTTP request); must not throw. */
export type ModelCallRecorder = (call: ModelCall) => void;

export interface EmbedOptions {
  /** Aborting rejects the call; texts not yet sent to the model are dropped. */
  signal?: AbortSignal;
}

export interface Embedder {
  /** Stable identity of the vector space, e.g. `local:use-lite-512`, `openai:text-embedding-3-small`. */
  readonly id: string;
  /**
   * Length of every vector. An embedder whose dimension is neither built in nor configured
   * learns it from its first response; reading it before then throws `INVALID_STATE`.
   */
  readonly dimension: number;
  /** One vector per text, in input order, each with L2 norm 1. Vectors are the caller's to keep. */
  embed(texts: string[], options?: EmbedOptions): Promise<Float32Array[]>;
  /** Releases threads and connections; pending calls reject. Safe to call twice. */
  close(): Promise<void>;
}
