// Every request has a deadline once received (ENGRAM_REQUEST_DEADLINE_MS): past it the caller gets
// 504 TIMEOUT in the error envelope, and the request's AbortSignal cancels the provider call it
// was waiting for, so a hung embedding API holds neither the client nor a socket.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/ports/embedder.js';
import { createCachedEmbedder } from '../../src/providers/cached-embedder.js';
import { until } from '../telemetry/backends.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../support/fake-openai-server.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

let fixture: TestApp | undefined;
let provider: FakeOpenAiServer | undefined;

afterEach(async () => {
  await fixture?.dispose();
  await provider?.close();
  fixture = undefined;
  provider = undefined;
});

/** An embedding API answering after `delayMs` (never, by default). */
async function start(options: { delayMs?: number; deadlineMs?: number } = {}): Promise<TestApp> {
  provider = await startFakeOpenAiServer(async (request) => {
    if (options.delayMs === undefined) return 'hang';
    await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    const input = (request.body as { input: string[] }).input;
    return {
      json: {
        object: 'list',
        model: 'test',
        data: input.map((_, index) => ({ object: 'embedding', index, embedding: [1, 0, 0, 0] })),
        usage: { prompt_tokens: 1, total_tokens: 1 },
      },
    };
  });
  fixture = await createTestApp({
    env: {
      ENGRAM_EMBEDDER: 'openai',
      ENGRAM_EMBEDDER_URL: provider.url,
      ENGRAM_EMBEDDER_DIMENSIONS: '4',
      ENGRAM_REQUEST_DEADLINE_MS: String(options.deadlineMs ?? 300),
      // Let the provider's own timeout be far longer than the deadline.
      ENGRAM_PROVIDER_TIMEOUT_MS: '60000',
    },
  });
  return fixture;
}

describe('request deadlines', () => {
  it.each([
    ['/v1/recall', { query: 'where does Grace live?' }],
    ['/v1/search', { query: 'who works at Acme?' }],
    ['/v1/context', { query: 'Grace', tokenizer: 'o200k_base', maxTokens: 100 }],
  ])('%s answers 504 TIMEOUT at the deadline and cancels the embedding call', async (url, body) => {
    const { app } = await start();
    if (url === '/v1/search') {
      // Search embeds the query only once the store holds vectors of this embedder.
      const { runtime } = fixture!;
      await runtime.stores.documentStore.bindVectorSpace({
        embedderId: runtime.embedder.id,
        dimension: 4,
      });
    }
    // A first request loads what loads once (a tokenizer can take longer than the deadline).
    await app.inject({ method: 'POST', url, payload: body });
    const response = await app.inject({ method: 'POST', url, payload: body });
    expect(response.statusCode, response.body).toBe(504);
    expect(response.json().error).toMatchObject({
      code: 'TIMEOUT',
      requestId: response.headers['x-request-id'],
    });
    const requests = await until(
      async () => provider!.requests,
      (seen) => seen.length > 0 && seen.every((request) => request.abandoned),
    );
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((request) => request.abandoned)).toBe(true);
  });
});

// Over a real socket, not inject: Fastify 5.12's request.signal aborts as soon as a POST body
// has been read (fastify/fastify#6725), which cancelled every recall's embedding and, with it,
// the deadline timer itself.
describe('request deadlines over a real connection', () => {
  async function listen(app: TestApp['app']): Promise<string> {
    await app.listen({ host: '127.0.0.1', port: 0 });
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }

  function post(base: string, url: string, body: unknown, signal?: AbortSignal) {
    return fetch(`${base}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(signal === undefined ? {} : { signal }),
    });
  }

  it("keeps a POST's work running once its body is read: the embedding is used, not cancelled", async () => {
    const { app } = await start({ delayMs: 150, deadlineMs: 10_000 });
    const base = await listen(app);
    const response = await post(base, '/v1/recall', { query: 'where does Grace live?' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { degraded?: string[] };
    expect(body.degraded ?? []).toEqual([]);
    expect(provider!.requests.length).toBeGreaterThan(0);
    expect(provider!.requests.some((request) => request.abandoned)).toBe(false);
  });

  it('answers a POST 504 TIMEOUT at its deadline and cancels the embedding call', async () => {
    const { app } = await start();
    const base = await listen(app);
    await post(base, '/v1/recall', { query: 'warm up' });
    const response = await post(base, '/v1/recall', { query: 'where does Grace live?' });
    expect(response.status).toBe(504);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('TIMEOUT');
    const requests = await until(
      async () => provider!.requests,
      (seen) => seen.length > 0 && seen.every((request) => request.abandoned),
    );
    expect(requests.every((request) => request.abandoned)).toBe(true);
  });

  it('cancels the embedding call when the client goes away', async () => {
    const { app } = await start({ deadlineMs: 60_000 });
    const base = await listen(app);
    const controller = new AbortController();
    const call = post(base, '/v1/recall', { query: 'where does Grace live?' }, controller.signal);
    await until(
      async () => provider!.requests.length,
      (count) => count > 0,
    );
    controller.abort();
    await expect(call).rejects.toThrow();
    const requests = await until(
      async () => provider!.requests,
      (seen) => seen.every((request) => request.abandoned),
    );
    expect(requests.every((request) => request.abandoned)).toBe(true);
  });
});

describe('a shared cached embedding under deadlines', () => {
  /** An embedder that answers only when told to, and reports the signal it was given. */
  function gatedEmbedder() {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const signals: AbortSignal[] = [];
    const embedder: Embedder = {
      id: 'test:gated',
      dimension: 2,
      async embed(texts, options) {
        if (options?.signal !== undefined) signals.push(options.signal);
        await Promise.race([
          gate,
          new Promise((_, reject) =>
            options?.signal?.addEventListener('abort', () => reject(new Error('cancelled'))),
          ),
        ]);
        return texts.map(() => new Float32Array([1, 0]));
      },
      async close() {},
    };
    return { embedder, signals, open };
  }

  it('keeps computing while one caller still waits, and cancels once every caller has gone', async () => {
    const { embedder, signals, open } = gatedEmbedder();
    const cached = createCachedEmbedder(embedder, { maxEntries: 10 });
    const first = new AbortController();
    const second = new AbortController();
    const firstCall = cached.embed(['same text'], { signal: first.signal });
    const secondCall = cached.embed(['same text'], { signal: second.signal });
    first.abort(new Error('first caller past its deadline'));
    await expect(firstCall).rejects.toThrow('first caller past its deadline');
    expect(signals[0]!.aborted).toBe(false);
    open();
    expect(await secondCall).toHaveLength(1);

    const { embedder: hung, signals: hungSignals } = gatedEmbedder();
    const cachedHung = createCachedEmbedder(hung, { maxEntries: 10 });
    const a = new AbortController();
    const b = new AbortController();
    const calls = [
      cachedHung.embed(['other text'], { signal: a.signal }),
      cachedHung.embed(['other text'], { signal: b.signal }),
    ];
    a.abort(new Error('a gone'));
    b.abort(new Error('b gone'));
    await Promise.allSettled(calls);
    expect(hungSignals[0]!.aborted).toBe(true);
  });
});
