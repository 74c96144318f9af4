// Every request has a deadline once received (ENGRAM_REQUEST_DEADLINE_MS): past it the caller gets
// 504 TIMEOUT in the error envelope, and the request's AbortSignal cancels the provider call it
// was waiting for, so a hung embedding API holds neither the client nor a socket.
import { afterEach, describe, expect, it } from 'vitest';
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

async function start(): Promise<TestApp> {
  // An embedding API that never answers.
  provider = await startFakeOpenAiServer(() => 'hang');
  fixture = await createTestApp({
    env: {
      ENGRAM_EMBEDDER: 'openai',
      ENGRAM_EMBEDDER_URL: provider.url,
      ENGRAM_EMBEDDER_DIMENSIONS: '4',
      ENGRAM_REQUEST_DEADLINE_MS: '300',
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
    expect(requests.every((request) => request.abandoned)).toBe(true);
  });
});
