// Token-exact context. First, over the real recall path (context-real-recall.ts): an embedded
// runtime with real recall, at 2k, 8k and 32k tokens — the figures the README quotes. Then a
// packing-only micro-benchmark: building a 2k- and an 8k-token context from a FIXED in-memory
// recall list with a warm and a cold token cache — in process, with Redis, and with Redis behind
// an in-process tier (redis+local, what openTokenCache builds by default with Redis) — beside
// tokenizing the same text from scratch in the same run; its rows are labelled "packing-only".
// The corpus is real prose: paragraphs of the READMEs in node_modules. Run with
// `npm run bench -- context`, or alone with `npx tsx bench/suites/context.ts [--quick]`.
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import {
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { createMemoryTokenCache } from '../../src/adapters/memory/token-cache.js';
import { closeRedis, openRedis } from '../../src/adapters/redis/connection.js';
import { createRedisTokenCache } from '../../src/adapters/redis/token-cache.js';
import { createTieredTokenCache } from '../../src/adapters/tiered-token-cache.js';
import { createContextService, type ContextRecall } from '../../src/context/context-service.js';
import { REDIS_URL } from '../../test/support/backends.js';
import { createTestTokenizerRegistry } from '../../test/support/test-tokenizers.js';
import { createTokenIdSource } from '../../src/context/token-id-source.js';
import { systemClock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { installAuth } from '../../src/http/auth.js';
import { installErrorHandler } from '../../src/http/error-handler.js';
import { contextRoutes } from '../../src/http/routes/context.js';
import type { TokenCache } from '../../src/ports/token-cache.js';
import o200kEncoding from 'gpt-tokenizer/encoding/o200k_base';
import { quantile, type BenchContext, type BenchSuite, type Measurement } from '../harness.js';
import { measureRealRecallContext } from './context-real-recall.js';

const logger = createSilentLogger();

/** Wall and CPU (user + system) milliseconds of each run: CPU time stays honest on a busy machine. */
async function timeRuns(
  count: number,
  fn: (index: number) => unknown,
): Promise<{ wall: number[]; cpu: number[] }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await fn(index);
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall, cpu };
}

/** Paragraphs of 40–400 words from package READMEs: real prose, code, lists, links, emoji. */
function loadCorpus(limit: number): string[] {
  const root = fileURLToPath(new URL('../../node_modules', import.meta.url));
  const paragraphs: string[] = [];
  for (const name of readdirSync(root).sort()) {
    const candidates = name.startsWith('@')
      ? readdirSync(join(root, name)).map((inner) => join(root, name, inner, 'README.md'))
      : [join(root, name, 'README.md')];
    for (const file of candidates) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      for (const paragraph of text.split(/\n\s*\n/)) {
        const words = paragraph.split(/\s+/).length;
        if (words >= 40 && words <= 400) paragraphs.push(paragraph.trim());
        if (paragraphs.length >= limit) return paragraphs;
      }
    }
  }
  return paragraphs;
}

/** Recall that returns `count` paragraphs starting at a query-dependent offset. */
function fixedRecall(corpus: readonly string[], count: number): ContextRecall {
  return async ({ query }) => {
    const offset = Number(query.replace(/\D/g, '') || '0') % Math.max(1, corpus.length - count);
    return corpus
      .slice(offset, offset + count)
      .map((text, index) => ({ id: `mem_${offset + index}`, text, score: 1 }));
  };
}

async function httpApp(
  service: ReturnType<typeof createContextService>,
  tokenIds: ReturnType<typeof createTokenIdSource>,
) {
  const app = Fastify({
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: 1 << 20,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  installAuth(app, new Map());
  await app.register(contextRoutes(service, tokenIds));
  await app.ready();
  return app;
}

interface Backend {
  label: string;
  cache: TokenCache;
  close(): Promise<void>;
}

async function backends(context: BenchContext): Promise<Backend[]> {
  const list: Backend[] = [
    {
      label: 'in-process',
      cache: createMemoryTokenCache({
        maxBytes: 256 << 20,
        defaultTtlSeconds: 3600,
        namespaceTtlSeconds: new Map(),
      }),
      close: async () => {},
    },
  ];
  const prefix = `engram_bench_context_${process.pid}:`;
  const redis = openRedis({
    url: REDIS_URL,
    keyPrefix: prefix,
    commandTimeoutMs: 500,
    failFast: true,
  });
  try {
    await Promise.race([
      once(redis, 'ready'),
      new Promise((_resolve, reject) =>
        setTimeout(() => reject(new Error('no Redis within 3 s')), 3000),
      ),
    ]);
    const shared = createRedisTokenCache({
      redis,
      maxBytes: 256 << 20,
      defaultTtlSeconds: 3600,
      namespaceTtlSeconds: new Map(),
      callTimeoutMs: 500,
      clock: systemClock,
      logger,
    });
    list.push(
      { label: 'redis', cache: shared, close: async () => {} },
      {
        label: 'redis+local',
        // The default of ENGRAM_TOKEN_CACHE_LOCAL_MAX_BYTES.
        cache: createTieredTokenCache({
          shared,
          localMaxBytes: 8 << 20,
          defaultTtlSeconds: 3600,
          namespaceTtlSeconds: new Map(),
        }),
        close: async () => {
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
            cursor = next;
            // SCAN returns full names; DEL adds the connection's key prefix again, so strip it.
            if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(prefix.length)));
          } while (cursor !== '0');
          await closeRedis(redis);
        },
      },
    );
  } catch (error) {
    context.log(`Redis not reachable at ${REDIS_URL} (${String(error)}): Redis rows skipped`);
    await closeRedis(redis);
  }
  return list;
}

export const contextSuite: BenchSuite = {
  name: 'context',
  description:
    'POST /v1/context over real recall (2k/8k/32k), then packing-only from a fixed list: warm vs cold token cache vs tokenizing from scratch',
  async run(context) {
    const warmRuns = context.quick ? 50 : 300;
    const coldRuns = context.quick ? 10 : 40;
    const corpus = loadCorpus(2000);
    context.log(`corpus: ${corpus.length} README paragraphs`);
    const tokenizers = createTestTokenizerRegistry();
    const results: Measurement[] = await measureRealRecallContext(context, corpus);
    for (const backend of await backends(context)) {
      for (const tokenizerName of ['o200k_base', 'llama3']) {
        const tokenizer = tokenizers.get(tokenizerName);
        for (const budget of [2000, 8000]) {
          const tokenIds = createTokenIdSource({
            cache: backend.cache,
            clock: systemClock,
            logger,
          });
          const service = createContextService({
            recall: fixedRecall(corpus, Math.ceil(budget / 40)),
            tokenizers,
            tokenIds,
            clock: systemClock,
            logger,
          });
          const app = await httpApp(service, tokenIds);
          const label = `packing-only ${backend.label} ${tokenizerName} ${budget / 1000}k`;
          const request = { query: 'q 7', tokenizer: tokenizerName, maxTokens: budget };
          const first = await service.build({ tenantId: 'bench', ...request });
          await tokenIds.flush();
          const text = first.text;
          const scratch = await timeRuns(warmRuns, () => tokenizer.encode(text));
          // gpt-tokenizer keeps a merge cache across calls; "cold" clears it before each run.
          const scratchCold = await timeRuns(coldRuns, () => {
            if (tokenizerName === 'o200k_base') o200kEncoding.clearMergeCache();
            tokenizer.encode(text);
          });
          const recallMs: number[] = [];
          const warm = await timeRuns(warmRuns, async () => {
            const built = await service.build({ tenantId: 'bench', ...request });
            recallMs.push(built.timings.recallMs);
            if (built.cache.misses > 0) throw new Error(`${label}: warm run missed the cache`);
          });
          const warmHttp = await timeRuns(warmRuns, async () => {
            const response = await app.inject({
              method: 'POST',
              url: '/v1/context',
              payload: request,
            });
            if (response.statusCode !== 200)
              throw new Error(`${label}: HTTP ${response.statusCode}`);
          });
          // Cold: a new tenant each run, so every key is new (tenant is part of the cache key).
          const cold = await timeRuns(coldRuns, async (index) => {
            const built = await service.build({
              tenantId: `cold-${backend.label}-${budget}-${index}-${Date.now()}`,
              ...request,
            });
            if (built.cache.hits > 0) throw new Error(`${label}: cold run hit the cache`);
          });
          await tokenIds.flush();
          await app.close();
          const base = (samples: number[]) => ({
            name: 'scratch p50',
            value: quantile(samples, 0.5),
          });
          results.push(
            {
              name: `${label}: tokenize from scratch`,
              unit: 'ms',
              samples: scratch.wall,
              note: `${first.tokenCount} tokens, ${first.items.length} items; tokenizer caches hot`,
            },
            {
              name: `${label}: tokenize from scratch, cold`,
              unit: 'ms',
              samples: scratchCold.wall,
              note: 'merge cache cleared (o200k)',
            },
            {
              name: `${label}: build, cold cache`,
              unit: 'ms',
              samples: cold.wall,
              baseline: base(scratch.wall),
            },
            {
              name: `${label}: build, warm cache`,
              unit: 'ms',
              samples: warm.wall,
              baseline: base(scratch.wall),
            },
            {
              name: `${label}: POST /v1/context, warm`,
              unit: 'ms',
              samples: warmHttp.wall,
              baseline: base(scratch.wall),
              note: 'inject; JSON of the IDs',
            },
            { name: `${label}: CPU tokenize from scratch`, unit: 'cpu ms', samples: scratch.cpu },
            {
              name: `${label}: CPU build, warm cache`,
              unit: 'cpu ms',
              samples: warm.cpu,
              baseline: base(scratch.cpu),
            },
            {
              name: `${label}: CPU build, warm cache vs cold scratch`,
              unit: 'cpu ms',
              samples: warm.cpu,
              baseline: base(scratchCold.cpu),
            },
            {
              name: `${label}: recall (fixed list, not real recall)`,
              unit: 'ms',
              samples: recallMs,
            },
          );
        }
      }
      await backend.close();
    }
    context.log(
      `load average at the end: ${loadavg()
        .map((value) => value.toFixed(1))
        .join(' ')} on this machine`,
    );
    return results;
  },
};

// Runnable on its own: npx tsx bench/suites/context.ts [--quick]
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = process.argv.includes('--quick');
  const measurements = await contextSuite.run({
    quick,
    log: (message) => console.log(`  ${message}`),
    finalLine: (line) => console.log(line),
  });
  for (const m of measurements) {
    const p50 = m.samples === undefined ? m.value : quantile(m.samples, 0.5);
    const p95 = m.samples === undefined ? undefined : quantile(m.samples, 0.95);
    const ratio =
      m.baseline !== undefined && p50 !== undefined
        ? ` | ${(m.baseline.value / p50).toFixed(1)}× faster than scratch`
        : '';
    console.log(
      `| ${m.name.padEnd(58)} | p50 ${p50?.toFixed(3) ?? ''} ms | p95 ${p95?.toFixed(3) ?? ''} ms${ratio} ${m.note === undefined ? '' : `| ${m.note}`}`,
    );
  }
}
