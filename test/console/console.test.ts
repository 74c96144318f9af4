// The console in a real browser (Debian's chromium) against a real Engram server on a real port
// with two tenants' API keys and real data: an ingested document, a session's turns and posted
// telemetry events. Each page is checked for what a person sees, with no console error and no
// failed request. Screenshots are taken on every run; they replace the README's in docs/console/
// only with ENGRAM_UPDATE_SCREENSHOTS=1, so a test run leaves the working tree as it found it.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR } from '../../src/http/console-route.js';
import {
  ACME,
  createTestApp,
  TWO_TENANT_API_KEYS,
  UMBRELLA,
  type TestApp,
} from '../support/runtime.js';
import { until } from '../telemetry/backends.js';
import { chromiumAvailable, launchChromium, openPage, type WatchedPage } from './browser.js';

const ACME_KEY = ACME.authorization.replace('Bearer ', '');
const UMBRELLA_KEY = UMBRELLA.authorization.replace('Bearer ', '');
const MAX_DOCUMENT_BYTES = 4096;
const ACME_DOC =
  '# Acme handbook\n\nAlice Smith works at Acme Corp in Berlin. She leads the rocket team.\n\n' +
  '## Travel\n\nBob Jones books every trip to Lisbon through the travel desk.';
const UMBRELLA_DOC = '# Umbrella secrets\n\nThe Umbrella vault code is 8642.';
const SCREENSHOTS =
  process.env.ENGRAM_UPDATE_SCREENSHOTS === '1'
    ? 'docs/console'
    : mkdtempSync(join(tmpdir(), 'engram-console-'));

const available = chromiumAvailable();

let fixture: TestApp;
let port: number;
let baseUrl: string;
let browser: Browser;
const opened: WatchedPage[] = [];

async function ingest(headers: Record<string, string>, content: string, title: string) {
  const submitted = await fixture.app.inject({
    method: 'POST',
    url: '/v1/documents',
    headers,
    payload: { content, title, mimeType: 'text/markdown' },
  });
  expect(submitted.statusCode).toBe(202);
  const id = submitted.json<{ id: string }>().id;
  const status = await until(
    async () =>
      (await fixture.app.inject({ url: `/v1/documents/${id}`, headers })).json<{ status: string }>()
        .status,
    (value) => value === 'completed' || value === 'failed',
  );
  expect(status).toBe('completed');
  return id;
}

/** Events the summary counts for the tenant: ours plus Engram's own model and embedding calls. */
async function eventsCounted(headers: Record<string, string>): Promise<number> {
  const summary = await fixture.app.inject({ url: '/v1/metrics/summary?window=1h', headers });
  return summary.json<{ events: number }>().events;
}

/** Our agent's model calls and suggestions, once folded (Engram's own calls are another agent). */
async function ourEventsFolded(): Promise<string> {
  const summary = await fixture.app.inject({
    url: '/v1/metrics/summary?window=1h&agentId=console-agent',
    headers: ACME,
  });
  const { modelCalls, suggestions } = summary.json<{
    modelCalls: { count: number };
    suggestions: { accepted: number; rejected: number };
  }>();
  return `${modelCalls.count} calls, ${suggestions.accepted + suggestions.rejected} suggestions`;
}

async function postEvents(events: object[]) {
  const posted = await fixture.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: ACME,
    payload: { events },
  });
  expect(posted.json()).toMatchObject({ accepted: events.length, rejected: [] });
}

function modelCall(eventId: string, latencyMs: number) {
  return {
    type: 'model_call',
    eventId,
    ts: Date.now(),
    sessionId: 'console-session',
    agentId: 'console-agent',
    model: 'gpt-test',
    latencyMs,
    inputTokens: 100,
    outputTokens: 20,
  };
}

function suggestion(eventId: string, action: 'accepted' | 'rejected') {
  return {
    type: 'suggestion',
    eventId,
    ts: Date.now(),
    sessionId: 'console-session',
    agentId: 'console-agent',
    action,
  };
}

/** Opens the console and signs in with `key`; the page is closed after the suite. */
async function signIn(key: string, hash = '#/'): Promise<WatchedPage> {
  const watched = await openPage(browser, `${baseUrl}/${hash}`);
  opened.push(watched);
  await watched.page.getByLabel('API key').fill(key);
  await watched.page.getByRole('button', { name: 'Open the console' }).click();
  await watched.page.getByRole('navigation', { name: 'Console pages' }).waitFor();
  return watched;
}

/** The value of the overview figure labelled `label` once it reads `text`. */
async function figureReads(page: Page, label: string, text: string) {
  const figure = page.locator('.figure', {
    has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }),
  });
  await figure
    .locator('dd', { hasText: new RegExp(`^${text.replace(/[+.]/g, '\\$&')}$`) })
    .waitFor();
}

async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

describe.skipIf(!available)('the console in chromium', () => {
  let acmeDocumentId: string;

  beforeAll(async () => {
    if (!existsSync(`${CONSOLE_DIR}/index.html`)) {
      throw new Error(`${CONSOLE_DIR} has no built console: run \`npm run build\` first.`);
    }
    fixture = await createTestApp({
      env: {
        ENGRAM_API_KEYS: TWO_TENANT_API_KEYS,
        ENGRAM_RATE_LIMIT_PER_MINUTE: '1000000',
        ENGRAM_MAX_DOCUMENT_BYTES: String(MAX_DOCUMENT_BYTES),
      },
    });
    await fixture.app.listen({ host: '127.0.0.1', port: 0 });
    port = (fixture.app.server.address() as AddressInfo).port;
    baseUrl = `http://127.0.0.1:${port}`;
    fixture.runtime.startBackground();

    acmeDocumentId = await ingest(ACME, ACME_DOC, 'acme-handbook.md');
    await ingest(UMBRELLA, UMBRELLA_DOC, 'umbrella-secrets.md');
    const session = await fixture.app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: ACME,
      payload: { userId: 'ada' },
    });
    const turns = await fixture.app.inject({
      method: 'POST',
      url: `/v1/sessions/${session.json<{ id: string }>().id}/turns`,
      headers: ACME,
      payload: {
        turns: [
          { speaker: 'ada', content: 'My sister Carol moved to Lisbon last spring.' },
          { speaker: 'assistant', content: 'Noted: Carol lives in Lisbon now.' },
        ],
      },
    });
    expect(turns.statusCode).toBe(201);
    // 3 model calls and 4 suggestions (3 accepted, 1 rejected: 75 %).
    await postEvents([
      modelCall('m1', 100),
      modelCall('m2', 200),
      modelCall('m3', 300),
      suggestion('s1', 'accepted'),
      suggestion('s2', 'accepted'),
      suggestion('s3', 'accepted'),
      suggestion('s4', 'rejected'),
    ]);
    const folded = await until(ourEventsFolded, (n) => n === '3 calls, 4 suggestions');
    expect(folded).toBe('3 calls, 4 suggestions');
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const watched of opened) await watched.close();
    await browser?.close();
    await fixture?.dispose();
  });

  it('asks for a key, and refuses a wrong one with the server’s message', async () => {
    const watched = await openPage(browser, baseUrl);
    opened.push(watched);
    const { page } = watched;
    await page.getByLabel('API key').fill('wrong-key-0123456789abcdef');
    await page.getByRole('button', { name: 'Open the console' }).click();
    // The first call answers 401: the key is dropped and the form says why.
    await page
      .getByRole('alert')
      .filter({ hasText: /API key/i })
      .waitFor();
    expect(await page.getByLabel('API key').isVisible()).toBe(true);
    expect(await page.evaluate('sessionStorage.getItem("engram.apiKey")')).toBeNull();
    await screenshot(page, 'key');
  });

  it('shows the overview with live figures', async () => {
    const { page, problems } = await signIn(ACME_KEY);
    await figureReads(page, 'completed', '1');
    await figureReads(page, 'events', String(await eventsCounted(ACME)));
    await figureReads(page, 'acceptance rate', '75.0 %');
    await figureReads(page, 'events that failed', '0');
    await page.getByText('Server ready').waitFor();
    const p95 = await page
      .locator('.figure', { has: page.locator('dt', { hasText: 'p95 model latency' }) })
      .locator('dd')
      .textContent();
    // Three calls of 100, 200 and 300 ms: the p95 is the 300 ms one, within the sketch's 1 %.
    expect(Number(p95?.replace(' ms', ''))).toBeGreaterThanOrEqual(297);
    expect(Number(p95?.replace(' ms', ''))).toBeLessThanOrEqual(303);
    await screenshot(page, 'overview');

    // Live: a new event shows up without reloading the page.
    await postEvents([modelCall('m4', 150)]);
    await until(ourEventsFolded, (n) => n === '4 calls, 4 suggestions');
    await figureReads(page, 'events', String(await eventsCounted(ACME)));
    expect(problems).toEqual([]);
  });

  it('lists documents, uploads by file picker and by drag and drop, and refuses bad files before sending', async () => {
    const { page, problems, requests } = await signIn(ACME_KEY, '#/documents');
    const rows = page.locator('table.documents tbody tr');
    await rows.filter({ hasText: 'acme-handbook.md' }).filter({ hasText: 'completed' }).waitFor();
    expect(await page.getByText('umbrella-secrets.md').count()).toBe(0);

    const posts = () => requests.filter((r) => r === 'POST /v1/documents').length;
    await page.getByLabel(/Drop a file here/).setInputFiles({
      name: 'report.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4'),
    });
    await page.getByRole('alert').filter({ hasText: 'report.pdf: unknown type' }).waitFor();
    await page.getByLabel(/Drop a file here/).setInputFiles({
      name: 'huge.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('x'.repeat(MAX_DOCUMENT_BYTES + 1)),
    });
    await page
      .getByRole('alert')
      .filter({ hasText: 'huge.md is 5 kB; this server takes documents up to 4 kB' })
      .waitFor();
    expect(posts()).toBe(0);

    await page.getByLabel(/Drop a file here/).setInputFiles({
      name: 'picked.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('# Picked\n\nThe picked file mentions Zanzibar harbour.'),
    });
    await page.getByRole('status').filter({ hasText: 'picked.md uploaded' }).waitFor();
    await rows.filter({ hasText: 'picked.md' }).filter({ hasText: 'completed' }).waitFor();

    // Drag and drop: a real drop event carrying a File, as a person's drag would.
    // (The page's own DataTransfer and File: the test's tsconfig has no DOM types, hence a string.)
    const transfer = await page.evaluateHandle(`(() => {
      const data = new DataTransfer();
      data.items.add(new File(['Dropped notes about Kyoto gardens.'], 'dropped.txt', { type: 'text/plain' }));
      return data;
    })()`);
    await page.locator('.dropzone').dispatchEvent('drop', { dataTransfer: transfer });
    await page.getByRole('status').filter({ hasText: 'dropped.txt uploaded' }).waitFor();
    await rows.filter({ hasText: 'dropped.txt' }).filter({ hasText: 'completed' }).waitFor();
    expect(posts()).toBe(2);

    const listed = await fixture.app.inject({ url: '/v1/documents', headers: ACME });
    expect(
      listed
        .json<{ documents: Array<{ title: string }> }>()
        .documents.map((d) => d.title)
        .sort(),
    ).toEqual(['acme-handbook.md', 'dropped.txt', 'picked.md']);
    await screenshot(page, 'documents');
    expect(problems).toEqual([]);
  });

  it("shows a document's chunks and deletes it", async () => {
    const { page, problems } = await signIn(ACME_KEY, '#/documents');
    await page.getByRole('link', { name: 'acme-handbook.md' }).click();
    await page.getByRole('heading', { name: 'acme-handbook.md' }).waitFor();
    await page.locator('.chunks pre', { hasText: 'Alice Smith works at Acme Corp' }).waitFor();
    await page.locator('.chunks', { hasText: 'Travel' }).waitFor();
    await screenshot(page, 'document');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete document' }).click();
    await page.getByRole('heading', { name: 'All documents' }).waitFor();
    await page.locator('table.documents', { hasText: 'picked.md' }).waitFor();
    expect(await page.getByText('acme-handbook.md').count()).toBe(0);
    const gone = await fixture.app.inject({
      url: `/v1/documents/${acmeDocumentId}`,
      headers: ACME,
    });
    expect(gone.statusCode).toBe(404);
    expect(problems).toEqual([]);
  });

  it('shows search hits and recalled memories with their score breakdown', async () => {
    const { page, problems } = await signIn(ACME_KEY, '#/playground');
    await page.getByLabel('Query').fill('Zanzibar harbour');
    await page.getByRole('button', { name: 'Search' }).click();
    const documents = page.locator('section', {
      has: page.getByRole('heading', { name: /Documents/ }),
    });
    await documents.locator('.hit-text', { hasText: 'Zanzibar harbour' }).first().waitFor();
    await documents.getByLabel('Score of hit 1').waitFor();
    expect(await documents.getByLabel('Score of hit 1').locator('dt').allTextContents()).toEqual([
      'text',
      'vector',
      'rrf',
    ]);

    await page.getByLabel('Query').fill('Where does Carol live?');
    await page.getByRole('button', { name: 'Search' }).click();
    const memory = page.locator('section', { has: page.getByRole('heading', { name: /Memory/ }) });
    await memory.locator('.hit-text', { hasText: 'Lisbon' }).first().waitFor();
    const terms = await memory.getByLabel('Score of memory 1').locator('dt').allTextContents();
    expect(terms).toEqual(['text', 'vector', 'base', 'salience', 'recency', 'time', 'fused']);
    // The best memory's fused bar is full: bars are scaled to the largest value shown.
    const fill = memory
      .getByLabel('Score of memory 1')
      .locator('.score-term', { hasText: 'fused' })
      .locator('.fill');
    expect(await fill.getAttribute('style')).toMatch(/width: 100%/);
    await screenshot(page, 'playground');
    expect(problems).toEqual([]);
  });

  it("lists a user's sessions and shows a session's turns", async () => {
    const { page, problems } = await signIn(ACME_KEY, '#/sessions');
    await page.getByLabel('User id').fill('ada');
    await page.getByRole('button', { name: 'Show sessions' }).click();
    const row = page.locator('table.documents tbody tr');
    await row.filter({ hasText: /^ses/ }).first().waitFor();
    expect(await row.count()).toBe(1);
    await row.getByRole('link').click();
    await page.getByRole('heading', { name: 'Working memory' }).waitFor();
    await page.getByText('My sister Carol moved to Lisbon last spring.').waitFor();
    await page.getByText('Noted: Carol lives in Lisbon now.').waitFor();
    await screenshot(page, 'session');

    const umbrella = await signIn(UMBRELLA_KEY, '#/sessions');
    await umbrella.page.getByLabel('User id').fill('ada');
    await umbrella.page.getByRole('button', { name: 'Show sessions' }).click();
    await umbrella.page.getByText('No sessions for ada.').waitFor();
    expect([...problems, ...umbrella.problems]).toEqual([]);
  });

  it('charts latency, volume and acceptance over the chosen window', async () => {
    const { page, problems } = await signIn(ACME_KEY, '#/telemetry');
    await page.getByRole('img', { name: /Model-call latency: p50, p95, p99/ }).waitFor();
    await page.getByRole('img', { name: /Events per step/ }).waitFor();
    await page.getByRole('img', { name: /Suggestion acceptance/ }).waitFor();
    expect(await page.locator('.chart canvas').count()).toBe(3);
    await page.getByLabel('Window').selectOption('24h');
    await page.getByRole('img', { name: /Model-call latency/ }).waitFor();
    expect(await page.locator('.chart canvas').count()).toBe(3);
    await page.getByLabel('Window').selectOption('1h');
    await page.locator('.chart canvas').first().waitFor();
    await screenshot(page, 'telemetry');
    expect(problems).toEqual([]);
  });

  it("keeps each key to its tenant's data", async () => {
    const umbrella = await signIn(UMBRELLA_KEY, '#/documents');
    const rows = umbrella.page.locator('table.documents tbody tr');
    await rows.filter({ hasText: 'umbrella-secrets.md' }).waitFor();
    expect(await rows.count()).toBe(1);

    await umbrella.page.getByRole('link', { name: 'Overview' }).click();
    // Umbrella's events are Engram's own calls for its document: none of acme's suggestions.
    await figureReads(umbrella.page, 'events', String(await eventsCounted(UMBRELLA)));
    await figureReads(umbrella.page, 'acceptance rate', '—');
    await figureReads(umbrella.page, 'completed', '1');

    await umbrella.page.getByRole('link', { name: 'Search and recall' }).click();
    await umbrella.page.getByLabel('Query').fill('Where does Carol live? Zanzibar Kyoto');
    await umbrella.page.getByRole('button', { name: 'Search' }).click();
    await umbrella.page.getByText('Intent:').waitFor();
    const shown = await umbrella.page.locator('main').textContent();
    for (const secret of ['Lisbon', 'Zanzibar', 'Kyoto', 'picked.md'])
      expect(shown).not.toContain(secret);

    const acme = await signIn(ACME_KEY, '#/playground');
    await acme.page.getByLabel('Query').fill('Umbrella vault code');
    await acme.page.getByRole('button', { name: 'Search' }).click();
    await acme.page.getByText('Intent:').waitFor();
    expect(await acme.page.locator('main').textContent()).not.toContain('8642');
    expect([...umbrella.problems, ...acme.problems]).toEqual([]);
  });

  it("shows an API error where it happened, with the server's message and request id", async () => {
    const { page, problems } = await signIn(ACME_KEY, '#/documents/no-such-document');
    const alert = page.getByRole('alert').filter({ hasText: 'DOCUMENT_NOT_FOUND' }).first();
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/request id [0-9a-f-]{36}/);
    // The only problems are the two 404 answers the page shows (the document and its chunks).
    expect(problems.every((problem) => /404|status of 404/.test(problem))).toBe(true);
  });

  it('opens straight on the overview when the server has no API keys', async () => {
    const open = await createTestApp({ env: { ENGRAM_RATE_LIMIT_PER_MINUTE: '1000000' } });
    try {
      await open.app.listen({ host: '127.0.0.1', port: 0 });
      const { port: openPort } = open.app.server.address() as AddressInfo;
      const watched = await openPage(browser, `http://127.0.0.1:${openPort}/`);
      opened.push(watched);
      await watched.page.getByRole('heading', { name: 'Overview' }).waitFor();
      await watched.page.getByText('Server ready').waitFor();
      await figureReads(watched.page, 'completed', '0');
      expect(await watched.page.getByLabel('API key').count()).toBe(0);
      expect(await watched.page.getByRole('button', { name: 'Forget key' }).count()).toBe(0);
      await watched.close();
      expect(watched.problems).toEqual([]);
    } finally {
      await open.dispose();
    }
  });

  it('shows a banner while the server does not answer, and drops it when it answers again', async () => {
    const { page } = await signIn(ACME_KEY);
    await figureReads(page, 'events', String(await eventsCounted(ACME)));
    const banner = page.getByRole('alert').filter({ hasText: 'not answering' });
    expect(await banner.count()).toBe(0);
    const server = fixture.app.server;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await banner.waitFor();
    await screenshot(page, 'server-down');
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await banner.waitFor({ state: 'detached' });
    await figureReads(page, 'events', String(await eventsCounted(ACME)));
  });
});
