// Debian's chromium, driven by playwright-core through its executable path (no browser
// download). A missing chromium skips the console suite loudly, except under CI=true, where it
// fails. Each opened page records what a person would count as broken: console errors, uncaught
// exceptions, requests that got no answer and answers with an error status.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `${CHROMIUM} is missing (apt-get install chromium, or scripts/setup-tools.sh).`;
  if (process.env.CI === 'true') throw new Error(`${message} CI=true requires it.`);
  console.warn(`\n!!! SKIPPING CONSOLE BROWSER TESTS: ${message} !!!\n`);
  return false;
}

export async function launchChromium(): Promise<Browser> {
  // --no-sandbox: test machines and CI containers run as root, where Chromium's sandbox refuses.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

export interface WatchedPage {
  page: Page;
  /** Console errors, page errors, unanswered requests and 4xx/5xx answers, in order. */
  problems: string[];
  /** Requests sent, as "METHOD path". */
  requests: string[];
  close(): Promise<void>;
}

export async function openPage(browser: Browser, baseUrl: string): Promise<WatchedPage> {
  // A context per page: its own sessionStorage, so each page starts without a key.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) =>
    problems.push(
      `no answer: ${request.method()} ${request.url()} ${request.failure()?.errorText}`,
    ),
  );
  page.on('request', (request) =>
    requests.push(`${request.method()} ${new URL(request.url()).pathname}`),
  );
  page.on('response', (response) => {
    if (response.status() < 400) return;
    const problem = `${response.status()}: ${response.request().method()} ${response.url()}`;
    const at = problems.push(problem) - 1;
    // The body names the error (code and message): a failure then says why, not only where.
    response.text().then(
      (body) => (problems[at] = `${problem} ${body.slice(0, 300)}`),
      () => undefined,
    );
  });
  await page.goto(baseUrl);
  return { page, problems, requests, close: () => context.close() };
}
