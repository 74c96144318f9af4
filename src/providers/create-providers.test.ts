// Choosing providers from the configuration.
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { createSilentLogger } from '../domain/logger.js';
import type { ModelCall } from '../ports/embedder.js';
import { createChatModel, createEmbedder, resolveDimension } from './create-providers.js';
import {
  embeddingsReply,
  startFakeOpenAiServer,
  type FakeOpenAiServer,
} from '../../test/support/fake-openai-server.js';

const logger = createSilentLogger();
let server: FakeOpenAiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('createEmbedder / createChatModel', () => {
  it('defaults to the offline embedder and no chat model', async () => {
    const config = configSchema.parse({});
    const embedder = createEmbedder(config, { logger });
    expect(embedder.id).toBe('local:use-lite-512');
    expect(embedder.dimension).toBe(512);
    expect(createChatModel(config, { logger })).toBeUndefined();
    await embedder.close();
  });

  it('builds the static embedder, uncached, with the recorder wired in', async () => {
    const config = configSchema.parse({ embedder: 'static' });
    const calls: ModelCall[] = [];
    const embedder = createEmbedder(config, { logger, recordCall: (c) => calls.push(c) });
    expect(embedder.id).toBe('local:use-lite-static-512@0.2.0-r1');
    await embedder.embed(['a', 'b']);
    await embedder.embed(['a', 'b']);
    expect(calls.map((c) => [c.model, c.items])).toEqual([
      ['local:use-lite-static-512@0.2.0-r1', 2],
      ['local:use-lite-static-512@0.2.0-r1', 2],
    ]);
    await embedder.close();
  });

  it('builds the openai embedder, cached, with the recorder wired in', async () => {
    server = await startFakeOpenAiServer((request) =>
      embeddingsReply((request.body as { input: string[] }).input),
    );
    const config = configSchema.parse({
      embedder: 'openai',
      embedderUrl: server.url,
      embedderModel: 'nomic-embed-text',
      embedderBatchSize: 2,
    });
    const calls: ModelCall[] = [];
    const embedder = createEmbedder(config, { logger, recordCall: (c) => calls.push(c) });
    expect(embedder.id).toBe('openai:nomic-embed-text');
    await embedder.embed(['a', 'b', 'c']);
    await embedder.embed(['a', 'b', 'c']);
    expect(server.requests).toHaveLength(2);
    expect(calls.map((c) => c.items)).toEqual([2, 1]);
    await embedder.close();
  });

  it('resolves a learned dimension with one probe request, a known one with none', async () => {
    server = await startFakeOpenAiServer((request) =>
      embeddingsReply((request.body as { input: string[] }).input),
    );
    const config = configSchema.parse({ embedder: 'openai', embedderUrl: server.url });
    const embedder = createEmbedder(config, { logger });
    await expect(resolveDimension(embedder)).resolves.toBe(4);
    await expect(resolveDimension(embedder)).resolves.toBe(4);
    expect(server.requests).toHaveLength(1);
    const local = createEmbedder(configSchema.parse({}), { logger });
    await expect(resolveDimension(local)).resolves.toBe(512);
    await Promise.all([embedder.close(), local.close()]);
  });

  it('builds a chat model when an LLM URL is set', () => {
    const config = configSchema.parse({ llmUrl: 'http://127.0.0.1:9/v1', llmModel: 'qwen3:4b' });
    expect(createChatModel(config, { logger })?.id).toBe('openai:qwen3:4b');
  });
});
