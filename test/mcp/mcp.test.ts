// The MCP server through the official SDK client over real stdio, as an agent host runs it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH } from '../support/cli.js';
import { MCP_TOOLS } from './tool-names.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-mcp-'));
let client: Client;

function parse(result: Awaited<ReturnType<Client['callTool']>>): unknown {
  const content = result.content as Array<{ type: string; text: string }>;
  return JSON.parse(content[0]!.text);
}

beforeAll(async () => {
  client = new Client({ name: 'engram-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [CLI_PATH, 'mcp', '--no-background'],
      env: { PATH: process.env.PATH ?? '', ENGRAM_DATA_DIR: dir, ENGRAM_LOG_LEVEL: 'warn' },
      stderr: 'pipe',
    }),
  );
});

afterAll(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('engram mcp', () => {
  it('lists its tools with input schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(MCP_TOOLS);
    expect(tools.find((tool) => tool.name === 'recall')?.inputSchema.required).toContain('query');
  });

  it('remembers turns, recalls them with citation ids, cites them, and packs context', async () => {
    const remembered = parse(
      await client.callTool({
        name: 'remember',
        arguments: {
          userId: 'ada',
          turns: [
            {
              speaker: 'ada',
              content: 'My sister Grace moved to Lisbon last spring to teach mathematics.',
            },
            { speaker: 'agent', content: 'That sounds exciting! Does she like Portugal?' },
            { speaker: 'ada', content: 'She loves it, especially the custard tarts in Belem.' },
          ],
        },
      }),
    ) as { sessionId: string; turnIds: string[] };
    expect(remembered.turnIds).toHaveLength(3);

    const recalled = parse(
      await client.callTool({
        name: 'recall',
        arguments: { query: 'Where did Grace move?', userId: 'ada', k: 3 },
      }),
    ) as Array<{ id: string; text: string }>;
    expect(recalled[0]?.text).toContain('Lisbon');

    const cited = await client.callTool({ name: 'cite', arguments: { ids: [recalled[0]!.id] } });
    expect(cited.isError).not.toBe(true);

    const context = parse(
      await client.callTool({
        name: 'get_context',
        arguments: {
          query: 'Grace Lisbon',
          userId: 'ada',
          tokenizer: 'cl100k_base',
          maxTokens: 200,
        },
      }),
    ) as { text: string; tokenCount: number };
    expect(context.text).toContain('Lisbon');
    expect(context.tokenCount).toBeLessThanOrEqual(200);
  });

  it('answers bad input with a readable tool error', async () => {
    const missing = await client.callTool({
      name: 'document_status',
      arguments: { id: 'doc_nope' },
    });
    expect(missing.isError).toBe(true);
    expect((missing.content as Array<{ text: string }>)[0]!.text).toMatch(/NOT_FOUND/);
    const unknownSession = await client.callTool({
      name: 'remember',
      arguments: { sessionId: 'ses_nope', turns: [{ speaker: 'a', content: 'b' }] },
    });
    expect(unknownSession.isError).toBe(true);
  });

  it('refuses what no store can keep, as the HTTP input guard does', async () => {
    const textOf = (result: Awaited<ReturnType<Client['callTool']>>) =>
      (result.content as Array<{ text: string }>)[0]!.text;
    const nul = await client.callTool({
      name: 'remember',
      arguments: { userId: 'nul', turns: [{ speaker: 'ada', content: 'PIN\u00001234' }] },
    });
    expect(nul.isError).toBe(true);
    expect(textOf(nul)).toMatch(/^INVALID_INPUT: .*arguments\.turns\[0\]\.content .*NUL/);
    const surrogate = await client.callTool({
      name: 'recall',
      arguments: { query: 'where \ud800 is it', k: 3 },
    });
    expect(surrogate.isError).toBe(true);
    expect(textOf(surrogate)).toMatch(/^INVALID_INPUT: .*lone UTF-16 surrogate/);
    const document = await client.callTool({
      name: 'ingest_document',
      arguments: { content: '# Notes\n\nA \udc00 half.', title: 'half' },
    });
    expect(document.isError).toBe(true);
    expect(textOf(document)).toMatch(/^INVALID_INPUT/);
    // Nothing of the refused turn was stored.
    const recalled = parse(
      await client.callTool({ name: 'recall', arguments: { query: 'PIN', userId: 'nul', k: 3 } }),
    ) as unknown[];
    expect(recalled).toEqual([]);
  });

  it('queues a document for ingestion and reports its status', async () => {
    const submitted = parse(
      await client.callTool({
        name: 'ingest_document',
        arguments: { content: '# Notes\n\nEngram keeps memory for agents.', title: 'notes' },
      }),
    ) as { id: string; status: string };
    expect(submitted.status).toBe('pending');
    const status = parse(
      await client.callTool({ name: 'document_status', arguments: { id: submitted.id } }),
    ) as {
      id: string;
    };
    expect(status.id).toBe(submitted.id);
  });

  it('a key names the document: the same content again is a no-op', async () => {
    const args = { content: '# Runbook\n\nRestart the relay first.', key: 'runbook.md' };
    const first = parse(await client.callTool({ name: 'ingest_document', arguments: args }));
    const again = parse(await client.callTool({ name: 'ingest_document', arguments: args }));
    expect(first).toMatchObject({ version: 1, created: true, changed: true });
    expect(again).toMatchObject({
      id: (first as { id: string }).id,
      created: false,
      changed: false,
    });
  });
});
