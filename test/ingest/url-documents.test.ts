// Documents by URL, against a real HTTP server on 127.0.0.1: fetched, chunked and searchable when
// the allow-list names the host; unchanged content is a no-op; redirects followed up to the cap;
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
const documentCount = async () =>
  (await stack.service.list({ tenantId: TENANT, limit: 500 })).items.length;

describe('documents by URL', () => {
  it('fetches an allowed page through a redirect, chunks and finds it; the same content again is a no-op; a changed page is a new document', async () => {
    const first = await submit(`${base}/moved`);
    expect(first.statusCode, first.body).toBe(202);
    const { id, created } = first.json<{ id: string; created: boolean }>();
    expect(created).toBe(true);
    const document = await waitForStatus(stack.service, TENANT, id, ['completed', 'failed']);
    expect(document).toMatchObject({
      status: 'completed',
      mimeType: 'text/html',
      metadata: { url: `${base}/moved`, fetchedUrl: `${base}/page` },
    });
    const chunks = await stack.service.listChunks(TENANT, id);
    expect(chunks.map((c) => c.text)).toEqual(['# Fleet\n\nThe zeppelin flies on Tuesdays.']);
    const hits = await stack.app.inject({
      method: 'POST',
      url: '/v1/search',
      payload: { query: 'zeppelin', k: 3 },
    });
    expect(hits.json<{ hits: { documentId: string }[] }>().hits[0]?.documentId).toBe(id);

    const again = await submit(`${base}/page`);
    expect(again.json()).toMatchObject({ id, created: false });

    page = page.replace('Tuesdays', 'Fridays');
    const changed = await submit(`${base}/page`);
    expect(changed.json<{ id: string }>().id).not.toBe(id);
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
