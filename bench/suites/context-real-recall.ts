// Context over the real recall path: an embedded runtime (SQLite, the local embedder, intent-aware
// hybrid recall, the in-process token cache) holding README paragraphs as conversation turns,
// and POST /v1/context at 2k, 8k and 32k o200k tokens for queries made of corpus words. Reported
// per budget: the whole build, its recall and packing parts, and the HTTP round trip (inject).
// These are the context figures the README quotes; the fixed-list rows of the context suite
// measure packing alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { buildApp } from '../../src/http/app.js';
import { createRuntime } from '../../src/runtime.js';
import { prng, quantile, type BenchContext, type Measurement } from '../harness.js';

// The tenant of requests without an API key, so the HTTP rows read the same memories.
const TENANT = 'default';
const BUDGETS = [2_000, 8_000, 32_000];

export async function measureRealRecallContext(
  context: BenchContext,
  corpus: readonly string[],
): Promise<Measurement[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'engram-bench-context-'));
  const runtime = await createRuntime(
    loadConfig({
      env: { ENGRAM_DATA_DIR: dataDir, ENGRAM_LOG_LEVEL: 'silent' },
      filePath: undefined,
    }),
    { logger: createSilentLogger() },
  );
  const app = await buildApp(runtime);
  try {
    const turns = corpus
      .filter((text) => text.split(/\s+/).length <= 150)
      .slice(0, context.quick ? 150 : 400);
    const started = performance.now();
    for (let start = 0; start < turns.length; start += 20) {
      const session = await runtime.memory.createSession(TENANT, { userId: 'reader' });
      await runtime.memory.addTurns(
        TENANT,
        session.id,
        turns.slice(start, start + 20).map((content, index) => ({
          speaker: index % 2 === 0 ? 'Ada' : 'Bot',
          content,
        })),
      );
    }
    await runtime.memory.settle();
    context.log(
      `real recall: ${turns.length} turns stored and embedded in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const random = prng(42);
    const words = turns.flatMap((text) => text.match(/[A-Za-z]{5,}/g) ?? []);
    const queries = Array.from({ length: 30 }, () =>
      Array.from(
        { length: 3 + Math.floor(random() * 4) },
        () => words[Math.floor(random() * words.length)]!,
      ).join(' '),
    );
    const runs = context.quick ? 30 : 120;
    const results: Measurement[] = [];
    for (const maxTokens of BUDGETS) {
      const request = (index: number) => ({
        query: queries[index % queries.length]!,
        userId: 'reader',
        tokenizer: 'o200k_base',
        maxTokens,
      });
      // Warm-up: query embeddings and token IDs cached, as for an agent asking again.
      for (let index = 0; index < queries.length; index += 1)
        await runtime.context.build({ tenantId: TENANT, ...request(index) });
      await runtime.tokenIds.flush();
      const build: number[] = [];
      const recallMs: number[] = [];
      const packMs: number[] = [];
      const tokens: number[] = [];
      const items: number[] = [];
      for (let index = 0; index < runs; index += 1) {
        const begin = performance.now();
        const built = await runtime.context.build({ tenantId: TENANT, ...request(index) });
        build.push(performance.now() - begin);
        recallMs.push(built.timings.recallMs);
        packMs.push(built.timings.packMs);
        tokens.push(built.tokenCount);
        items.push(built.items.length);
      }
      const http: number[] = [];
      for (let index = 0; index < runs; index += 1) {
        const begin = performance.now();
        const response = await app.inject({
          method: 'POST',
          url: '/v1/context',
          payload: request(index),
        });
        http.push(performance.now() - begin);
        if (response.statusCode !== 200)
          throw new Error(`real recall ${maxTokens}: HTTP ${response.statusCode} ${response.body}`);
      }
      const label = `real recall o200k_base ${maxTokens / 1000}k`;
      const note = `median ${quantile(tokens, 0.5)} tokens, ${quantile(items, 0.5)} items; ${turns.length} turns + episodes`;
      results.push(
        { name: `${label}: build, warm`, unit: 'ms', samples: build, note },
        { name: `${label}: recall part`, unit: 'ms', samples: recallMs },
        { name: `${label}: packing part`, unit: 'ms', samples: packMs },
        { name: `${label}: POST /v1/context`, unit: 'ms', samples: http, note: 'inject' },
      );
    }
    return results;
  } finally {
    await app.close();
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
