// Engram: the TypeScript client. Each method is one call (remember: two when it starts the
// session) through openapi-fetch over the generated OpenAPI types, so a route's schema change
// shows up here as a type error.
import createClient, { type Client } from 'openapi-fetch';
import { errorFromResponse } from './errors.js';
import type { paths } from './generated/api.js';
import { IngestHandle } from './ingest-handle.js';
import { createTransport } from './transport.js';
import type {
  CiteResult,
  ContextOptions,
  ContextResult,
  Document,
  DocumentInput,
  DocumentVersionInput,
  EventBatch,
  EventsResult,
  ForgetResult,
  ForgetUserResult,
  MetricsSummary,
  MetricsSummaryQuery,
  RecallResult,
  RecallScope,
  RememberResult,
  SearchOptions,
  SearchResult,
  SessionInput,
  Turn,
} from './types.js';

export interface EngramOptions {
  /** Where the server listens, e.g. http://localhost:8080. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when the server has API keys. */
  apiKey?: string;
  /** Per attempt; default 30 s. */
  timeoutMs?: number;
  /** Retries on 429 and 503; default 3. */
  maxRetries?: number;
  /** First backoff step when the server names no Retry-After; default 250 ms. */
  retryBaseDelayMs?: number;
  /** Longest wait before a retry; a longer Retry-After is not waited for. Default 30 s. */
  maxRetryDelayMs?: number;
  /** Another fetch (an instrumented one, a runtime's own); default globalThis.fetch. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** Where `remember` puts the turns: an existing session, or a new one for this user and agent. */
export type RememberTarget = { sessionId: string } | SessionInput;

interface ApiResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

async function unwrap<T>(call: Promise<ApiResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw errorFromResponse(response, error);
  return data as T;
}

export class Engram {
  readonly #api: Client<paths>;

  readonly events = {
    /** Append a batch of agent events; each bad one comes back in `rejected` with its reason. */
    send: (events: EventBatch, options: CallOptions = {}): Promise<EventsResult> =>
      unwrap(this.#api.POST('/v1/events', { body: { events }, ...options })),
  };

  readonly metrics = {
    /** Latency quantiles, acceptance, tool usage, sessions and productivity over a window. */
    summary: (
      query: MetricsSummaryQuery = {},
      options: CallOptions = {},
    ): Promise<MetricsSummary> =>
      unwrap(this.#api.GET('/v1/metrics/summary', { params: { query }, ...options })),
  };

  constructor(options: EngramOptions) {
    const fetch =
      options.fetch ?? ((url: string, init: RequestInit) => globalThis.fetch(url, init));
    this.#api = createClient<paths>({
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      fetch: createTransport({
        fetch,
        timeoutMs: options.timeoutMs ?? 30_000,
        maxRetries: options.maxRetries ?? 3,
        retryBaseDelayMs: options.retryBaseDelayMs ?? 250,
        maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
      }),
      ...(options.apiKey === undefined
        ? {}
        : { headers: { authorization: `Bearer ${options.apiKey}` } }),
    });
  }

  /** Add turns to a session's memory, starting the session first when no sessionId is given. */
  async remember(
    turns: Turn[],
    target: RememberTarget = {},
    options: CallOptions = {},
  ): Promise<RememberResult> {
    const sessionId =
      'sessionId' in target
        ? target.sessionId
        : (await unwrap(this.#api.POST('/v1/sessions', { body: target, ...options }))).id;
    return unwrap(
      this.#api.POST('/v1/sessions/{id}/turns', {
        params: { path: { id: sessionId } },
        body: { turns },
        ...options,
      }),
    );
  }

  /** Memories for a query, ranked, each with its score breakdown and citation id. */
  recall(query: string, scope: RecallScope = {}, options: CallOptions = {}): Promise<RecallResult> {
    return unwrap(this.#api.POST('/v1/recall', { body: { query, ...scope }, ...options }));
  }

  /** Recall packed into `maxTokens` of `tokenizer`: the text and its exact token IDs. */
  context(
    query: string,
    context: ContextOptions,
    options: CallOptions = {},
  ): Promise<ContextResult> {
    return unwrap(this.#api.POST('/v1/context', { body: { query, ...context }, ...options }));
  }

  /** Report the memories the agent used: each gains salience. */
  cite(ids: string[], options: CallOptions = {}): Promise<CiteResult> {
    return unwrap(this.#api.POST('/v1/memories/cited', { body: { ids }, ...options }));
  }

  /** Forget a memory and what was derived from it (episodes, promoted copies): ids deleted. */
  forget(memoryId: string, options: CallOptions = {}): Promise<ForgetResult> {
    return unwrap(
      this.#api.DELETE('/v1/memories/{id}', { params: { path: { id: memoryId } }, ...options }),
    );
  }

  /** Forget everything a user has: sessions, turns, episodes, promoted items. */
  forgetUser(userId: string, options: CallOptions = {}): Promise<ForgetUserResult> {
    return unwrap(
      this.#api.DELETE('/v1/users/{userId}/memories', {
        params: { path: { userId } },
        ...options,
      }),
    );
  }

  /** Store a document; the pipeline runs on the server (`waitUntilDone()` on the handle). */
  async ingest(document: DocumentInput, options: CallOptions = {}): Promise<IngestHandle> {
    const submitted = await unwrap(this.#api.POST('/v1/documents', { body: document, ...options }));
    if ('documents' in submitted)
      throw new TypeError('One document was sent, yet the server answered for a batch.');
    return new IngestHandle(submitted, (id, signal) =>
      this.document(id, signal === undefined ? {} : { signal }),
    );
  }

  /**
   * New content for an existing document: the same content is a no-op (`changed` false); new
   * content becomes the next version, which replaces the live one when it completes.
   */
  async updateDocument(
    id: string,
    document: DocumentVersionInput,
    options: CallOptions = {},
  ): Promise<IngestHandle> {
    const submitted = await unwrap(
      this.#api.PUT('/v1/documents/{id}', { params: { path: { id } }, body: document, ...options }),
    );
    return new IngestHandle(submitted, (documentId, signal) =>
      this.document(documentId, signal === undefined ? {} : { signal }),
    );
  }

  /** A document: its live version's status, stage, attempts, error, counts and timings, and a next version in progress. */
  document(id: string, options: CallOptions = {}): Promise<Document> {
    return unwrap(this.#api.GET('/v1/documents/{id}', { params: { path: { id } }, ...options }));
  }

  /** Hybrid search over the chunks of completed documents. */
  search(
    query: string,
    search: SearchOptions = {},
    options: CallOptions = {},
  ): Promise<SearchResult> {
    return unwrap(this.#api.POST('/v1/search', { body: { query, ...search }, ...options }));
  }
}
