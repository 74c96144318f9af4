// A provider that echoes the API key back in its error (as OpenAI's 401 does) must never get
// that key into anything Engram shows: document.error, search and recall `degraded`, or an
// error body. The keys are configured with a trailing newline, as a key pasted into a secret
// store often is: fetch sends the trimmed key, so redaction must look for the trimmed key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  embeddingsReply,
  startFakeOpenAiServer,
  type FakeOpenAiServer,
} from '../support/fake-openai-server.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { until } from '../telemetry/backends.js';

const EMBEDDER_KEY = 'sk-echoed-embedder-secret-0123456789';
const LLM_KEY = 'sk-echoed-llm-secret-9876543210';

let fake: FakeOpenAiServer;
let fixture: TestApp;
const echoed: string[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAiServer((request) => {
    const body = request.body as { input?: unknown };
    // Embeddings succeed unless the text asks to fail, so documents get chunks to search.
    if (request.path.endsWith('/embeddings') && !JSON.stringify(body.input).includes('FAILME')) {
      return embeddingsReply(body.input as string[]);
    }
    const key = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
    const message = `Incorrect API key provided: ${key}. You can find your API key at https://example.test.`;
    echoed.push(message);
    return {
      status: 401,
      json: { error: { message, type: 'invalid_request_error', code: 'invalid_api_key' } },
    };
  });
  fixture = await createTestApp({
    env: {
      ENGRAM_EMBEDDER: 'openai',
      ENGRAM_EMBEDDER_URL: fake.url,
      ENGRAM_EMBEDDER_API_KEY: `${EMBEDDER_KEY}\n`,
      ENGRAM_LLM_URL: fake.url,
      ENGRAM_LLM_API_KEY: `${LLM_KEY}\n`,
      ENGRAM_SUMMARISER: 'openai',
      ENGRAM_INTENT_CLASSIFIER: 'openai',
      ENGRAM_JOB_MAX_ATTEMPTS: '1',
    },
  });
  fixture.runtime.startBackground();
});

afterAll(async () => {
  await fixture.dispose();
  await fake.close();
});

function expectNoKey(text: string): void {
  expect(text).not.toContain(EMBEDDER_KEY);
  expect(text).not.toContain(LLM_KEY);
  // Nor a recognisable piece of one.
  expect(text).not.toContain('echoed-embedder-secret');
  expect(text).not.toContain('echoed-llm-secret');
}

describe('a provider that echoes its API key', () => {
  it('never shows the key in document.error, degraded or error bodies', async () => {
    const { app } = fixture;
    const seen: string[] = [];
    const submit = async (content: string) => {
      const submitted = await app.inject({
        method: 'POST',
        url: '/v1/documents',
        payload: { content, mimeType: 'text/markdown' },
      });
      const id = submitted.json<{ id: string }>().id;
      return until(
        async () =>
          (await app.inject({ url: `/v1/documents/${id}` })).json<{
            status: string;
            error: string | null;
          }>(),
        (doc) => doc.status === 'failed' || doc.status === 'completed',
      );
    };
    expect((await submit('# Notes\n\nAlice Smith works at Acme Corp.')).status).toBe('completed');
    const failed = await submit('# FAILME\n\nThis one the embedder refuses.');
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('Incorrect API key provided');
    seen.push(JSON.stringify(failed));

    const search = await app.inject({
      method: 'POST',
      url: '/v1/search',
      payload: { query: 'FAILME: who works at Acme?' },
    });
    expect(search.json<{ degraded?: string }>().degraded).toContain('Incorrect API key');
    seen.push(search.body);

    const session = await app.inject({ method: 'POST', url: '/v1/sessions', payload: {} });
    const sessionId = session.json<{ id: string }>().id;
    await app.inject({
      method: 'POST',
      url: `/v1/sessions/${sessionId}/turns`,
      payload: { speaker: 'ada', content: 'My sister Grace moved to Lisbon.' },
    });
    const recall = await app.inject({
      method: 'POST',
      url: '/v1/recall',
      payload: { query: 'FAILME: where does Grace live?', sessionId },
    });
    expect(JSON.stringify(recall.json<{ degraded?: string[] }>().degraded)).toContain(
      'Incorrect API key',
    );
    seen.push(recall.body);
    // Whatever else the failing chat model reaches: distillation, context, and any 5xx.
    for (const [url, payload] of [
      [`/v1/sessions/${sessionId}/distill`, { includeWorking: true }],
      [
        '/v1/context',
        { query: 'FAILME Grace', sessionId, maxTokens: 100, tokenizer: 'o200k_base' },
      ],
    ] as const) {
      const answer = await app.inject({ method: 'POST', url, payload });
      expect(answer.statusCode, url).toBeLessThan(500);
      seen.push(answer.body);
    }

    // The fake did echo both keys, trimmed, so each place above had one to leak.
    expect(echoed.some((message) => message.includes(`${EMBEDDER_KEY}.`))).toBe(true);
    expect(echoed.some((message) => message.includes(`${LLM_KEY}.`))).toBe(true);
    for (const text of seen) expectNoKey(text);
  });
});
