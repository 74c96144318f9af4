// Knowledge-graph throughput and query latency: the offline extractor alone, extraction with
// resolution and storage on SQLite and PostgreSQL, then entity search, fact search and 2-hop
// neighbourhoods on the graph that built. The corpus is generated from sentence templates over
// name lists (seeded, so every run reads the same text).
import { DEFAULT_POOL_THREADS } from '../../src/config/settings/ingest.js';
import { systemClock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createGraphService } from '../../src/graph/graph-service.js';
import { createLocalExtractor } from '../../src/graph/create-local-extractor.js';
import type { ChunkText } from '../../src/ports/extractor.js';
import { POSTGRES_URL } from '../../test/support/backends.js';
import { openBenchStore, type BenchStore } from './synthetic-store.js';
import {
  prng,
  timeEach,
  type BenchContext,
  type BenchSuite,
  type Measurement,
} from '../harness.js';

const FIRST = [
  'Alice',
  'Bob',
  'Carol',
  'David',
  'Emma',
  'Frank',
  'Grace',
  'Henry',
  'Irene',
  'James',
  'Karen',
  'Liam',
  'Maria',
  'Nathan',
  'Olivia',
  'Peter',
  'Rachel',
  'Samuel',
  'Teresa',
  'Victor',
];
const LAST = [
  'Smith',
  'Johnson',
  'Brown',
  'Miller',
  'Davis',
  'Garcia',
  'Wilson',
  'Moore',
  'Taylor',
  'Anderson',
  'Thomas',
  'Jackson',
  'White',
  'Harris',
  'Martin',
];
const ORGS = [
  'Acme Corp',
  'Globex Corporation',
  'Initech',
  'Umbrella Corporation',
  'Stark Industries',
  'Wayne Enterprises',
  'Hooli',
  'Pied Piper',
  'Vandelay Industries',
  'Soylent Corp',
  'Cyberdyne Systems',
  'Tyrell Corporation',
  'Wonka Industries',
  'Oscorp',
  'Aperture Science',
];
const PLACES = [
  'Berlin',
  'Paris',
  'London',
  'Madrid',
  'Boston',
  'Chicago',
  'Toronto',
  'Sydney',
  'Tokyo',
  'Seattle',
  'Denver',
  'Austin',
];
const PRODUCTS = [
  'Neo4j',
  'PostgreSQL',
  'Redis',
  'Kafka',
  'Kubernetes',
  'Terraform',
  'Grafana',
  'Elasticsearch',
];

function corpus(chunks: number, seed = 42): ChunkText[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const person = () => `${pick(FIRST)} ${pick(LAST)}`;
  const templates = [
    () => `In ${2000 + Math.floor(random() * 25)}, ${person()} joined ${pick(ORGS)}.`,
    () => `${person()} works at ${pick(ORGS)} as an engineer.`,
    () => `${pick(ORGS)} is headquartered in ${pick(PLACES)}.`,
    () => `${pick(ORGS)} acquired ${pick(ORGS)} for $${1 + Math.floor(random() * 90)} million.`,
    () => `${person()} lives in ${pick(PLACES)}.`,
    () => `The team at ${pick(ORGS)} runs ${pick(PRODUCTS)} in production.`,
    () => `${person()} founded ${pick(ORGS)} in ${pick(PLACES)}.`,
    () => `${person()} knows ${person()} from university.`,
    () => `Our quarterly review covered hiring, budgets and the roadmap for next year.`,
  ];
  return Array.from({ length: chunks }, (_, i) => ({
    id: `chunk-${i}`,
    ordinal: i % 10,
    text: Array.from({ length: 12 }, () => pick(templates)()).join(' '),
  }));
}

async function measureStore(
  label: string,
  bench: BenchStore,
  chunks: ChunkText[],
  context: BenchContext,
): Promise<Measurement[]> {
  const graph = createGraphService({
    store: bench.graphStore,
    extractor: createLocalExtractor(),
    clock: systemClock,
    logger: createSilentLogger(),
    entityFuzzyThreshold: 0.88,
    entityEmbeddingThreshold: 0.9,
  });
  const tenantId = 'bench';
  const perDocument = 10;
  const started = performance.now();
  let relations = 0;
  // As ingestion does it: read, then write in the transaction that would complete the document.
  const extract = async (documentId: string, slice: ChunkText[]) => {
    const reading = await graph.read({ tenantId, documentId, chunks: slice });
    const prepared = await graph.prepare(tenantId, reading);
    return bench.transaction((tx) => graph.write(tx.graphStore, tenantId, documentId, prepared));
  };
  for (let i = 0; i < chunks.length; i += perDocument) {
    const result = await extract(`doc-${i / perDocument}`, chunks.slice(i, i + perDocument));
    relations += result.relations;
  }
  const seconds = (performance.now() - started) / 1000;
  const reextractStart = performance.now();
  await extract('doc-0', chunks.slice(0, perDocument));
  const reextractMs = performance.now() - reextractStart;
  const people = FIRST.flatMap((f) => LAST.map((l) => `${f} ${l}`));
  const entityCount = (await graph.searchEntities({ tenantId, query: 'a', limit: 100 })).length;
  context.log(
    `${label}: ${chunks.length} chunks, ${relations} relation assertions in ${seconds.toFixed(1)} s`,
  );
  const queries = context.quick ? 50 : 200;
  const search = await timeEach(queries, (i) =>
    graph.searchEntities({ tenantId, query: people[i % people.length]!.split(' ')[1]! }),
  );
  const facts = await timeEach(queries, (i) =>
    graph.searchFacts({ tenantId, query: `Where does ${people[i % people.length]} work?`, k: 10 }),
  );
  const hood = await timeEach(queries, (i) =>
    graph.neighborhood({ tenantId, entity: ORGS[i % ORGS.length]!, depth: 2 }),
  );
  const removals = await timeEach(5, (i) => graph.removeDocument(tenantId, `doc-${i + 1}`));
  return [
    {
      name: `${label}: extract + resolve + store (10-chunk documents)`,
      unit: 'chunks/s',
      value: chunks.length / seconds,
    },
    {
      name: `${label}: re-extract a 10-chunk document (no-op upserts)`,
      unit: 'ms',
      value: reextractMs,
    },
    {
      name: `${label}: GET /v1/entities search (service)`,
      unit: 'ms',
      samples: search,
      note: `${entityCount >= 100 ? '100+' : entityCount} entities match "a"`,
    },
    { name: `${label}: searchFacts k=10`, unit: 'ms', samples: facts },
    { name: `${label}: neighbourhood depth 2 (cap 50)`, unit: 'ms', samples: hood },
    { name: `${label}: removeDocument (10 chunks)`, unit: 'ms', samples: removals },
  ];
}

export const graphSuite: BenchSuite = {
  name: 'graph',
  description:
    'offline extraction, resolution and graph queries on the embedded and the PostgreSQL store',
  async run(context) {
    const chunks = corpus(context.quick ? 200 : 2000);
    const bytes = chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk.text), 0);
    const results: Measurement[] = [];

    const extractor = createLocalExtractor();
    const extraction = await extractor.extract(chunks.slice(0, 50)); // warm-up: lexicon, JIT
    const slices = 5;
    const size = Math.ceil(chunks.length / slices);
    const rates = await timeEach(slices, (i) =>
      extractor.extract(chunks.slice(i * size, (i + 1) * size)),
    );
    const perSlice = chunks.slice(0, size);
    const sliceBytes = perSlice.reduce((sum, chunk) => sum + Buffer.byteLength(chunk.text), 0);
    context.log(
      `corpus: ${chunks.length} chunks, ${(bytes / 1024).toFixed(0)} KiB; warm-up found ${extraction.mentions.length} mentions, ${extraction.relations.length} relations in 50 chunks`,
    );
    results.push(
      {
        name: 'local extractor (compromise) alone, on the calling thread',
        unit: 'chunks/s',
        samples: rates.map((ms) => size / (ms / 1000)),
      },
      {
        name: 'local extractor (compromise) alone, on the calling thread',
        unit: 'KiB/s',
        samples: rates.map((ms) => sliceBytes / 1024 / (ms / 1000)),
      },
    );
    // The same slices in the server's default pool: a thread per core (at most 4).
    const pooled = createLocalExtractor({ threads: DEFAULT_POOL_THREADS });
    try {
      await pooled.extract(chunks.slice(0, 50));
      const pooledRates = await timeEach(slices, (i) =>
        pooled.extract(chunks.slice(i * size, (i + 1) * size)),
      );
      results.push({
        name: `local extractor alone, ${DEFAULT_POOL_THREADS} threads`,
        unit: 'chunks/s',
        samples: pooledRates.map((ms) => size / (ms / 1000)),
      });
    } finally {
      await pooled.close();
    }

    for (const backend of ['sqlite', 'postgres'] as const) {
      let bench: BenchStore;
      try {
        bench = await openBenchStore('graph', backend === 'postgres' ? POSTGRES_URL : undefined);
      } catch (error) {
        context.log(`${backend} skipped: ${String(error)}`);
        continue;
      }
      try {
        results.push(...(await measureStore(backend, bench, chunks, context)));
      } finally {
        await bench.close();
      }
    }
    return results;
  },
};
