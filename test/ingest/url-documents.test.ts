// Documents by URL, against a real HTTP server on 127.0.0.1: fetched, chunked and searchable when
// the allow-list names the host; keyed by URL, so unchanged content is a no-op and changed content
// a new version that replaces the old one only when it completes; redirects followed up to the cap;
// oversized bodies refused. Without the allow-list, loopback, link-local (cloud metadata),
// private and IPv6 loopback addresses are refused before any connection, and a redirect from an
// allowed host to a forbidden one is refused at that hop. Nothing refused is stored.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUrlFetcher, isPublicAddress } from '../../src/ingest/url-fetch.js';
import { createHashingEmbedder } from '../memory/hashing-embedder.js';
import {
  buildStack,
  freshLocation,
  openBackend,
  waitForStatus,
  type Backend,
  type IngestStack,
} from './harness.js';

const TENANT = 'default';
const MAX_BYTES = 64 * 1024;
let page =
  '<html><head><title>Fleet</title></head><body><nav>Menu</nav><h1>Fleet</h1><p>The zeppelin flies on Tuesdays.</p></body></html>';
let server: Server;
let base: string;
let place: Awaited<ReturnType<typeof freshLocation>>;
let backend: Backend;
let stack: IngestStack;
const fetchOptions = { maxBytes: MAX_BYTES, timeoutMs: 5_000, maxRedirects: 3 };
let gate: { reached: () => void; released: Promise<void> } | undefined;

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = request.url ?? '/';
    if (url === '/page') {
      response.writeHead(200, { 'content-type': 'text/html' }).end(page);
    } else if (url === '/moved') {
      response.writeHead(302, { location: '/page' }).end();
    } else if (url === '/loop') {
      response.writeHead(302, { location: '/loop' }).end();
    } else if (url === '/to-metadata') {
      response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    } else if (url === '/big') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('x'.repeat(MAX_BYTES + 1));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  place = await freshLocation('sqlite');
  backend = await openBackend(place!.location);
  stack = await buildStack(backend, createHashingEmbedder(), {
    // A test holds a run at its index stage to look at the document mid-way.
    beforeStage: async (stage) => {
      if (stage === 'index' && gate !== undefined) {
        gate.reached();
        await gate.released;
      }
    },
    maxDocumentBytes: MAX_BYTES,
    fetchUrl: createUrlFetcher({ ...fetchOptions, allowedHosts: ['127.0.0.1'] }),
  });
  stack.startWorker();
});

afterAll(async () => {
  await stack?.close();
  await backend?.close();
  await place?.destroy();
  await new Promise((resolve) => server?.close(resolve));
});

const submit = (url: string) =>
  stack.app.inject({ method: 'POST', url: '/v1/documents', payload: { url } });
/** Every search hit as [text, documentId]. */
const hitTexts = async (query: string) =>
  (await stack.app.inject({ method: 'POST', url: '/v1/search', payload: { query, k: 10 } }))
    .json<{ hits: { text: string; documentId: string }[] }>()
    .hits.map((hit) => [hit.text, hit.documentId]);
const documentCount = async () =>
  (await stack.service.list({ tenantId: TENANT, limit: 500 })).items.length;

describe('documents by URL', () => {
  it('fetches an allowed page through a redirect and finds it; the same URL again is a no-op; a changed page is a new version, which replaces the old one when it completes', async () => {
    const first = await submit(`${base}/moved`);
    expect(first.statusCode, first.body).toBe(202);
    const { id } = first.json<{ id: string }>();
    expect(first.json()).toMatchObject({ version: 1, created: true, changed: true });
    const document = await waitForStatus(stack.service, TENANT, id, ['completed', 'failed']);
    expect(document).toMatchObject({
      status: 'completed',
      mimeType: 'text/html',
      key: `${base}/moved`,
      version: 1,
      metadata: { url: `${base}/moved`, fetchedUrl: `${base}/page` },
    });
    const chunks = await stack.service.listChunks(TENANT, id);
    expect(chunks.map((c) => c.text)).toEqual(['# Fleet\n\nThe zeppelin flies on Tuesdays.']);
    expect(await hitTexts('zeppelin')).toEqual([
      ['# Fleet\n\nThe zeppelin flies on Tuesdays.', id],
    ]);

    const again = await submit(`${base}/moved`);
    expect(again.json()).toMatchObject({ id, version: 1, created: false, changed: false });

    // The page changes; its new version is held at the index stage, fully chunked and embedded.
    page = page.replace('Tuesdays', 'Fridays');
    let reached!: () => void;
    const atIndex = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    gate = { reached, released: new Promise<void>((resolve) => (release = resolve)) };
    const changed = await submit(`${base}/moved`);
    expect(changed.json()).toMatchObject({ id, version: 2, status: 'pending', changed: true });
    await atIndex;
    const midway = await stack.app.inject({ method: 'GET', url: `/v1/documents/${id}` });
    expect(midway.json()).toMatchObject({
      version: 1,
      status: 'completed',
      nextVersion: { version: 2, status: 'processing', stage: 'index' },
    });
    expect(await hitTexts('zeppelin Tuesdays Fridays')).toEqual([
      ['# Fleet\n\nThe zeppelin flies on Tuesdays.', id],
    ]);
    gate = undefined;
    release();
    for (;;) {
      const current = await stack.service.get(TENANT, id);
      if (current.version === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await hitTexts('zeppelin Tuesdays Fridays')).toEqual([
      ['# Fleet\n\nThe zeppelin flies on Fridays.', id],
    ]);
    expect((await stack.service.listChunks(TENANT, id)).map((c) => c.text)).toEqual([
      '# Fleet\n\nThe zeppelin flies on Fridays.',
    ]);
    expect(await documentCount()).toBe(1);
  });

  it('refuses a body past the size limit, a redirect loop, a redirect to a forbidden address and an error status, storing nothing', async () => {
    const before = await documentCount();
    const big = await submit(`${base}/big`);
    expect(big.statusCode).toBe(413);
    const loop = await submit(`${base}/loop`);
    expect(loop.statusCode).toBe(400);
    expect(loop.body).toMatch(/redirects more than 3 times/);
    const metadata = await submit(`${base}/to-metadata`);
    expect(metadata.statusCode).toBe(403);
    expect(metadata.body).toMatch(/169\.254\.169\.254/);
    const missing = await submit(`${base}/nothing-here`);
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toMatch(/HTTP 404/);
    const scheme = await submit('file:///etc/passwd');
    expect(scheme.statusCode).toBe(400);
    expect(await documentCount()).toBe(before);
  });

  it('refuses loopback, link-local, private and IPv6 loopback hosts unless allowed, before connecting', async () => {
    const guarded = createUrlFetcher({ ...fetchOptions, allowedHosts: [] });
    const port = (server.address() as AddressInfo).port;
    for (const url of [
      `http://127.0.0.1:${port}/page`,
      `http://localhost:${port}/page`,
      'http://169.254.169.254/latest/meta-data/',
      `http://[::1]:${port}/page`,
      'http://10.0.0.7/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fd00::1]/',
      'http://0.0.0.0/',
    ]) {
      await expect(guarded(url), url).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: expect.stringMatching(/ENGRAM_FETCH_ALLOWED_HOSTS/),
      });
    }
    expect(isPublicAddress('93.184.215.14')).toBe(true);
    expect(isPublicAddress('2606:2800:21f:cb07:6820:80da:af6b:8b2c')).toBe(true);
  });
});
