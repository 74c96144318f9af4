// The `openai` extractor against a real local HTTP server speaking the chat-completions wire
// format, feeding the graph service on SQLite: schema sent, reply validated (with up to two
// repairs), entities resolved and facts stored; a chunk whose reply stays invalid is left out and
// counted, while a failing server fails the extraction.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { createSqliteGraphStore } from '../../src/adapters/sqlite/graph-store.js';
import { createManualClock } from '../../src/domain/clock.js';
import { isAppError } from '../../src/domain/errors.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createChatExtractor } from '../../src/graph/chat-extractor.js';
import { createGraphService } from '../../src/graph/graph-service.js';
import {
  chatReply,
  startFakeOpenAiServer,
  type FakeOpenAiServer,
  type FakeReply,
  type RecordedRequest,
} from '../support/fake-openai-server.js';
import { createOpenAiChatModel } from '../../src/providers/openai-chat-model.js';

const PARAGRAPH =
  'Neo4j Inc. was founded by Emil Eifrem. In March 2023, Emil Eifrem joined Acme Robotics as an adviser.';

const GOOD = {
  entities: [
    { name: 'Neo4j Inc.', type: 'organization' },
    { name: 'Emil Eifrem', type: 'person' },
    { name: 'Acme Robotics', type: 'organization' },
    { name: 'March 2023', type: 'date' },
  ],
  relations: [
    {
      subject: 'Emil Eifrem',
      predicate: 'founded',
      verb: null,
      object: 'Neo4j Inc.',
      validFrom: null,
      evidence: 'Neo4j Inc. was founded by Emil Eifrem.',
    },
    {
      subject: 'Emil Eifrem',
      predicate: 'works at',
      verb: null,
      object: 'Acme Robotics',
      validFrom: '2023-03-01',
      evidence: 'In March 2023, Emil Eifrem joined Acme Robotics as an adviser.',
    },
    {
      subject: 'Emil Eifrem',
      predicate: 'other',
      verb: 'advise',
      object: 'Acme Robotics',
      validFrom: null,
      evidence: 'In March 2023, Emil Eifrem joined Acme Robotics as an adviser.',
    },
  ],
};

interface SentBody {
  model: string;
  response_format: {
    type: string;
    json_schema: { name: string; schema: { properties: Record<string, unknown> } };
  };
  messages: unknown[];
}

describe('openai extractor over the chat-completions wire format', () => {
  let dir: string;
  let database: SqliteDatabase;
  let server: FakeOpenAiServer;
  let replies: Array<string | Exclude<FakeReply, string>> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'engram-chat-extractor-'));
    database = openSqlite({ path: join(dir, 'graph.db') });
    server = await startFakeOpenAiServer(() => {
      const next = replies.shift() ?? '{}';
      return typeof next === 'string' ? chatReply(next) : next;
    });
  });
  afterAll(async () => {
    await server.close();
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const build = () => {
    const chatModel = createOpenAiChatModel({
      baseUrl: server.url,
      model: 'fake-llm',
      timeoutMs: 5_000,
      logger: createSilentLogger(),
      maxAttempts: 1,
    });
    const graph = createGraphService({
      store: createSqliteGraphStore(database.db),
      // One chunk at a time, so the scripted replies meet the chunks in order.
      extractor: createChatExtractor({ chatModel, concurrency: 1 }),
      clock: createManualClock(),
      logger: createSilentLogger(),
      entityFuzzyThreshold: 0.88,
      entityEmbeddingThreshold: 0.9,
    });
    return { chatModel, graph };
  };

  it('sends the chunk with a strict JSON schema, validates the reply (repairing twice) and stores resolved facts', async () => {
    const { graph } = build();
    const before = server.requests.length;
    // The first reply lacks `evidence`; the repair uses a predicate outside the vocabulary and
    // "other" without its verb: zod rejects both and the model is asked for a second repair.
    const noEvidence = {
      ...GOOD,
      relations: GOOD.relations.map(({ evidence: _e, ...rest }) => rest),
    };
    const offVocabulary = {
      ...GOOD,
      relations: [
        { ...GOOD.relations[0]!, predicate: 'found' },
        { ...GOOD.relations[2]!, verb: null },
      ],
    };
    replies = [JSON.stringify(noEvidence), JSON.stringify(offVocabulary), JSON.stringify(GOOD)];
    const result = await graph.extract({
      tenantId: 't1',
      documentId: 'd1',
      chunks: [{ id: 'c1', ordinal: 0, text: PARAGRAPH }],
    });
    expect(result).toMatchObject({
      relations: 3,
      entities: 4,
      extractedChunks: 1,
      failedChunks: 0,
      failure: null,
    });

    const sent = server.requests.slice(before) as (RecordedRequest & { body: SentBody })[];
    expect(sent).toHaveLength(3);
    const secondRepair = JSON.stringify(sent[2]!.body.messages.at(-1));
    expect(secondRepair).toContain('relations.0.predicate');
    expect(secondRepair).toContain('relations.1.verb');
    expect(sent[0]!.body.response_format).toMatchObject({
      json_schema: { strict: true },
    });
    const relationSchema = (
      sent[0]!.body.response_format.json_schema.schema.properties['relations'] as {
        items: { properties: { predicate: { enum: string[] } } };
      }
    ).items.properties.predicate;
    expect(relationSchema.enum).toEqual(
      expect.arrayContaining(['works at', 'is headquartered in', 'killed', 'other']),
    );
    expect(sent[0]!.path).toBe('/v1/chat/completions');
    expect(sent[0]!.body.model).toBe('fake-llm');
    expect(sent[0]!.body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'knowledge_graph_extraction' },
    });
    expect(Object.keys(sent[0]!.body.response_format.json_schema.schema.properties)).toEqual([
      'entities',
      'relations',
    ]);
    expect(sent[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: PARAGRAPH });
    expect(JSON.stringify(sent[1]!.body.messages.at(-1))).toContain('evidence');

    const emil = (await graph.searchEntities({ tenantId: 't1', query: 'emil eifrem' }))[0]!;
    const facts = (await graph.getEntity('t1', emil.id)).facts.map((f) => [
      f.predicate,
      f.objectName,
      new Date(f.validAt).toISOString().slice(0, 10),
    ]);
    expect(facts).toEqual(
      expect.arrayContaining([
        ['works at', 'Acme Robotics', '2023-03-01'],
        ['founded', 'Neo4j Inc.', expect.any(String)],
        ['advise', 'Acme Robotics', expect.any(String)],
      ]),
    );
    // "Neo4j" from the offline extractor or a later chunk would resolve to the same entity.
    const neo4j = await graph.searchEntities({ tenantId: 't1', query: 'Neo4j' });
    expect(neo4j.map((e) => e.name)).toEqual(['Neo4j Inc.']);
  });

  it('leaves out a chunk whose reply stays invalid after the repair, counts it, and completes the rest', async () => {
    const { graph } = build();
    const before = server.requests.length;
    replies = [
      'not json at all',
      JSON.stringify({ entities: [{ name: 'X', type: 'spaceship' }], relations: [] }),
      '{"entities": [',
      JSON.stringify(GOOD),
    ];
    const result = await graph.extract({
      tenantId: 't2',
      documentId: 'd1',
      chunks: [
        { id: 'c1', ordinal: 0, text: 'Garbled notes.' },
        { id: 'c2', ordinal: 1, text: PARAGRAPH },
      ],
    });
    expect(result).toMatchObject({
      failedChunks: 1,
      extractedChunks: 1,
      relations: 3,
      entities: 4,
      failure: expect.stringMatching(/does not match schema "knowledge_graph_extraction"/),
    });
    const sent = server.requests.slice(before) as (RecordedRequest & { body: SentBody })[];
    // The broken reply, two repair requests (each shows the model what was wrong), then chunk 2.
    expect(sent).toHaveLength(4);
    expect(JSON.stringify(sent[1]!.body.messages.at(-1))).toContain('not valid');
    expect(JSON.stringify(sent[2]!.body.messages.at(-1))).toContain('entities.0.type');
    expect(sent[3]!.body.messages.at(-1)).toEqual({ role: 'user', content: PARAGRAPH });
    expect((await graph.searchEntities({ tenantId: 't2', query: 'Emil Eifrem' }))[0]).toMatchObject(
      { name: 'Emil Eifrem' },
    );
    expect(await graph.searchEntities({ tenantId: 't2', query: 'X' })).toEqual([]);
  });

  it('fails the extraction, storing nothing, when the server itself fails (the job is retried)', async () => {
    const { graph } = build();
    replies = [{ status: 500, json: { error: { message: 'overloaded' } } }];
    const error = await graph
      .extract({
        tenantId: 't3',
        documentId: 'd1',
        chunks: [{ id: 'c1', ordinal: 0, text: PARAGRAPH }],
      })
      .catch((e: unknown) => e);
    expect(isAppError(error)).toBe(true);
    expect(await graph.searchEntities({ tenantId: 't3', query: 'Emil' })).toEqual([]);
  });

  it('names the canonical predicates in its instructions', async () => {
    const { graph } = build();
    const before = server.requests.length;
    replies = [JSON.stringify(GOOD)];
    await graph.extract({
      tenantId: 't4',
      documentId: 'd1',
      chunks: [{ id: 'c1', ordinal: 0, text: PARAGRAPH }],
    });
    const sent = server.requests.slice(before) as (RecordedRequest & { body: SentBody })[];
    const system = (sent[0]!.body.messages[0] as { content: string }).content;
    for (const predicate of [
      'works at',
      'lives in',
      'is headquartered in',
      'is located in',
      'killed',
    ])
      expect(system).toContain(`"${predicate}"`);
  });
});
