// The TypeScript client's cost per call against raw fetch, in the same run on the same server:
// a cheap read (GET /v1/documents/{id}) where the client's share is largest, and a recall.
// Calls alternate client/raw (and which goes first) so drift in the server hits both alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engram } from '../../src/client/index.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { buildApp } from '../../src/http/app.js';
import { createRuntime } from '../../src/runtime.js';
import { quantile, type BenchSuite, type Measurement } from '../harness.js';

interface Pair {
  name: string;
  client: () => Promise<unknown>;
  raw: () => Promise<unknown>;
}

async function elapsedMs(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function measure(pair: Pair, calls: number): Promise<Measurement[]> {
  for (let i = 0; i < 50; i += 1) await Promise.all([pair.client(), pair.raw()]);
  const client: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < calls; i += 1) {
    if (i % 2 === 0) {
      client.push(await elapsedMs(pair.client));
      raw.push(await elapsedMs(pair.raw));
    } else {
      raw.push(await elapsedMs(pair.raw));
      client.push(await elapsedMs(pair.client));
    }
  }
  const clientP50 = quantile(client, 0.5);
  const rawP50 = quantile(raw, 0.5);
  const overheadPercent = ((clientP50 - rawP50) / rawP50) * 100;
  return [
    { name: `${pair.name} raw fetch`, unit: 'ms', samples: raw },
    {
      name: `${pair.name} engram/client`,
      unit: 'ms',
      samples: client,
      baseline: { name: 'raw fetch p50', value: rawP50 },
      note: `overhead ${(clientP50 - rawP50).toFixed(3)} ms per call (${overheadPercent.toFixed(1)} %)`,
    },
  ];
}

export const clientSuite: BenchSuite = {
  name: 'client',
  description: 'TypeScript client overhead per call against raw fetch, same server, same run',
  async run(context) {
    const dataDir = mkdtempSync(join(tmpdir(), 'engram-bench-client-'));
    const config = loadConfig({
      env: {
        ENGRAM_DATA_DIR: dataDir,
        ENGRAM_LOG_LEVEL: 'silent',
        ENGRAM_RATE_LIMIT_PER_MINUTE: '0',
      },
      filePath: undefined,
    });
    const runtime = await createRuntime(config, { logger: createSilentLogger() });
    const app = await buildApp(runtime);
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address');
      const baseUrl = `http://127.0.0.1:${address.port}`;
      const engram = new Engram({ baseUrl });
      const { id } = await engram.ingest({ content: '# Notes\n\nThe client is thin.' });
      const turns = Array.from({ length: 40 }, (_, i) => ({
        speaker: i % 2 === 0 ? 'user' : 'assistant',
        content: `Note ${i}: the parcel for order ${1000 + i} left the Lisbon depot on day ${i}.`,
      }));
      await engram.remember(turns, { userId: 'bench' });
      const rawJson = async (path: string, init: RequestInit = {}) =>
        (await fetch(`${baseUrl}${path}`, init)).json();
      const calls = context.quick ? 300 : 2000;
      context.log(`${calls} calls per side, alternating`);
      return [
        ...(await measure(
          {
            name: 'GET /v1/documents/{id}',
            client: () => engram.document(id),
            raw: () => rawJson(`/v1/documents/${id}`),
          },
          calls,
        )),
        ...(await measure(
          {
            name: 'POST /v1/recall',
            client: () =>
              engram.recall('When did order 1007 leave Lisbon?', { userId: 'bench', k: 5 }),
            raw: () =>
              rawJson('/v1/recall', {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                // As a raw-fetch caller would: the body serialised per call.
                body: JSON.stringify({
                  query: 'When did order 1007 leave Lisbon?',
                  userId: 'bench',
                  k: 5,
                }),
              }),
          },
          calls,
        )),
      ];
    } finally {
      await app.close();
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
