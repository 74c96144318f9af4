// A real Engram server on a free local port (SQLite, background jobs running), for the clients'
// tests: they talk to it over HTTP exactly as an agent would.
import { createTestApp, type TestApp } from '../support/runtime.js';

export interface ListeningApp {
  test: TestApp;
  baseUrl: string;
}

export async function startListeningApp(env: Record<string, string> = {}): Promise<ListeningApp> {
  const test = await createTestApp({ env: { ENGRAM_WORKER_POLL_MS: '20', ...env } });
  test.runtime.startBackground();
  await test.app.listen({ host: '127.0.0.1', port: 0 });
  const address = test.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { test, baseUrl: `http://127.0.0.1:${address.port}` };
}
