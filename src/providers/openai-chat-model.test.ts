// The OpenAI-compatible chat model against a real local HTTP server speaking the OpenAI wire format.
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import { createSilentLogger } from '../domain/logger.js';
import type { ChatMessage } from '../ports/chat-model.js';
import type { ModelCall } from '../ports/embedder.js';
import {
  chatReply,
  startFakeOpenAiServer,
  type FakeOpenAiServer,
  type FakeReply,
  type RecordedRequest,
} from '../../test/support/fake-openai-server.js';
import { createOpenAiChatModel, type OpenAiChatModelOptions } from './openai-chat-model.js';

const API_KEY = 'sk-chat-9d8c7b6a5f4e';

const entities = z.object({
  entities: z.array(
    z.object({ name: z.string().min(1), type: z.enum(['person', 'organisation', 'place']) }),
  ),
});
const messages: ChatMessage[] = [
  { role: 'system', content: 'Extract entities.' },
  { role: 'user', content: 'Ada Lovelace worked with Charles Babbage in London.' },
];
const valid = {
  entities: [
    { name: 'Ada Lovelace', type: 'person' },
    { name: 'London', type: 'place' },
  ],
};

let server: FakeOpenAiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(
  handler: (request: RecordedRequest, index: number) => FakeReply,
): Promise<FakeOpenAiServer> {
  server = await startFakeOpenAiServer(handler);
  return server;
}

function modelFor(url: string, overrides: Partial<OpenAiChatModelOptions> = {}) {
  return createOpenAiChatModel({
    baseUrl: url,
    model: 'gpt-test',
    apiKey: API_KEY,
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

type ChatBody = {
  model: string;
  messages: ChatMessage[];
  response_format: { type: string; json_schema: { name: string; schema: Record<string, unknown> } };
};

describe('OpenAI-compatible chat model', () => {
  it('asks for the schema as json_schema and returns the validated object', async () => {
    const { url, requests } = await serve(() => chatReply(JSON.stringify(valid)));
    const calls: ModelCall[] = [];
    const result = await modelFor(url, { recordCall: (c) => calls.push(c) }).completeJson(
      entities,
      messages,
      { schemaName: 'entities' },
    );

    expect(result).toEqual(valid);
    expect(requests).toHaveLength(1);
    const body = requests[0]!.body as ChatBody;
    expect(requests[0]!.path).toBe('/v1/chat/completions');
    expect(requests[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(body.model).toBe('gpt-test');
    expect(body.messages).toEqual(messages);
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema.name).toBe('entities');
    expect(body.response_format.json_schema.schema).toMatchObject({
      type: 'object',
      required: ['entities'],
    });
    expect(calls).toEqual([
      expect.objectContaining({
        kind: 'chat',
        provider: 'openai',
        model: 'gpt-test',
        success: true,
        inputTokens: 20,
        outputTokens: 5,
      }),
    ]);
  });

  it('repairs an invalid reply once, showing the model its reply and what is wrong', async () => {
    const invalid = JSON.stringify({ entities: [{ name: 'Ada Lovelace', type: 'human' }] });
    const { url, requests } = await serve((_r, index) =>
      chatReply(index === 0 ? invalid : JSON.stringify(valid)),
    );

    const result = await modelFor(url).completeJson(entities, messages, { schemaName: 'entities' });

    expect(result).toEqual(valid);
    expect(requests).toHaveLength(2);
    const repair = (requests[1]!.body as ChatBody).messages;
    expect(repair.slice(0, 2)).toEqual(messages);
    expect(repair[2]).toEqual({ role: 'assistant', content: invalid });
    expect(repair[3]!.role).toBe('user');
    expect(repair[3]!.content).toContain('entities.0.type');
  });

  it('repairs a reply that is not JSON at all', async () => {
    const { url, requests } = await serve((_r, index) =>
      chatReply(index === 0 ? 'Sure! Here are the entities: Ada, London' : JSON.stringify(valid)),
    );
    await expect(
      modelFor(url).completeJson(entities, messages, { schemaName: 'entities' }),
    ).resolves.toEqual(valid);
    expect((requests[1]!.body as ChatBody).messages[3]!.content).toMatch(/not valid JSON/);
  });

  it('asks for a second repair when the first repair is still invalid', async () => {
    const { url, requests } = await serve((_r, index) =>
      chatReply(index < 2 ? '{"entities": [{"name": ""}]}' : JSON.stringify(valid)),
    );
    await expect(
      modelFor(url).completeJson(entities, messages, { schemaName: 'entities' }),
    ).resolves.toEqual(valid);
    expect(requests).toHaveLength(3);
    // Each repair shows the original request, the last reply and its issues; nothing piles up.
    expect((requests[2]!.body as ChatBody).messages).toHaveLength(4);
  });

  it('fails clearly when the reply is still invalid after two repairs, after exactly three requests', async () => {
    const { url, requests } = await serve(() => chatReply('{"entities": "none"}'));
    const error = await failureOf(
      modelFor(url).completeJson(entities, messages, { schemaName: 'entities' }),
    );
    expect(requests).toHaveLength(3);
    expect(error.code).toBe('PROVIDER_FAILED');
    expect(error.message).toMatch(/does not match schema "entities", even after 2 repair requests/);
    expect(error.details?.['reason']).toBe('invalid_output');
    expect(error.details?.['issues']).toEqual([expect.stringContaining('entities')]);
  });

  it('sends a strict schema when every property is required, and a loose one otherwise', async () => {
    const { url, requests } = await serve((_r, index) =>
      chatReply(index === 0 ? JSON.stringify(valid) : '{"note": null}'),
    );
    const model = modelFor(url);
    await model.completeJson(entities, messages, { schemaName: 'entities' });
    const strict = (requests[0]!.body as ChatBody).response_format.json_schema;
    expect(strict).toMatchObject({ name: 'entities', strict: true });
    // Closed objects all the way down; string lengths are left to zod's check of the reply.
    expect(strict.schema).toEqual({
      type: 'object',
      properties: {
        entities: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              type: { type: 'string', enum: ['person', 'organisation', 'place'] },
            },
            required: ['name', 'type'],
            additionalProperties: false,
          },
        },
      },
      required: ['entities'],
      additionalProperties: false,
    });

    const optional = z.object({ note: z.string().nullable(), page: z.number().optional() });
    await model.completeJson(optional, messages, { schemaName: 'note' });
    expect((requests[1]!.body as ChatBody).response_format.json_schema).toMatchObject({
      strict: false,
    });
  });

  it('falls back to json_object, with the schema in the prompt, when the server refuses json_schema; and stays there', async () => {
    const { url, requests } = await serve((request) => {
      const format = (request.body as Partial<ChatBody>).response_format;
      if (format?.type === 'json_schema')
        return {
          status: 400,
          json: {
            error: {
              message: "Invalid value for 'response_format': json_schema is not supported",
              type: 'invalid_request_error',
            },
          },
        };
      return chatReply(JSON.stringify(valid));
    });
    const model = modelFor(url);
    await expect(
      model.completeJson(entities, messages, { schemaName: 'entities' }),
    ).resolves.toEqual(valid);
    await expect(
      model.completeJson(entities, messages, { schemaName: 'entities' }),
    ).resolves.toEqual(valid);
    const formats = requests.map((r) => (r.body as Partial<ChatBody>).response_format?.type);
    expect(formats).toEqual(['json_schema', 'json_object', 'json_object']);
    const sent = (requests[1]!.body as ChatBody).messages;
    expect(sent).toHaveLength(2);
    expect(sent[0]!.role).toBe('system');
    expect(sent[0]!.content).toMatch(/^Extract entities\.\n\nReply with one JSON object/);
    expect(sent[0]!.content).toContain('"enum":["person","organisation","place"]');
    expect(sent[1]).toEqual(messages[1]);
  });

  it('falls back to a plain request when the server refuses every response_format, repairing as usual', async () => {
    const { url, requests } = await serve((request, index) => {
      if ((request.body as Partial<ChatBody>).response_format !== undefined)
        return { status: 400, text: 'unknown field `response_format`' };
      return chatReply(index === 2 ? 'Here you go: {' : JSON.stringify(valid));
    });
    await expect(
      modelFor(url).completeJson(entities, messages, { schemaName: 'entities' }),
    ).resolves.toEqual(valid);
    expect(requests).toHaveLength(4);
    expect('response_format' in (requests[2]!.body as object)).toBe(false);
    const repair = (requests[3]!.body as ChatBody).messages;
    expect(repair[0]!.content).toContain('JSON Schema');
    expect(repair.at(-1)!.content).toMatch(/not valid JSON/);
  });

  it('accepts JSON wrapped in a code fence', async () => {
    const { url } = await serve(() => chatReply('```json\n' + JSON.stringify(valid) + '\n```'));
    await expect(
      modelFor(url).completeJson(entities, messages, { schemaName: 'entities' }),
    ).resolves.toEqual(valid);
  });

  it('retries a 502 like the embedder, and fails a 400 at once without the key in the message', async () => {
    const retrying = await serve((_r, index) =>
      index === 0 ? { status: 502, text: 'bad gateway' } : chatReply(JSON.stringify(valid)),
    );
    await expect(
      modelFor(retrying.url).completeJson(entities, messages, { schemaName: 'entities' }),
    ).resolves.toEqual(valid);
    expect(retrying.requests).toHaveLength(2);
    await retrying.close();

    const rejecting = await serve(() => ({
      status: 400,
      json: { error: { message: `model not found (key ${API_KEY})` } },
    }));
    const error = await failureOf(
      modelFor(rejecting.url).completeJson(entities, messages, { schemaName: 'entities' }),
    );
    expect(rejecting.requests).toHaveLength(1);
    expect(error.message).toContain('HTTP 400');
    expect(error.message).not.toContain(API_KEY);
  });

  it('times out and opens its breaker like the embedder', async () => {
    const { url, requests } = await serve(() => 'hang');
    const model = modelFor(url, { timeoutMs: 100, maxAttempts: 1, breakerThreshold: 2 });
    for (let i = 0; i < 2; i++) {
      expect(
        (await failureOf(model.completeJson(entities, messages, { schemaName: 'entities' })))
          .message,
      ).toMatch(/did not answer within 100 ms/);
    }
    // Under load a timed-out request may not have reached the server yet; what matters is that
    // the open breaker sends nothing at all.
    const sentBefore = requests.length;
    const error = await failureOf(
      model.completeJson(entities, messages, { schemaName: 'entities' }),
    );
    expect(error.message).toMatch(/circuit breaker open/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requests.length).toBe(sentBefore);
  });
});
