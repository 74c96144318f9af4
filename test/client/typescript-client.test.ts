// The TypeScript client through every method against a real server, and its errors as a user
// sees them (code, message, request id from the server's error body).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engram, EngramError } from '../../src/client/index.js';
import { sampleMarkdown } from '../ingest/harness.js';
import { startListeningApp, type ListeningApp } from './listening-app.js';

describe('TypeScript client against a real server', () => {
  let server: ListeningApp;
  let engram: Engram;

  beforeAll(async () => {
    server = await startListeningApp();
    engram = new Engram({ baseUrl: server.baseUrl });
  });
  afterAll(async () => {
    await server?.test.dispose();
  });

  it('remembers turns, recalls them, packs context and cites what was used', async () => {
    const remembered = await engram.remember(
      [
        { speaker: 'user', content: 'My sister Maya moved to Lisbon in March.' },
        { speaker: 'assistant', content: 'Noted: Maya lives in Lisbon now.' },
      ],
      { userId: 'u-1', agentId: 'helper' },
    );
    expect(remembered.session.userId).toBe('u-1');
    expect(remembered.turns).toHaveLength(2);

    const more = await engram.remember([{ speaker: 'user', content: 'Maya works as a baker.' }], {
      sessionId: remembered.session.id,
    });
    expect(more.session.turnCount).toBe(3);

    const recalled = await engram.recall('Where does Maya live?', { userId: 'u-1', k: 3 });
    expect(recalled.items[0]?.text).toContain('Lisbon');

    const context = await engram.context('Where does Maya live?', {
      userId: 'u-1',
      tokenizer: 'o200k_base',
      maxTokens: 64,
    });
    expect(context.text).toContain('Lisbon');
    expect(context.tokenCount).toBe(context.tokenIds.length);

    const cited = await engram.cite([recalled.items[0]!.id, 'no-such-memory']);
    expect(cited.updated.map((u) => u.id)).toEqual([recalled.items[0]!.id]);
    expect(cited.unknownIds).toEqual(['no-such-memory']);
  });

  it('ingests a document, waits until it is done, and finds it by search', async () => {
    const handle = await engram.ingest({
      content: sampleMarkdown('client', 1),
      title: 'Client handbook',
      namespace: 'client-docs',
    });
    expect(handle.created).toBe(true);
    const document = await handle.waitUntilDone({ pollIntervalMs: 50 });
    expect(document.status).toBe('completed');

    const found = await engram.search('Where did Alice Johnson join Acme?', {
      namespace: 'client-docs',
      k: 3,
    });
    expect(found.hits[0]?.documentId).toBe(handle.id);
  });

  it('updates a document by id: the same content is a no-op, new content a version it waits for', async () => {
    const handle = await engram.ingest({
      content: 'The lighthouse keeper rows to Inishmore on Mondays.',
      key: 'notes/lighthouse',
      namespace: 'client-versions',
    });
    await handle.waitUntilDone({ pollIntervalMs: 50 });
    const same = await engram.updateDocument(handle.id, {
      content: 'The lighthouse keeper rows to Inishmore on Mondays.',
    });
    expect(same).toMatchObject({ id: handle.id, version: 1, changed: false });
    const next = await engram.updateDocument(handle.id, {
      content: 'The lighthouse keeper sails to Inisheer on Thursdays.',
    });
    expect(next).toMatchObject({ version: 2, status: 'pending', changed: true });
    const done = await next.waitUntilDone({ pollIntervalMs: 50 });
    expect(done).toMatchObject({ version: 2, status: 'completed', nextVersion: null });
    const found = await engram.search('lighthouse keeper', { namespace: 'client-versions', k: 5 });
    expect(found.hits.map((hit) => hit.text)).toEqual([
      'The lighthouse keeper sails to Inisheer on Thursdays.',
    ]);
    await expect(engram.updateDocument('doc_missing', { content: 'x' })).rejects.toMatchObject({
      code: 'DOCUMENT_NOT_FOUND',
    });
  });

  it('sends telemetry events and reads the metric summary', async () => {
    const now = Date.now();
    const sent = await engram.events.send([
      { type: 'session_start', eventId: 'e-1', ts: now, sessionId: 's-1', agentId: 'helper' },
      {
        type: 'tool_call',
        eventId: 'e-2',
        ts: now,
        sessionId: 's-1',
        agentId: 'helper',
        tool: 'search',
        success: true,
        durationMs: 12,
      },
    ]);
    expect(sent).toEqual({ accepted: 2, rejected: [] });
    let summary = await engram.metrics.summary({ window: '1h', agentId: 'helper' });
    while (summary.tools.calls === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      summary = await engram.metrics.summary({ window: '1h', agentId: 'helper' });
    }
    expect(summary.tools.byTool.map((t) => t.tool)).toEqual(['search']);
  });

  it('forgets a memory, then everything a user has', async () => {
    await engram.remember(
      [
        { speaker: 'user', content: 'My locker code is 4711.' },
        { speaker: 'user', content: 'My bike is a green Gazelle.' },
      ],
      { userId: 'u-forget' },
    );
    const [locker] = (await engram.recall('What is my locker code?', { userId: 'u-forget' })).items;
    expect(locker?.text).toContain('4711');

    const forgotten = await engram.forget(locker!.id);
    expect(forgotten.forgotten[0]).toBe(locker!.id);
    const after = await engram.recall('What is my locker code?', { userId: 'u-forget' });
    expect(after.items.map((item) => item.text).join(' ')).not.toContain('4711');
    await expect(engram.forget(locker!.id)).rejects.toMatchObject({
      code: 'MEMORY_NOT_FOUND',
      status: 404,
    });

    const user = await engram.forgetUser('u-forget');
    expect(user).toEqual({ deleted: 1, sessions: 1 });
    // Document chunks belong to no user, so recall may still return those.
    const left = await engram.recall('Which bike do I have?', { userId: 'u-forget' });
    expect(left.items.filter((item) => item.text.includes('Gazelle'))).toEqual([]);
    await expect(engram.forgetUser('u-forget')).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
  });

  it('throws EngramError with the server code, message and request id', async () => {
    const error = await engram.document('no-such-document').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngramError);
    const engramError = error as EngramError;
    expect(engramError.status).toBe(404);
    expect(engramError.code).toBe('DOCUMENT_NOT_FOUND');
    expect(engramError.message).toContain('no-such-document');
    expect(engramError.requestId).toMatch(/^[0-9a-f-]{36}$/);

    const invalid = await engram.recall('', {}).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
  });
});
