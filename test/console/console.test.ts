// The console in a real browser (Debian's chromium) against a real Engram server on a real port
// with two tenants' API keys and real data: ingested documents (and the graph read from them), a
// session's turns, posted telemetry events and a dead letter. Each page is checked for what a
// person sees, with no console error and no failed request. The whole suite runs twice: on the
// embedded default (SQLite) and on PostgreSQL + Redis (skipped loudly without them, failed under
// CI=true). Screenshots are taken on every run; the embedded run's replace the README's in
// docs/console/ only with ENGRAM_UPDATE_SCREENSHOTS=1, so a test run leaves the tree as it was.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTelemetryPorts } from '../../src/adapters/open-telemetry-ports.js';
import { systemClock } from '../../src/domain/clock.js';
import { CONSOLE_DIR } from '../../src/http/console-route.js';
import {
  dropRedisPrefix,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
  uniqueName,
} from '../support/backends.js';
import {
  ACME,
  createTestApp,
  TWO_TENANT_API_KEYS,
  UMBRELLA,
  type TestApp,
  type TestRuntimeOptions,
} from '../support/runtime.js';
import { until } from '../telemetry/backends.js';
import { chromiumAvailable, launchChromium, openPage, type WatchedPage } from './browser.js';

const ACME_KEY = ACME.authorization.replace('Bearer ', '');
const UMBRELLA_KEY = UMBRELLA.authorization.replace('Bearer ', '');
const MAX_DOCUMENT_BYTES = 4096;
const ACME_DOC =
  '# Acme handbook\n\nAlice Smith works at Acme Corp in Berlin. She leads the rocket team.\n\n' +
  '## Travel\n\nBob Jones books every trip to Lisbon through the travel desk.';
/** Read by the graph: Alice worked at Globex from 2024 until the handbook's current fact. */
const ACME_NEWS =
  '# Acme news\n\nIn 2024, Alice Smith joined Globex Corporation. Bob Jones works at Acme Corp.';
const UMBRELLA_DOC = '# Umbrella secrets\n\nThe Umbrella vault code is 8642.';
/** The dead letter made before the workers start: a valid event, so a replay folds it. */
const DEAD_AGENT = 'dead-letter-agent';
const DEAD_ERROR = 'fold failed: metric store unavailable (made by the test)';
const TEMP_SCREENSHOTS = mkdtempSync(join(tmpdir(), 'engram-console-'));

const available = chromiumAvailable();
const hasPostgres = await postgresAvailable();
const hasRedis = await redisAvailable();

interface Mode {
  name: string;
  available: boolean;
  /** This run's screenshots are the README's (with ENGRAM_UPDATE_SCREENSHOTS=1). */
  screenshots: boolean;
  options(): TestRuntimeOptions & { env: Record<string, string> };
}

let redisPrefixes: string[] = [];
const MODES: Mode[] = [
  { name: 'embedded (SQLite)', available: true, screenshots: true, options: () => ({ env: {} }) },
  {
    name: 'PostgreSQL + Redis',
    available: hasPostgres && hasRedis,
    screenshots: false,
    options: () => {
      const prefix = `${uniqueName('engram_test_console')}:`;
      redisPrefixes.push(prefix);
      return {
        backend: 'postgres',
        env: {
          ENGRAM_REDIS_URL: REDIS_URL,
          ENGRAM_REDIS_KEY_PREFIX: prefix,
        },
      };
    },
  },
];
for (const mode of MODES) {
  if (mode.available) continue;
  const message = `${mode.name} is not reachable on this machine.`;
  if (process.env.CI === 'true') throw new Error(`${message} CI=true requires it.`);
  console.warn(`\n!!! SKIPPING THE CONSOLE SUITE ON ${mode.name}: ${message} !!!\n`);
}

let mode: Mode;

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
  const { modelCalls, suggestions, tools } = summary.json<{
    modelCalls: { count: number };
    suggestions: { accepted: number; rejected: number };
    tools: { calls: number };
  }>();
  const decided = suggestions.accepted + suggestions.rejected;
  return `${modelCalls.count} calls, ${decided} suggestions, ${tools.calls} tools`;
}

interface Summary {
  modelCalls: { count: number; cost: number; latencyMs: { p95: number } };
}

async function summaryOf(query: string): Promise<Summary> {
  const answer = await fixture.app.inject({ url: `/v1/metrics/summary?${query}`, headers: ACME });
  return answer.json<Summary>();
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
    cost: 0.01,
  };
}

function toolCall(eventId: string, success: boolean) {
  return {
    type: 'tool_call',
    eventId,
    ts: Date.now(),
    sessionId: 'console-session',
    agentId: 'console-agent',
    tool: 'web-search',
    success,
    durationMs: 40,
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

/** `text` as a regular expression that matches it whole. */
function exactly(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

/** The value of the figure labelled `label` once it reads `text`. */
async function figureReads(page: Page, label: string, text: string) {
  const figure = page.locator('.figure', { has: page.locator('dt', { hasText: exactly(label) }) });
  await figure.locator('dd', { hasText: exactly(text) }).waitFor();
}

/** A one-page PDF with a text layer, made here (pdf-lib) so the upload is a real PDF. */
async function makePdf(line: string): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  pdf.addPage().drawText(line, { x: 50, y: 700, font, size: 12 });
  return pdf.save();
}

async function screenshot(page: Page, name: string) {
  const dir =
    mode.screenshots && process.env.ENGRAM_UPDATE_SCREENSHOTS === '1'
      ? 'docs/console'
      : TEMP_SCREENSHOTS;
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/**
 * Dead-letters one valid event of acme's the way the telemetry DLQ tests do: appended to the
 * runtime's own stream, read by another consumer and moved to the dead-letter list with an error.
 * Done before the runtime's workers start, so none of them reads it first.
 */
async function makeDeadLetter() {
  const ports = await openTelemetryPorts(fixture.config, systemClock, fixture.runtime.redis);
  try {
    await ports.stream.append([
      {
        tenantId: 'acme',
        payload: JSON.stringify({ ...modelCall('dead-1', 250), agentId: DEAD_AGENT }),
      },
    ]);
    const entries = await ports.stream.read('dead-letter-maker', { count: 10, blockMs: 0 });
    expect(entries).toHaveLength(1);
    await ports.stream.deadLetter('dead-letter-maker', entries[0]!, DEAD_ERROR);
  } finally {
    await ports.close();
  }
}

/** Model calls of the dead letter's agent that the summary counts. */
async function deadAgentCalls(): Promise<number> {
  const summary = await fixture.app.inject({
    url: `/v1/metrics/summary?window=1h&agentId=${DEAD_AGENT}`,
    headers: ACME,
  });
  return summary.json<{ modelCalls: { count: number } }>().modelCalls.count;
}

for (const current of MODES)
  describe.skipIf(!available || !current.available)(
    `the console in chromium — ${current.name}`,
    () => {
      let acmeDocumentId: string;

      beforeAll(async () => {
        if (!existsSync(`${CONSOLE_DIR}/index.html`)) {
          throw new Error(`${CONSOLE_DIR} has no built console: run \`npm run build\` first.`);
        }
        mode = current;
        const options = mode.options();
        fixture = await createTestApp({
          ...options,
          env: {
            ...options.env,
            ENGRAM_API_KEYS: TWO_TENANT_API_KEYS,
            ENGRAM_RATE_LIMIT_PER_MINUTE: '1000000',
            ENGRAM_MAX_DOCUMENT_BYTES: String(MAX_DOCUMENT_BYTES),
          },
        });
        await fixture.app.listen({ host: '127.0.0.1', port: 0 });
        port = (fixture.app.server.address() as AddressInfo).port;
        baseUrl = `http://127.0.0.1:${port}`;
        await makeDeadLetter();
        fixture.runtime.startBackground();

        acmeDocumentId = await ingest(ACME, ACME_DOC, 'acme-handbook.md');
        await ingest(ACME, ACME_NEWS, 'acme-news.md');
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
        // 3 model calls and 4 suggestions (3 accepted, 1 rejected: 75 %); 2 tool calls, 1 failed.
        await postEvents([
          toolCall('t1', true),
          toolCall('t2', false),
          modelCall('m1', 100),
          modelCall('m2', 200),
          modelCall('m3', 300),
          suggestion('s1', 'accepted'),
          suggestion('s2', 'accepted'),
          suggestion('s3', 'accepted'),
          suggestion('s4', 'rejected'),
        ]);
        const folded = await until(ourEventsFolded, (n) => n === '3 calls, 4 suggestions, 2 tools');
        expect(folded).toBe('3 calls, 4 suggestions, 2 tools');
        browser = await launchChromium();
      });

      afterAll(async () => {
        for (const watched of opened.splice(0)) await watched.close();
        await browser?.close();
        await fixture?.dispose();
        for (const prefix of redisPrefixes) await dropRedisPrefix(prefix);
        redisPrefixes = [];
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
        // Exact counts from GET /v1/documents/stats: umbrella's document is not acme's.
        await figureReads(page, 'completed', '2');
        await figureReads(page, 'pending', '0');
        await figureReads(page, 'failed', '0');
        await figureReads(page, 'sessions active', '1');
        await figureReads(page, 'events', String(await eventsCounted(ACME)));
        await figureReads(page, 'acceptance rate', '75.0 %');
        await figureReads(page, 'events that failed', '1');
        // The session's two turns are working memory.
        await figureReads(page, 'working', '2');
        await figureReads(page, 'episodic', '0');
        await page.getByText('Server ready').waitFor();
        // Our three calls at $0.01 each, plus whatever Engram's own calls cost.
        const day = await summaryOf('window=24h');
        expect(day.modelCalls.cost).toBeGreaterThanOrEqual(0.03);
        await figureReads(page, 'cost (24 h)', `$${day.modelCalls.cost.toFixed(4)}`);
        await figureReads(page, 'tool calls (24 h)', '2');
        // The figure is the summary's p95 over every agent, Engram's own embedding calls included.
        const summary = await summaryOf('window=1h');
        await figureReads(
          page,
          'p95 model latency',
          `${summary.modelCalls.latencyMs.p95.toFixed(0)} ms`,
        );
        // Our agent's three calls of 100, 200 and 300 ms: the p95 is the lower quantile
        // sorted[floor(0.95 × 2)], the 200 ms one, within the sketch's 1 %.
        const ours = (
          await fixture.app.inject({
            url: '/v1/metrics/summary?window=1h&agentId=console-agent',
            headers: ACME,
          })
        ).json<{ modelCalls: { latencyMs: { p95: number } } }>().modelCalls.latencyMs.p95;
        expect(ours).toBeGreaterThanOrEqual(198);
        expect(ours).toBeLessThanOrEqual(202);
        await screenshot(page, 'overview');

        // Live: a new event shows up without reloading the page.
        await postEvents([modelCall('m4', 150)]);
        await until(ourEventsFolded, (n) => n === '4 calls, 4 suggestions, 2 tools');
        await figureReads(page, 'events', String(await eventsCounted(ACME)));
        expect(problems).toEqual([]);
      });

      it('finds an entity and shows its aliases, facts, mentions and neighbourhood graph', async () => {
        const { page, problems } = await signIn(ACME_KEY, '#/graph');
        await page.getByLabel('Entity name').fill('alice');
        await page.getByRole('button', { name: 'Find entities' }).click();
        await page.getByRole('link', { name: 'Alice Smith' }).click();
        await page.getByRole('heading', { name: 'Alice Smith', exact: true }).waitFor();
        await page.getByRole('list', { name: 'Aliases' }).getByText('Alice Smith').waitFor();

        // The handbook's fact is current; the news' Globex fact ended when it began: struck through.
        const facts = page.locator('.entity-facts');
        await facts.locator('li.current', { hasText: 'Alice Smith works at Acme' }).waitFor();
        const superseded = facts.locator('li.superseded', { hasText: 'Globex Corporation' });
        expect(await superseded.locator('s').textContent()).toContain(
          'Alice Smith works at Globex',
        );
        expect(await superseded.textContent()).toMatch(/superseded \d/);

        // Each mention with the sentence it was read in.
        const mentions = page.locator('.mentions blockquote');
        await mentions.filter({ hasText: 'Alice Smith works at Acme Corp in Berlin.' }).waitFor();
        await mentions
          .filter({ hasText: 'In 2024, Alice Smith joined Globex Corporation.' })
          .waitFor();

        // The neighbourhood: depth 1 holds Acme, depth 2 adds who else works there.
        const graph = page.getByRole('group', { name: /^Neighbourhood of Alice Smith/ });
        await graph.getByRole('link', { name: 'Acme (organization, depth 1)' }).waitFor();
        expect(await graph.getByRole('link', { name: /^Bob Jones/ }).count()).toBe(0);
        await page.getByLabel('Depth', { exact: true }).selectOption('2');
        await graph.getByRole('link', { name: 'Bob Jones (person, depth 2)' }).waitFor();
        // Superseded facts are walked only when asked: Globex joins as a dashed edge.
        expect(await graph.getByRole('link', { name: /^Globex/ }).count()).toBe(0);
        await page.getByLabel('Superseded facts too').check();
        await graph.getByRole('link', { name: /^Globex Corporation/ }).waitFor();
        expect(await graph.locator('.relation.superseded').count()).toBe(1);
        await screenshot(page, 'entity');

        // A click on a node centres the explorer on it.
        await graph.getByRole('link', { name: /^Acme \(/ }).click();
        await page.getByRole('heading', { name: 'Acme', exact: true }).waitFor();
        await page.getByRole('group', { name: /^Neighbourhood of Acme/ }).waitFor();
        expect(problems).toEqual([]);
      });

      it("shows an entity's first mentions and pages through the rest", async () => {
        // 60 mentions of Initech, one per chunk: more than the entity page's first 50.
        const chunks = Array.from({ length: 60 }, (_, ordinal) => ({
          id: `initech-chunk-${ordinal}`,
          ordinal,
          text: `Worker ${ordinal + 1} works at Initech Corp. in Austin.`,
        }));
        await fixture.runtime.graph.extract({
          tenantId: 'acme',
          documentId: 'initech-log',
          chunks,
        });
        const { page, problems } = await signIn(ACME_KEY, '#/graph');
        await page.getByLabel('Entity name').fill('initech');
        await page.getByRole('button', { name: 'Find entities' }).click();
        await page.getByRole('link', { name: /^Initech/ }).click();
        await page.getByText('50 of 60 shown').waitFor();
        const items = page.locator('.mentions li');
        expect(await items.count()).toBe(50);
        await page.getByRole('button', { name: 'Show more mentions' }).click();
        await page.getByText('60 of 60 shown').waitFor();
        expect(await items.count()).toBe(60);
        expect(await page.getByRole('button', { name: 'Show more mentions' }).count()).toBe(0);
        expect(problems).toEqual([]);
      });

      it('lists documents, uploads by file picker and by drag and drop, and refuses bad files before sending', async () => {
        const { page, problems, requests } = await signIn(ACME_KEY, '#/documents');
        const rows = page.locator('table.documents tbody tr');
        await rows
          .filter({ hasText: 'acme-handbook.md' })
          .filter({ hasText: 'completed' })
          .waitFor();
        expect(await page.getByText('umbrella-secrets.md').count()).toBe(0);

        const posts = () => requests.filter((r) => r === 'POST /v1/documents').length;
        await page.getByLabel(/Drop a file here/).setInputFiles({
          name: 'photo.png',
          mimeType: 'image/png',
          buffer: Buffer.from('\x89PNG\r\n'),
        });
        await page.getByRole('alert').filter({ hasText: 'photo.png: unknown type' }).waitFor();
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

        // A real PDF goes as it is (multipart) and is read page by page by the server.
        await page.getByLabel(/Drop a file here/).setInputFiles({
          name: 'report.pdf',
          mimeType: 'application/pdf',
          buffer: Buffer.from(await makePdf('The quarterly report praises the Oslo office.')),
        });
        await page.getByRole('status').filter({ hasText: 'report.pdf uploaded' }).waitFor();
        await rows.filter({ hasText: 'report.pdf' }).filter({ hasText: 'completed' }).waitFor();
        expect(posts()).toBe(3);

        const listed = await fixture.app.inject({ url: '/v1/documents', headers: ACME });
        expect(
          listed
            .json<{ documents: Array<{ title: string }> }>()
            .documents.map((d) => d.title)
            .sort(),
        ).toEqual(['acme-handbook.md', 'acme-news.md', 'dropped.txt', 'picked.md', 'report.pdf']);
        const report = listed
          .json<{ documents: Array<{ title: string; mimeType: string }> }>()
          .documents.find((d) => d.title === 'report.pdf');
        expect(report?.mimeType).toBe('application/pdf');
        await screenshot(page, 'documents');
        expect(problems).toEqual([]);
      });

      it("shows a document's chunks and deletes it", async () => {
        const { page, problems } = await signIn(ACME_KEY, '#/documents');
        await page.getByRole('link', { name: 'acme-handbook.md' }).click();
        await page.getByRole('heading', { name: 'acme-handbook.md' }).waitFor();
        await page.locator('.chunks pre', { hasText: 'Alice Smith works at Acme Corp' }).waitFor();
        await page.locator('.chunks', { hasText: 'Travel' }).waitFor();
        const entities = page.getByRole('list', { name: 'Entities in this document' });
        await entities.getByRole('link', { name: 'Alice Smith' }).waitFor();
        await entities.getByRole('link', { name: 'Berlin' }).waitFor();
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

      it('retries a failed document from its page', async () => {
        const submitted = await fixture.app.inject({
          method: 'POST',
          url: '/v1/documents',
          headers: ACME,
          payload: {
            contentBase64: Buffer.from('%PDF-1.7\n% cut short').toString('base64'),
            title: 'broken.pdf',
          },
        });
        const id = submitted.json<{ id: string }>().id;
        const read = async () =>
          (await fixture.app.inject({ url: `/v1/documents/${id}`, headers: ACME })).json<{
            status: string;
            updatedAt: string;
          }>();
        const failed = await until(read, (d) => d.status === 'failed');
        expect(failed.status).toBe('failed');

        const { page, problems, requests } = await signIn(ACME_KEY, `#/documents/${id}`);
        await page.getByText('failed · chunk').waitFor();
        await page.getByText(/PDF could not be read/).waitFor();
        await page.getByRole('button', { name: 'Retry' }).click();
        // The pipeline runs again (and fails again: the bytes are still not a PDF).
        const again = await until(
          read,
          (d) => d.status === 'failed' && d.updatedAt > failed.updatedAt,
        );
        expect(again.updatedAt > failed.updatedAt).toBe(true);
        await page.getByText('failed · chunk').waitFor();
        expect(requests).toContain(`POST /v1/documents/${id}/retry`);
        expect(problems).toEqual([]);
        await fixture.app.inject({ method: 'DELETE', url: `/v1/documents/${id}`, headers: ACME });
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
        expect(
          await documents.getByLabel('Score of hit 1').locator('dt').allTextContents(),
        ).toEqual(['text', 'vector', 'rrf']);

        await page.getByLabel('Query').fill('Where does Carol live?');
        await page.getByRole('button', { name: 'Search' }).click();
        const memory = page.locator('section', {
          has: page.getByRole('heading', { name: /Memory/ }),
        });
        await memory.locator('.hit-text', { hasText: 'Lisbon' }).first().waitFor();
        const terms = await memory.getByLabel('Score of memory 1').locator('dt').allTextContents();
        expect(terms).toEqual(['text', 'vector', 'base', 'salience', 'recency', 'time', 'fused']);
        // The best memory's fused bar is full: bars are scaled to the largest value shown.
        const fill = memory
          .getByLabel('Score of memory 1')
          .locator('.score-term', { hasText: 'fused' })
          .locator('.fill');
        expect(await fill.getAttribute('style')).toMatch(/width: 100%/);

        // Recall filters go to the API as its fields and narrow what is recalled. Documents are
        // semantic memory of the whole tenant, so a filter on the user leaves them; a turn is
        // working memory of its user's session.
        const recallSent = async () => {
          const sent = page.waitForRequest((r) => r.url().endsWith('/v1/recall'));
          await page.getByRole('button', { name: 'Search' }).click();
          return (await sent).postDataJSON() as Record<string, unknown>;
        };
        const tiersShown = async () => {
          await memory.locator('.intent').waitFor();
          const heads = await memory.locator('.hit-head').allTextContents();
          return new Set(heads.map((head) => head.split(' · ')[0]));
        };
        const turn = memory.locator('.hit-head', { hasText: /^working/ });
        const filters = page.getByRole('group', { name: 'Recall filters' });
        await filters.getByLabel('User id').fill('nobody');
        expect(await recallSent()).toMatchObject({ userId: 'nobody' });
        await turn.first().waitFor({ state: 'detached' });
        expect(await tiersShown()).toEqual(new Set(['semantic']));
        await filters.getByLabel('User id').fill('ada');
        expect(await recallSent()).toMatchObject({ userId: 'ada' });
        await turn.first().waitFor();
        await filters.getByLabel('working').uncheck();
        await filters.getByLabel('episodic').uncheck();
        // The last tier cannot be unchecked: recall over no tier has no answer.
        await filters.getByLabel('semantic').click();
        expect(await filters.getByLabel('semantic').isChecked()).toBe(true);
        expect(await recallSent()).toMatchObject({ userId: 'ada', tiers: ['semantic'] });
        await turn.first().waitFor({ state: 'detached' });
        expect(await tiersShown()).toEqual(new Set(['semantic']));
        await filters.getByLabel('working').check();
        await filters.getByLabel('From').fill('2000-01-01T00:00');
        const body = await recallSent();
        expect(body).toMatchObject({ userId: 'ada', tiers: ['working', 'semantic'] });
        expect(body.timeRange).toEqual({ from: expect.stringMatching(/^2000-01-01T/) });
        await turn.first().waitFor();
        // A time range that ends before the turn happened leaves it out.
        await filters.getByLabel('Until').fill('2000-01-02T00:00');
        expect((await recallSent()).timeRange).toEqual({
          from: expect.stringMatching(/^2000-01-01T/),
          to: expect.stringMatching(/^2000-01-0[12]T/),
        });
        await turn.first().waitFor({ state: 'detached' });
        await screenshot(page, 'playground');

        // Pack as context: the packed text token by token, coloured per item, and its token IDs.
        const answered = page.waitForResponse((r) => r.url().endsWith('/v1/context'));
        await page.getByRole('button', { name: 'Pack as context' }).click();
        const packed = (await (await answered).json()) as {
          text: string;
          tokenIds: number[];
          tokenCount: number;
          items: Array<{ id: string; tokenStart: number; tokenEnd: number }>;
        };
        expect(packed.items.length).toBeGreaterThan(0);
        await page.locator('.budget', { hasText: `${packed.tokenCount} / 200 tokens` }).waitFor();
        const text = page.getByLabel('Packed text, cut at token boundaries');
        expect(await text.textContent()).toBe(packed.text);
        expect(await text.locator('.token').count()).toBe(packed.tokenCount);
        const first = packed.items[0]!;
        expect(await text.locator('.item-0').count()).toBe(first.tokenEnd - first.tokenStart);
        expect(await text.locator('.item-0').allTextContents()).not.toContain('');
        await page.getByRole('list', { name: 'Packed items' }).getByText(first.id).waitFor();
        expect(
          await page.getByRole('list', { name: 'Token IDs' }).locator('li').allTextContents(),
        ).toEqual(packed.tokenIds.map(String));
        await screenshot(page, 'context');
        expect(problems).toEqual([]);
      });

      it("lists a user's sessions and shows a session's turns and the episodes distilled from them", async () => {
        // Distil the session's turns now, so it has an episode to show.
        const sessionId = (
          await fixture.app.inject({ url: '/v1/sessions?userId=ada', headers: ACME })
        ).json<{ sessions: Array<{ id: string }> }>().sessions[0]!.id;
        const distilled = await fixture.app.inject({
          method: 'POST',
          url: `/v1/sessions/${sessionId}/distill`,
          headers: ACME,
          payload: { includeWorking: true },
        });
        const episodes = distilled.json<{ episodes: Array<{ id: string; text: string }> }>()
          .episodes;
        expect(episodes.length).toBeGreaterThan(0);
        const { page, problems } = await signIn(ACME_KEY, '#/sessions');
        await page.getByLabel('User id').fill('ada');
        await page.getByRole('button', { name: 'Show sessions' }).click();
        const row = page.locator('table.documents tbody tr');
        await row.filter({ hasText: /^ses/ }).first().waitFor();
        expect(await row.count()).toBe(1);
        await row.getByRole('link').click();
        await page.getByRole('heading', { name: 'Working memory' }).waitFor();
        const working = page.getByRole('region', { name: 'Working memory' });
        await working.getByText('My sister Carol moved to Lisbon last spring.').waitFor();
        await working.getByText('Noted: Carol lives in Lisbon now.').waitFor();
        // Cite the first turn: its salience rises, as the API says.
        const cite = working.getByRole('button', { name: /^Cite memory / }).first();
        const memoryId = (await cite.getAttribute('aria-label'))!.replace('Cite memory ', '');
        await cite.click();
        const shown = working.getByRole('status').filter({ hasText: 'cited: salience' });
        await shown.waitFor();
        const salience = (
          await fixture.app.inject({ url: `/v1/memories/${memoryId}`, headers: ACME })
        ).json<{ salience: number }>().salience;
        expect(salience).toBeGreaterThan(0);
        expect(await shown.textContent()).toBe(` cited: salience ${salience.toFixed(3)}`);

        // The episode with its salience and promotion state; cited from here, its salience rises.
        const section = page.getByRole('region', { name: 'Episodes distilled' });
        const episode = section.getByRole('listitem').filter({ hasText: episodes[0]!.id });
        await episode.getByText(episodes[0]!.text).waitFor();
        await episode.getByText('episodic', { exact: true }).waitFor();
        await episode.getByRole('button', { name: `Cite memory ${episodes[0]!.id}` }).click();
        const episodeCited = episode.getByRole('status').filter({ hasText: 'cited: salience' });
        await episodeCited.waitFor();
        const episodeSalience = (
          await fixture.app.inject({ url: `/v1/memories/${episodes[0]!.id}`, headers: ACME })
        ).json<{ salience: number }>().salience;
        expect(episodeSalience).toBeGreaterThan(0);
        expect(await episodeCited.textContent()).toBe(
          ` cited: salience ${episodeSalience.toFixed(3)}`,
        );
        // The list reads the episode again: its salience bar now says what the citation made it.
        await episode
          .locator('.value')
          .filter({ hasText: /^0\.[1-9]/ })
          .waitFor();
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

        // The window's breakdown: our model's calls and cost, our agent, the tool's success rate.
        const ours = await summaryOf('window=1h&agentId=console-agent');
        const model = page.getByRole('table', { name: 'Calls, tokens and cost by model' });
        const modelRow = model.getByRole('row', { name: /^gpt-test / });
        await modelRow.filter({ hasText: `$${ours.modelCalls.cost.toFixed(4)}` }).waitFor();
        expect(await modelRow.locator('td').first().textContent()).toBe(
          String(ours.modelCalls.count),
        );
        const agents = page.getByRole('table', { name: 'Events, calls and cost by agent' });
        await agents.getByRole('row', { name: /^console-agent / }).waitFor();
        const tools = page.getByRole('table', { name: 'Calls and success rate by tool' });
        const toolRow = tools.getByRole('row', { name: /^web-search / });
        expect(await toolRow.locator('td').allTextContents()).toEqual([
          '2',
          '1',
          '40 ms',
          '50.0 %',
        ]);
        await figureReads(page, 'tool success rate', '50.0 %');
        await figureReads(page, 'acceptance rate', '75.0 %');

        // The dead letter with its error and deliveries; replayed from here, it is folded.
        const row = page.locator('table.documents tbody tr', { hasText: 'model_call dead-1' });
        await row.filter({ hasText: DEAD_ERROR }).waitFor();
        expect(await row.locator('td').nth(3).textContent()).toBe('1');
        await screenshot(page, 'telemetry');
        expect(await deadAgentCalls()).toBe(0);
        await row.getByRole('button', { name: 'Replay model_call dead-1' }).click();
        await page.getByRole('status').filter({ hasText: 'Replayed 1 event.' }).waitFor();
        await page.getByText('No dead letters: every event was folded.').waitFor();
        expect(await until(deadAgentCalls, (n) => n === 1)).toBe(1);
        expect(problems).toEqual([]);
      });

      it('fits a phone screen: at 390 px no page scrolls sideways, only wide tables in their box', async () => {
        const { page, problems } = await signIn(ACME_KEY);
        await page.setViewportSize({ width: 390, height: 844 });
        const pages: Array<[string, string]> = [
          ['#/', 'Overview'],
          ['#/documents', 'Documents'],
          ['#/playground', 'Search and recall'],
          ['#/graph', 'Graph'],
          ['#/sessions', 'Sessions'],
          ['#/telemetry', 'Telemetry'],
        ];
        // Wide tables scroll inside their own box (.table-scroll); everything else must fit.
        const outside = `[...document.body.querySelectorAll('*')]
          .filter((e) => !e.closest('.table-scroll'))
          .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
          .map((e) => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))`;
        for (const [hash, heading] of pages) {
          await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
          await page.getByRole('heading', { level: 1, name: heading }).waitFor();
          await page.waitForLoadState('networkidle');
          expect(await page.evaluate<string[]>(outside), hash).toEqual([]);
          const wider = await page.evaluate<number>(
            'document.documentElement.scrollWidth - document.documentElement.clientWidth',
          );
          expect(wider, `${hash} scrolls sideways`).toBeLessThanOrEqual(0);
        }
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
        await figureReads(umbrella.page, 'events that failed', '0');
        await figureReads(umbrella.page, 'working', '0');

        await umbrella.page.getByRole('link', { name: 'Graph' }).click();
        await umbrella.page.getByLabel('Entity name').fill('Alice');
        await umbrella.page.getByRole('button', { name: 'Find entities' }).click();
        await umbrella.page.getByText('No entity matches “Alice”.').waitFor();

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
        const options = mode.options();
        const open = await createTestApp({
          ...options,
          env: { ...options.env, ENGRAM_RATE_LIMIT_PER_MINUTE: '1000000' },
        });
        try {
          await open.app.listen({ host: '127.0.0.1', port: 0 });
          // As `engram serve` does: /ready counts the background jobs' heartbeats.
          open.runtime.startBackground();
          const { port: openPort } = open.app.server.address() as AddressInfo;
          const watched = await openPage(browser, `http://127.0.0.1:${openPort}/`);
          opened.push(watched);
          await watched.page.getByRole('heading', { name: 'Overview' }).waitFor();
          await watched.page.getByText('Server ready').waitFor();
          await figureReads(watched.page, 'completed', '0');
          expect(await watched.page.getByLabel('API key').count()).toBe(0);
          expect(await watched.page.getByRole('button', { name: 'Forget key' }).count()).toBe(0);
          // Read before closing: closing aborts the polls in flight, which is no fault of the page.
          const problems = [...watched.problems];
          await watched.close();
          expect(problems).toEqual([]);
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
    },
  );
