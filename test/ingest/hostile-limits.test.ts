// Hostile documents against the limits, through real parts: a 100 MB HTML body is refused at the
// door by the real app (JSON past ENGRAM_BODY_LIMIT_BYTES, a multipart upload past
// ENGRAM_MAX_DOCUMENT_BYTES) with nothing stored, and a PDF whose parse outlasts
// ENGRAM_PARSE_TIMEOUT_MS fails alone, saying so. A good document beside each completes.
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { createHashingEmbedder } from '../memory/hashing-embedder.js';
import {
  buildStack,
  freshLocation,
  openBackend,
  waitForStatus,
  type Backend,
  type IngestStack,
} from './harness.js';

const HUNDRED_MB = 100 * 1024 * 1024;

describe('a 100 MB HTML body', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({ env: { ENGRAM_WORKER_POLL_MS: '20' } });
    test.runtime.startBackground();
  });
  afterAll(async () => {
    await test?.dispose();
  });

  it('is refused with 413 naming the limit, as JSON or as an upload; nothing is stored and a good document completes', async () => {
    const html = `<html><body><p>${'a'.repeat(HUNDRED_MB)}</p></body></html>`;
    const json = await test.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ content: html }),
    });
    expect(json.statusCode).toBe(413);
    expect(json.json<{ error: { message: string } }>().error.message).toMatch(
      /ENGRAM_BODY_LIMIT_BYTES/,
    );
    const boundary = 'engram-hostile';
    const upload = await test.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.html"\r\n\r\n`,
        ),
        Buffer.from(html),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    });
    expect(upload.statusCode).toBe(413);
    expect(upload.json<{ error: { message: string } }>().error.message).toMatch(
      /ENGRAM_MAX_DOCUMENT_BYTES/,
    );
    const listed = await test.app.inject({ method: 'GET', url: '/v1/documents' });
    expect(listed.json<{ documents: unknown[] }>().documents).toEqual([]);

    const good = await test.app.inject({
      method: 'POST',
      url: '/v1/documents',
      payload: { content: '<html><body><p>The ferry leaves at dawn.</p></body></html>' },
    });
    const { id } = good.json<{ id: string }>();
    await waitForStatus(test.runtime.ingest, 'default', id, ['completed']);
    const hits = await test.app.inject({
      method: 'POST',
      url: '/v1/search',
      payload: { query: 'ferry dawn', k: 3 },
    });
    expect(hits.json<{ hits: { documentId: string }[] }>().hits[0]?.documentId).toBe(id);
  });
});

describe('a PDF that outlasts its parse deadline', () => {
  let place: Awaited<ReturnType<typeof freshLocation>>;
  let backend: Backend;
  let stack: IngestStack;
  beforeAll(async () => {
    place = await freshLocation('sqlite');
    backend = await openBackend(place!.location);
    // 1 ms: no PDF of 150 pages parses that fast, and a Markdown document parses without a deadline.
    stack = await buildStack(backend, createHashingEmbedder(), {
      maxDocumentBytes: 4 * 1024 * 1024,
      parseTimeoutMs: 1,
    });
    stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
    await backend?.close();
    await place?.destroy();
  });

  it('fails at chunk with the deadline named; a good document beside it completes', async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    for (let p = 0; p < 150; p += 1)
      pdf.addPage().drawText(`Page ${p} of a slow report.`, { x: 50, y: 700, font, size: 12 });
    const bytes = await pdf.save();
    const submit = async (payload: Record<string, unknown>) =>
      (await stack.app.inject({ method: 'POST', url: '/v1/documents', payload })).json<{
        id: string;
      }>().id;
    const slow = await submit({ contentBase64: Buffer.from(bytes).toString('base64') });
    const good = await submit({ content: '# Fine\n\nThis parses at once.' });
    expect(
      await waitForStatus(stack.service, 'default', slow, ['completed', 'failed']),
    ).toMatchObject({
      status: 'failed',
      stage: 'chunk',
      error: expect.stringMatching(/longer than 1 ms to parse \(ENGRAM_PARSE_TIMEOUT_MS\)/),
    });
    expect(
      await waitForStatus(stack.service, 'default', good, ['completed', 'failed']),
    ).toMatchObject({ status: 'completed' });
  });
});
