// MCP over Streamable HTTP at /mcp, through the official SDK client against a real listening
// server: every tool, the API keys (none, wrong, each tenant's), tenants isolated from each
// other, the rate limit, and the methods a stateless server refuses.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startListeningApp, type ListeningApp } from '../client/listening-app.js';
import { TWO_TENANT_API_KEYS } from '../support/runtime.js';
import { MCP_TOOLS } from './tool-names.js';

const ACME_KEY = 'key-for-acme-0123456789';
const UMBRELLA_KEY = 'key-for-umbrella-012345';

async function connect(baseUrl: string, key?: string): Promise<Client> {
  const client = new Client({ name: 'engram-http-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
      ...(key === undefined
        ? {}
        : { requestInit: { headers: { authorization: `Bearer ${key}` } } }),
    }),
  );
  return client;
}

type ToolResult = Awaited<ReturnType<Client['callTool']>>;

function textOf(result: ToolResult): string {
  return (result.content as Array<{ type: string; text: string }>)[0]!.text;
}

async function call<T>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError, `${name}: ${textOf(result)}`).toBeFalsy();
  return JSON.parse(textOf(result)) as T;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('MCP over Streamable HTTP, with API keys', () => {
  let server: ListeningApp;
  let acme: Client;
  let umbrella: Client;

  beforeAll(async () => {
    server = await startListeningApp({ ENGRAM_API_KEYS: TWO_TENANT_API_KEYS });
    acme = await connect(server.baseUrl, ACME_KEY);
    umbrella = await connect(server.baseUrl, UMBRELLA_KEY);
  }, 60_000);
  afterAll(async () => {
    await acme?.close();
    await umbrella?.close();
    await server?.test.dispose();
  });

  it('lists every tool with an input schema', async () => {
    const { tools } = await acme.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(MCP_TOOLS);
    for (const tool of tools) {
      expect(tool.description?.length, tool.name).toBeGreaterThan(20);
      expect(tool.inputSchema.type).toBe('object');
    }
  });

  it('refuses a missing or wrong key, on the route the server matched', async () => {
    await expect(connect(server.baseUrl)).rejects.toThrow(/UNAUTHORIZED/);
    await expect(connect(server.baseUrl, 'not-a-key-of-anyone-000')).rejects.toThrow(
      /UNAUTHORIZED/,
    );
    const raw = await fetch(`${server.baseUrl}/%6Dcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(raw.status).toBe(401);
  });

  it('remembers, recalls, packs context and forgets, each tenant alone', async () => {
    const remembered = await call<{ sessionId: string; turnIds: string[] }>(acme, 'remember', {
      userId: 'ada',
      turns: [
        { speaker: 'user', content: 'The staging database password rotates every 45 days.' },
        { speaker: 'assistant', content: 'Noted: staging passwords rotate every 45 days.' },
      ],
    });
    expect(remembered.turnIds).toHaveLength(2);
    const recalled = await call<Array<{ id: string; text: string }>>(acme, 'recall', {
      query: 'How often does the staging password rotate?',
      userId: 'ada',
    });
    expect(recalled.map((item) => item.text).join('\n')).toContain('45 days');
    const context = await call<{ text: string; tokenCount: number }>(acme, 'get_context', {
      query: 'staging password rotation',
      userId: 'ada',
      maxTokens: 200,
    });
    expect(context.text).toContain('45 days');
    expect(context.tokenCount).toBeLessThanOrEqual(200);

    // Another tenant sees none of it, and cannot forget it.
    const foreign = await call<unknown[]>(umbrella, 'recall', {
      query: 'How often does the staging password rotate?',
      userId: 'ada',
    });
    expect(JSON.stringify(foreign)).not.toContain('45 days');
    const foreignForget = await umbrella.callTool({
      name: 'forget',
      arguments: { memoryId: remembered.turnIds[0] },
    });
    expect(foreignForget.isError).toBe(true);
    expect(textOf(foreignForget)).toMatch(/^MEMORY_NOT_FOUND/);

    const bad = await acme.callTool({ name: 'forget', arguments: {} });
    expect(bad.isError).toBe(true);
    const forgotten = await call<{ forgotten: string[] }>(acme, 'forget', {
      memoryId: remembered.turnIds[0],
    });
    expect(forgotten.forgotten[0]).toBe(remembered.turnIds[0]);
    const user = await call<{ deleted: number; sessions: number }>(acme, 'forget', {
      userId: 'ada',
    });
    expect(user.sessions).toBe(1);
    const after = await call<Array<{ text: string }>>(acme, 'recall', {
      query: 'staging password rotation',
      userId: 'ada',
    });
    expect(JSON.stringify(after)).not.toMatch(/45 days/);
  });

  it('ingests, lists, searches, explores the graph and deletes documents, each tenant alone', async () => {
    const ingested = await call<{ id: string }>(acme, 'ingest_document', {
      content: '# Team\n\nAlice Smith works at Acme Corp in Berlin. Acme Corp builds turbines.',
      title: 'team.md',
    });
    const status = await until(
      () => call<{ status: string }>(acme, 'document_status', { id: ingested.id }),
      (s) => s.status === 'completed' || s.status === 'failed',
    );
    expect(status.status).toBe('completed');
    const listed = await call<{ documents: Array<{ id: string }> }>(acme, 'list_documents', {
      status: 'completed',
    });
    expect(listed.documents.map((d) => d.id)).toContain(ingested.id);
    const searched = await call<unknown>(acme, 'search_documents', { query: 'turbines' });
    expect(JSON.stringify(searched)).toContain('turbines');

    const entities = await call<Array<{ id: string; name: string }>>(acme, 'find_entities', {
      query: 'Acme',
    });
    expect(entities.length).toBeGreaterThan(0);
    const neighbourhood = await call<{ center: { id: string }; entities: unknown[] }>(
      acme,
      'entity_neighbourhood',
      { entity: entities[0]!.id, depth: 2 },
    );
    expect(neighbourhood.center.id).toBe(entities[0]!.id);

    // The other tenant: no documents, no entities, no status of acme's document.
    expect(
      (await call<{ documents: unknown[] }>(umbrella, 'list_documents', {})).documents,
    ).toEqual([]);
    expect(await call<unknown[]>(umbrella, 'find_entities', { query: 'Acme' })).toEqual([]);
    const foreignStatus = await umbrella.callTool({
      name: 'document_status',
      arguments: { id: ingested.id },
    });
    expect(textOf(foreignStatus)).toMatch(/^DOCUMENT_NOT_FOUND/);
    const foreignDelete = await umbrella.callTool({
      name: 'delete_document',
      arguments: { id: ingested.id },
    });
    expect(foreignDelete.isError).toBe(true);

    const deleted = await call<{ deleted: boolean; chunks: number }>(acme, 'delete_document', {
      id: ingested.id,
    });
    expect(deleted.deleted).toBe(true);
    expect(deleted.chunks).toBeGreaterThan(0);
  });

  it('sums the tenant’s telemetry', async () => {
    const sent = await fetch(`${server.baseUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ACME_KEY}` },
      body: JSON.stringify({
        events: [
          {
            type: 'tool_call',
            eventId: 'mcp-http-e1',
            ts: Date.now(),
            sessionId: 's1',
            agentId: 'a1',
            tool: 'search',
            success: true,
            durationMs: 120,
          },
        ],
      }),
    });
    expect(sent.status).toBeLessThan(300);
    const summary = await until(
      () => call<{ tools: { calls: number } }>(acme, 'metrics_summary', { window: '1h' }),
      (s) => JSON.stringify(s).includes('search'),
    );
    expect(JSON.stringify(summary)).toContain('search');
    const other = await call<unknown>(umbrella, 'metrics_summary', { window: '1h' });
    expect(JSON.stringify(other)).not.toContain('search');
  });

  it('answers 405 to GET and DELETE: the server keeps no sessions', async () => {
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(`${server.baseUrl}/mcp`, {
        method,
        headers: { authorization: `Bearer ${ACME_KEY}`, accept: 'text/event-stream' },
      });
      expect(response.status, method).toBe(405);
    }
  });
});

describe('MCP over Streamable HTTP, without keys and under a rate limit', () => {
  let server: ListeningApp;

  beforeAll(async () => {
    server = await startListeningApp({ ENGRAM_RATE_LIMIT_PER_MINUTE: '6' });
  }, 60_000);
  afterAll(async () => {
    await server?.test.dispose();
  });

  it('acts for the default tenant, and answers 429 past the limit', async () => {
    // Connecting takes a few requests (initialize, initialized, the SDK's stream probe).
    const client = await connect(server.baseUrl);
    const { tools } = await client.listTools();
    expect(tools.length).toBe(MCP_TOOLS.length);
    let refused: unknown;
    for (let i = 0; i < 10 && refused === undefined; i += 1)
      await client.listTools().catch((error: unknown) => (refused = error));
    expect(String(refused)).toMatch(/RATE_LIMITED/);
    await client.close();
  });
});
