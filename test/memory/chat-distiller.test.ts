// The `openai` summariser end to end: ENGRAM_SUMMARISER=openai sends the turns (with their dates)
// to an OpenAI-compatible server (a real HTTP server speaking the wire format) and stores its
// summary and facts as episodes linked to the turns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngramApp } from '../../src/http/engram-app.js';
import {
  chatReply,
  embeddingsReply,
  startFakeOpenAiServer,
  type FakeOpenAiServer,
} from '../support/fake-openai-server.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

describe('openai summariser', () => {
  let server: FakeOpenAiServer;
  let test: TestApp;
  let app: EngramApp;

  beforeAll(async () => {
    server = await startFakeOpenAiServer((request) => {
      if (request.path.endsWith('/embeddings')) {
        return embeddingsReply((request.body as { input: string[] }).input);
      }
      return chatReply(
        JSON.stringify({
          summary: 'Caroline told Melanie about a support group.',
          facts: ['Caroline went to an LGBTQ support group on 7 May 2023.'],
        }),
      );
    });
    test = await createTestApp({
      env: {
        ENGRAM_SUMMARISER: 'openai',
        ENGRAM_LLM_URL: server.url,
        ENGRAM_EMBEDDER: 'openai',
        ENGRAM_EMBEDDER_URL: server.url,
        ENGRAM_WM_MAX_TURNS: '2',
        ENGRAM_EM_DISTILL_EVERY_N_TURNS: '2',
      },
    });
    app = test.app;
  });
  afterAll(async () => {
    await test.dispose();
    await server.close();
  });

  it('stores the model summary and facts as episodes of the turns that left working memory', async () => {
    const session = (
      await app.inject({ method: 'POST', url: '/v1/sessions', payload: { userId: 'caroline' } })
    ).json<{ id: string }>();
    const added = await app.inject({
      method: 'POST',
      url: `/v1/sessions/${session.id}/turns`,
      payload: {
        turns: [
          {
            speaker: 'Caroline',
            content: 'I went to a support group yesterday.',
            at: '2023-05-08',
          },
          { speaker: 'Melanie', content: 'How was it?', at: '2023-05-08' },
          { speaker: 'Caroline', content: 'Powerful.', at: '2023-05-08' },
          { speaker: 'Melanie', content: 'Glad to hear.', at: '2023-05-08' },
        ],
      },
    });
    const turnIds = added.json<{ turns: Array<{ id: string }> }>().turns.map((turn) => turn.id);
    await test.runtime.memory.settle();
    const chat = server.requests.filter((request) => request.path.endsWith('/chat/completions'));
    expect(chat).toHaveLength(1);
    expect(JSON.stringify(chat[0]!.body)).toContain(
      '[8 May 2023] Caroline: I went to a support group yesterday.',
    );
    const hits = await test.runtime.memory.store.searchText({
      tenantId: 'default',
      kinds: ['episode'],
      query: 'support group',
      k: 10,
    });
    expect(hits.map((hit) => hit.memory.text).sort()).toEqual([
      'Caroline told Melanie about a support group.',
      'Caroline went to an LGBTQ support group on 7 May 2023.',
    ]);
    for (const hit of hits) {
      expect(hit.memory.source.turnIds).toEqual(turnIds.slice(0, 2));
      expect(hit.memory.metadata.distiller).toBe('openai:gpt-4o-mini');
      expect(hit.memory.embedderId).not.toBeNull();
    }
  });
});
