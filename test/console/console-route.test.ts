// The console's routes on the real app: the page carries the server's settings, the bundle is
// served and nothing outside dist/console is reachable through /console/; an unbuilt console
// answers with what to do. The OpenAPI document does not list the console's routes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRoutes } from '../../src/http/console-route.js';
import { installErrorHandler } from '../../src/http/error-handler.js';
import type { EngramApp } from '../../src/http/engram-app.js';
import { createTestApp, TWO_TENANT_API_KEYS, type TestApp } from '../support/runtime.js';

let fixture: TestApp;

beforeAll(async () => {
  fixture = await createTestApp({
    env: { ENGRAM_API_KEYS: TWO_TENANT_API_KEYS, ENGRAM_MAX_DOCUMENT_BYTES: '12345' },
  });
});

afterAll(async () => {
  await fixture.dispose();
});

function settingsOf(html: string): unknown {
  const content = /<meta name="engram-settings" content="([^"]*)">/.exec(html)?.[1];
  if (content === undefined) throw new Error('no engram-settings meta tag');
  return JSON.parse(
    content
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&amp;/g, '&'),
  );
}

describe('the console routes', () => {
  it("serves the page without a key, with the server's limits and that a key is needed", async () => {
    const page = await fixture.app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(settingsOf(page.body)).toEqual({
      maxDocumentBytes: 12345,
      authRequired: true,
    });
    const bundle = await fixture.app.inject({ url: '/console/main.js' });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['content-type']).toContain('javascript');
  });

  it('serves nothing outside dist/console, however the path is spelled', async () => {
    for (const url of [
      '/console/../package.json',
      '/console/%2e%2e/package.json',
      '/console/..%2fpackage.json',
      '/console/%2e%2e%2f%2e%2e%2fpackage.json',
      '/console/no-such-file.js',
    ]) {
      const response = await fixture.app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.body, url).not.toContain('"name": "engram"');
    }
  });

  it('keeps the console out of the OpenAPI document', async () => {
    const document = (await fixture.app.inject({ url: '/docs/json' })).json<{
      paths: Record<string, unknown>;
    }>();
    expect(
      Object.keys(document.paths).filter((path) => path === '/' || path.startsWith('/console')),
    ).toEqual([]);
  });

  it('says how to build the console when it is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'engram-console-'));
    const app = Fastify() as unknown as EngramApp;
    try {
      installErrorHandler(app);
      await app.register(consoleRoutes({ maxDocumentBytes: 1, authRequired: false }, empty));
      const response = await app.inject({ url: '/' });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.message).toContain('npm run build');
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
