// A document in progress, watched in a real browser: its page shows the stage the pipeline is in
// and moves on by itself. The embedder is a real OpenAI-compatible HTTP server on a local port
// (test/support/hashing-embedding-server.ts) that holds its answers while the test watches, so
// the embed stage lasts long enough to be seen; then it answers at once and the page must reach
// "completed" with the stage timings, without a reload. On the embedded default and on PostgreSQL
// (skipped loudly without it, failed under CI=true).
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startHashingEmbeddingServer,
  type EmbeddingServer,
} from '../support/hashing-embedding-server.js';
import { postgresAvailable } from '../support/backends.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { chromiumAvailable, launchChromium, openPage } from './browser.js';

/** Longer than the document page's 2 s refresh, so the embed stage is shown at least once. */
const EMBED_HOLD_MS = 6_000;

const hasPostgres = await postgresAvailable();
if (!hasPostgres) {
  if (process.env.CI === 'true')
    throw new Error('PostgreSQL is not reachable; CI=true requires it.');
  console.warn('\n!!! SKIPPING THE STAGE-MOVING CONSOLE TEST ON POSTGRESQL: not reachable !!!\n');
}
const BACKENDS = [
  { backend: 'sqlite' as const, available: true },
  { backend: 'postgres' as const, available: hasPostgres },
];
const browserAvailable = chromiumAvailable();

for (const { backend, available } of BACKENDS)
  describe.skipIf(!browserAvailable || !available)(
    `a document in progress in the console — ${backend}`,
    () => {
      let embeddings: EmbeddingServer;
      let fixture: TestApp;
      let browser: Browser;
      let baseUrl: string;

      beforeAll(async () => {
        embeddings = await startHashingEmbeddingServer();
        fixture = await createTestApp({ backend, env: embeddings.env });
        await fixture.app.listen({ host: '127.0.0.1', port: 0 });
        baseUrl = `http://127.0.0.1:${(fixture.app.server.address() as AddressInfo).port}`;
        fixture.runtime.startBackground();
        browser = await launchChromium();
      });

      afterAll(async () => {
        await browser?.close();
        await fixture?.dispose();
        await embeddings?.close();
      });

      it('shows its stage moving, then completed with stage timings, without a reload', async () => {
        embeddings.setDelayMs(EMBED_HOLD_MS);
        const submitted = await fixture.app.inject({
          method: 'POST',
          url: '/v1/documents',
          payload: {
            title: 'slow-handbook.md',
            mimeType: 'text/markdown',
            content: '# Slow handbook\n\nAlice Smith works at Acme Corp in Berlin.',
          },
        });
        expect(submitted.statusCode).toBe(202);
        const id = submitted.json<{ id: string }>().id;

        const watched = await openPage(browser, `${baseUrl}/#/documents/${encodeURIComponent(id)}`);
        const { page, problems } = watched;
        try {
          const badge = page.locator('.status');
          await badge
            .filter({ hasText: /^processing · embed$/ })
            .waitFor({ timeout: EMBED_HOLD_MS });
          const navigations: string[] = [];
          page.on('framenavigated', (frame) => navigations.push(frame.url()));
          embeddings.setDelayMs(0);
          await badge.filter({ hasText: /^completed$/ }).waitFor({ timeout: 30_000 });
          const timings = await page
            .locator('dt', { hasText: 'Stage timings' })
            .locator('xpath=following-sibling::dd[1]')
            .textContent();
          // The embed stage waited for the held answer: its timing says so.
          const embedMs = Number(/embed (\d+) ms/.exec(timings ?? '')?.[1]);
          expect(embedMs).toBeGreaterThanOrEqual(EMBED_HOLD_MS - 1_000);
          expect(timings).toMatch(/chunk \d+ ms, embed \d+ ms, extract \d+ ms, index \d+ ms/);
          expect(navigations).toEqual([]);
          expect(problems).toEqual([]);
        } finally {
          await watched.close();
        }
      });
    },
  );
