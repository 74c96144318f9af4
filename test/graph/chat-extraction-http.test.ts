// The model-backed extractor end to end, on SQLite and PostgreSQL: a document goes in through
// POST /v1/documents, the ingest worker sends each chunk to a local server speaking the
// chat-completions wire format — one that refuses json_schema (as vLLM, llama.cpp and older
// servers do), whose model returns schema-violating JSON once and, for one chunk, never valid
// JSON. The document completes; the left-out chunk shows on the document record and in
// /metrics; the facts the model stated show on the entity (with their evidence sentence), in
// the neighbourhood and among recall's fact candidates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngramApp } from '../../src/http/engram-app.js';
import { postgresAvailable } from '../support/backends.js';
import {
  chatReply,
  embeddingsReply,
  startFakeOpenAiServer,
  type FakeOpenAiServer,
  type FakeReply,
  type RecordedRequest,
} from '../support/fake-openai-server.js';
import { createTestApp, type TestApp } from '../support/runtime.js';

const GOOD_SECTION =
  'In March 2023, Emil Eifrem joined Acme Robotics as its chief scientist. Acme Robotics is headquartered in Malmo.';
const GARBLED_SECTION = 'Minutes of the board meeting, mostly unreadable scans and stray symbols.';
const DOCUMENT = `# Staff\n\n${GOOD_SECTION}\n\n# Archive\n\n${GARBLED_SECTION}\n`;

const EMIL_JOINED = 'In March 2023, Emil Eifrem joined Acme Robotics as its chief scientist.';
const ACME_IN_MALMO = 'Acme Robotics is headquartered in Malmo.';

const GOOD_REPLY = {
  entities: [
    { name: 'Emil Eifrem', type: 'person' },
    { name: 'Acme Robotics', type: 'organization' },
    { name: 'Malmo', type: 'place' },
  ],
  relations: [
    {
      subject: 'Emil Eifrem',
      predicate: 'works at',
      verb: null,
      object: 'Acme Robotics',
      validFrom: '2023-03-01',
      evidence: EMIL_JOINED,
    },
    {
      subject: 'Acme Robotics',
      predicate: 'is headquartered in',
      verb: null,
      object: 'Malmo',
      validFrom: null,
      evidence: ACME_IN_MALMO,
    },
  ],
};

interface ChatBody {
  response_format?: { type: string };
  messages: { role: string; content: string }[];
}

/** A server without json_schema support, and a model that needs a repair or never manages. */
function answer(request: RecordedRequest): FakeReply {
  if (request.path.endsWith('/embeddings'))
    return embeddingsReply((request.body as { input: string[] }).input);
  const body = request.body as ChatBody;
  if (body.response_format?.type === 'json_schema')
    return {
      status: 400,
      json: {
        object: 'error',
        message: "response_format type 'json_schema' is not supported by this server",
        type: 'BadRequestError',
        code: 400,
      },
    };
  const chunk = body.messages.find((m) => m.role === 'user')!.content;
  const repairing = body.messages.length > 2;
  if (chunk.includes('unreadable')) return chatReply('{"entities": [{"name": "Minutes", "ty');
  // First answer: a predicate outside the vocabulary; the repair gets it right.
  if (!repairing)
    return chatReply(
      JSON.stringify({
        ...GOOD_REPLY,
        relations: [{ ...GOOD_REPLY.relations[0]!, predicate: 'employs' }],
      }),
    );
  return chatReply(JSON.stringify(GOOD_REPLY));
}

interface DocumentBody {
  status: string;
  counts: { chunks: number; entities: number; relations: number };
  graph: { chunks: number; extracted: number; failed: number; failure: string | null };
}

interface FactBody {
  text: string;
  predicate: string;
  subject: { name: string };
  object: { name: string };
  sources?: { documentId: string; sentence: string }[];
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`model-backed extraction through HTTP on ${backend}`, () => {
    let server: FakeOpenAiServer;
    let test: TestApp | undefined;
    let app: EngramApp;
    let documentId: string;
    let document: DocumentBody;

    beforeAll(async () => {
      if (backend === 'postgres' && !(await postgresAvailable())) return;
      server = await startFakeOpenAiServer(answer);
      test = await createTestApp({
        backend,
        env: {
          ENGRAM_EXTRACTOR: 'openai',
          ENGRAM_LLM_URL: server.url,
          ENGRAM_LLM_MODEL: 'fake-llm',
          ENGRAM_EMBEDDER: 'openai',
          ENGRAM_EMBEDDER_URL: server.url,
          ENGRAM_WORKER_POLL_MS: '20',
          ENGRAM_CHUNK_OVERLAP: '0',
        },
      });
      app = test.app;
      test.runtime.startBackground();
      const created = await app.inject({
        method: 'POST',
        url: '/v1/documents',
        payload: { content: DOCUMENT, mimeType: 'text/markdown', title: 'Staff notes' },
      });
      expect(created.statusCode).toBe(202);
      documentId = created.json<{ id: string }>().id;
      do {
        await new Promise((resolve) => setTimeout(resolve, 50));
        document = (
          await app.inject({ method: 'GET', url: `/v1/documents/${documentId}` })
        ).json<DocumentBody>();
      } while (document.status === 'pending' || document.status === 'processing');
    }, 60_000);
    afterAll(async () => {
      await test?.dispose();
      await server?.close();
    });

    it('completes the document and shows the chunk the model could not read on its record and in /metrics', async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      expect(document.status).toBe('completed');
      expect(document.counts.chunks).toBe(2);
      expect(document.graph).toEqual({
        chunks: 2,
        extracted: 1,
        failed: 1,
        failure: expect.stringMatching(
          /does not match schema "knowledge_graph_extraction", even after 2 repair requests: .*not valid JSON/,
        ),
      });
      expect(document.counts.relations).toBe(2);

      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toContain(
        'engram_graph_chunks_total{extractor="llm:openai:fake-llm",outcome="failed",reason="invalid_output"} 1',
      );
      expect(metrics).toContain(
        'engram_graph_chunks_total{extractor="llm:openai:fake-llm",outcome="extracted",reason=""} 1',
      );

      // json_schema was refused (once per chunk already in flight, two at a time) and never asked
      // again; every later request is json_object.
      const chat = server.requests.filter((r) => r.path.endsWith('/chat/completions'));
      const formats = chat.map((r) => (r.body as ChatBody).response_format?.type);
      const refused = formats.lastIndexOf('json_schema') + 1;
      expect(refused).toBeGreaterThanOrEqual(1);
      expect(refused).toBeLessThanOrEqual(2);
      expect(formats.slice(0, refused)).toEqual(Array(refused).fill('json_schema'));
      expect(formats.slice(refused)).toEqual(Array(formats.length - refused).fill('json_object'));
      // Two chunks: one answered then repaired once, one answered and repaired twice.
      expect(chat).toHaveLength(refused + 2 + 3);
    });

    it('shows the stated facts with their evidence on the entity and in its neighbourhood', async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      const search = await app.inject({ method: 'GET', url: '/v1/entities?query=Acme%20Robotics' });
      const acme = search.json<{ entities: { id: string; name: string; type: string }[] }>()
        .entities[0]!;
      expect(acme).toMatchObject({ name: 'Acme Robotics', type: 'organization' });

      const detail = (await app.inject({ method: 'GET', url: `/v1/entities/${acme.id}` })).json<{
        facts: FactBody[];
      }>();
      expect(detail.facts.map((f) => f.text).sort()).toEqual([
        expect.stringMatching(/^Acme Robotics is headquartered in Malmo \(since /),
        'Emil Eifrem works at Acme Robotics (since 2023-03-01)',
      ]);
      const works = detail.facts.find((f) => f.predicate === 'works at')!;
      expect(works.sources).toEqual([
        expect.objectContaining({ documentId, sentence: EMIL_JOINED }),
      ]);

      const around = (
        await app.inject({
          method: 'GET',
          url: `/v1/graph/neighborhood?entity=${encodeURIComponent('Emil Eifrem')}&depth=2`,
        })
      ).json<{ center: { name: string }; entities: { name: string }[]; relations: FactBody[] }>();
      expect(around.center.name).toBe('Emil Eifrem');
      expect(around.entities.map((e) => e.name).sort()).toEqual([
        'Acme Robotics',
        'Emil Eifrem',
        'Malmo',
      ]);
      expect(around.relations.map((r) => [r.subject.name, r.predicate, r.object.name])).toEqual(
        expect.arrayContaining([
          ['Emil Eifrem', 'works at', 'Acme Robotics'],
          ['Acme Robotics', 'is headquartered in', 'Malmo'],
        ]),
      );
      expect(around.relations.find((r) => r.predicate === 'works at')!.sources).toEqual([
        expect.objectContaining({ documentId, sentence: EMIL_JOINED }),
      ]);
    });

    it('offers the facts as recall candidates for "who works for" and "where is" questions', async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      const recall = async (query: string) =>
        (
          await app.inject({
            method: 'POST',
            url: '/v1/recall',
            payload: { query, tiers: ['semantic'], k: 5 },
          })
        ).json<{ items: { kind: string; text: string }[] }>().items;

      for (const question of [
        'Who works for Acme Robotics?',
        'Who is employed by Acme Robotics?',
        'Where does Emil Eifrem work?',
      ]) {
        const facts = (await recall(question)).filter((item) => item.kind === 'fact');
        expect(facts[0]?.text, question).toBe(
          'Emil Eifrem works at Acme Robotics (since 2023-03-01)',
        );
      }
      const where = (await recall('Where is Acme Robotics based?')).filter(
        (item) => item.kind === 'fact',
      );
      expect(where[0]?.text).toMatch(/^Acme Robotics is headquartered in Malmo/);
    });
  });
}
