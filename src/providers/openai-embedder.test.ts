// The OpenAI-compatible embedder against a real local HTTP server speaking the OpenAI wire format.
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../domain/errors.js';
import { createSilentLogger } from '../domain/logger.js';
import type { ModelCall } from '../ports/embedder.js';
import {
  embeddingsReply,
  fakeEmbedding,
  startFakeOpenAiServer,
  type FakeOpenAiServer,
  type FakeReply,
} from '../../test/support/fake-openai-server.js';
import { l2Normalise } from './l2-normalise.js';
import { createOpenAiEmbedder, type OpenAiEmbedderOptions } from './openai-embedder.js';

const API_KEY = 'sk-test-4f7c1e9a2b3d5e6f';

let server: FakeOpenAiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(
  handler: (body: { input: string[] }, index: number) => FakeReply,
): Promise<FakeOpenAiServer> {
  server = await startFakeOpenAiServer((request, index) =>
    handler(request.body as { input: string[] }, index),
  );
  return server;
}

function embedderFor(url: string, overrides: Partial<OpenAiEmbedderOptions> = {}) {
  return createOpenAiEmbedder({
    baseUrl: url,
    model: 'text-embedding-test',
    apiKey: API_KEY,
    batchSize: 3,
    timeoutMs: 2_000,
    logger: createSilentLogger(),
    backoffBaseMs: 1,
    ...overrides,
  });
}

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

function expectNoKey(error: AppError) {
  const everything = `${error.message} ${String(error)} ${JSON.stringify(error.details)} ${String((error.cause as Error | undefined)?.message)}`;
  expect(everything).not.toContain(API_KEY);
}

describe('OpenAI-compatible embedder', () => {
  it('splits texts into batches, keeps input order and returns normalised vectors', async () => {
    const { url, requests } = await serve((body) => embeddingsReply(body.input, { reverse: true }));
    const calls: ModelCall[] = [];
    const embedder = embedderFor(url, { recordCall: (call) => calls.push(call) });
    const texts = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'];

    const vectors = await embedder.embed(texts);

    expect(requests.map((r) => (r.body as { input: string[] }).input)).toEqual(
      expect.arrayContaining([['alpha', 'beta', 'gamma'], ['delta', 'epsilon', 'zeta'], ['eta']]),
    );
    expect(requests).toHaveLength(3);
    expect(requests[0]!.path).toBe('/v1/embeddings');
    expect((requests[0]!.body as { model: string }).model).toBe('text-embedding-test');
    vectors.forEach((vector, i) =>
      expect(Array.from(vector)).toEqual(Array.from(l2Normalise(fakeEmbedding(texts[i]!)))),
    );
    expect(embedder.dimension).toBe(4);
    expect(embedder.id).toBe('openai:text-embedding-test');
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => c.kind === 'embedding' && c.success && c.provider === 'openai')).toBe(
      true,
    );
    expect(calls.reduce((sum, c) => sum + (c.items ?? 0), 0)).toBe(7);
    expect(calls.reduce((sum, c) => sum + (c.inputTokens ?? 0), 0)).toBe(21);
  });

  it('sends the API key as a bearer token', async () => {
    const { url, requests } = await serve((body) => embeddingsReply(body.input));
    await embedderFor(url).embed(['hello']);
    expect(requests[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('reports its dimension only once it is known, unless configured', async () => {
    const { url, requests } = await serve((body) => embeddingsReply(body.input));
    const learning = embedderFor(url);
    expect(() => learning.dimension).toThrow(/not known before its first embedding/);
    const configured = embedderFor(url, { dimensions: 4 });
    expect(configured.dimension).toBe(4);
    expect(configured.id).toBe('openai:text-embedding-test:4d');
    await configured.embed(['x']);
    expect((requests[0]!.body as { dimensions: number }).dimensions).toBe(4);
  });

  it('refuses a vector whose dimension differs from the one it learned', async () => {
    const { url } = await serve((body, index) =>
      index === 0
        ? embeddingsReply(body.input)
        : { json: { data: [{ index: 0, embedding: [1, 2, 3] }] } },
    );
    const embedder = embedderFor(url);
    await embedder.embed(['first']);
    const error = await failureOf(embedder.embed(['second']));
    expect(error.code).toBe('EMBEDDER_MISMATCH');
    expect(error.message).toMatch(/3-d vector, expected 4-d/);
  });

  it('retries a 500 and succeeds on the next answer', async () => {
    const { url, requests } = await serve((body, index) =>
      index === 0
        ? { status: 500, json: { error: { message: 'upstream exploded' } } }
        : embeddingsReply(body.input),
    );
    const calls: ModelCall[] = [];
    const vectors = await embedderFor(url, { recordCall: (c) => calls.push(c) }).embed(['hello']);
    expect(vectors).toHaveLength(1);
    expect(requests).toHaveLength(2);
    expect(calls).toEqual([expect.objectContaining({ success: true, items: 1 })]);
  });

  it('retries a 429, honouring a short Retry-After', async () => {
    const { url, requests } = await serve((body, index) =>
      index === 0
        ? {
            status: 429,
            headers: { 'retry-after': '0' },
            json: { error: { message: 'slow down' } },
          }
        : embeddingsReply(body.input),
    );
    await expect(embedderFor(url).embed(['hello'])).resolves.toHaveLength(1);
    expect(requests).toHaveLength(2);
  });

  it('fails at once on a 400, with the server’s explanation and without retrying', async () => {
    const { url, requests } = await serve(() => ({
      status: 400,
      json: { error: { message: "'$.input' is invalid" } },
    }));
    const calls: ModelCall[] = [];
    const error = await failureOf(
      embedderFor(url, { recordCall: (c) => calls.push(c) }).embed(['']),
    );
    expect(requests).toHaveLength(1);
    expect(error.code).toBe('PROVIDER_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('HTTP 400');
    expect(error.message).toContain("'$.input' is invalid");
    expect(error.message).toContain('127.0.0.1');
    expect(calls).toEqual([
      expect.objectContaining({ success: false, error: expect.stringContaining('HTTP 400') }),
    ]);
  });

  it('times out a server that never answers, retrying before giving up', async () => {
    const { url, requests } = await serve(() => 'hang');
    const error = await failureOf(
      embedderFor(url, { timeoutMs: 150, maxAttempts: 2 }).embed(['hello']),
    );
    expect(error.code).toBe('PROVIDER_FAILED');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/did not answer within 150 ms.*gave up after 2 attempts/);
    expect(requests).toHaveLength(2);
  });

  it('retries a dropped connection and a refused one as network errors', async () => {
    const dropping = await serve((body, index) =>
      index === 0 ? 'drop' : embeddingsReply(body.input),
    );
    await expect(embedderFor(dropping.url).embed(['hello'])).resolves.toHaveLength(1);
    expect(dropping.requests).toHaveLength(2);

    const deadUrl = dropping.url;
    await dropping.close();
    server = undefined;
    const error = await failureOf(embedderFor(deadUrl, { maxAttempts: 2 }).embed(['hello']));
    expect(error.message).toMatch(
      /could not reach embedding server http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings/,
    );
    expect(error.retryable).toBe(true);
  });

  it('opens the circuit breaker after repeated failures and says so', async () => {
    const { url, requests } = await serve(() => ({ status: 503, text: 'overloaded' }));
    const embedder = embedderFor(url, {
      maxAttempts: 1,
      breakerThreshold: 3,
      breakerHalfOpenAfterMs: 60_000,
    });
    for (let i = 0; i < 3; i++) {
      const error = await failureOf(embedder.embed([`text ${i}`]));
      expect(error.message).toContain('HTTP 503');
    }
    const error = await failureOf(embedder.embed(['one more']));
    expect(error.code).toBe('PROVIDER_FAILED');
    expect(error.message).toMatch(/circuit breaker open after 3 consecutive failures/);
    expect(error.message).toContain('HTTP 503');
    expect(requests).toHaveLength(3);
  });

  it('a 400 does not count towards the breaker: the server is healthy, the request is wrong', async () => {
    const { url, requests } = await serve(() => ({ status: 400, text: 'bad input' }));
    const embedder = embedderFor(url, { maxAttempts: 1, breakerThreshold: 2 });
    for (let i = 0; i < 4; i++)
      expect((await failureOf(embedder.embed(['x']))).message).toContain('HTTP 400');
    expect(requests).toHaveLength(4);
  });

  it('never puts the API key in an error, even when the server echoes it', async () => {
    const echo = (status: number): FakeReply => ({
      status,
      json: { error: { message: `Incorrect API key provided: ${API_KEY}` } },
    });
    const { url } = await serve((_body, index) => echo(index === 0 ? 401 : 500));
    const unauthorised = await failureOf(embedderFor(url).embed(['hello']));
    expect(unauthorised.message).toContain('HTTP 401');
    expect(unauthorised.message).toContain('check ENGRAM_EMBEDDER_API_KEY');
    expectNoKey(unauthorised);
    const failing = await failureOf(embedderFor(url, { maxAttempts: 2 }).embed(['hello']));
    expect(failing.message).toContain('HTTP 500');
    expectNoKey(failing);
  });

  it('rejects an answer that is not an embeddings list', async () => {
    const { url } = await serve(() => ({ json: { data: [{ index: 0 }] } }));
    const error = await failureOf(embedderFor(url).embed(['hello']));
    expect(error.message).toMatch(/without a valid embeddings list/);
  });

  it('stops when the caller aborts', async () => {
    const { url } = await serve(() => 'hang');
    const controller = new AbortController();
    const pending = embedderFor(url, { timeoutMs: 10_000 }).embed(['hello'], {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
