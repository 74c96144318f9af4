// Every benchmark suite, in the order `npm run bench` runs them (the soak only when named).
import type { BenchSuite } from '../harness.js';
import { clientSuite } from './client.js';
import { contextSuite } from './context.js';
import { embedSuite } from './embed.js';
import { graphSuite } from './graph.js';
import { ingestSuite } from './ingest.js';
import { otlpSuite } from './otlp.js';
import { queueSuite } from './queue.js';
import { recallSuite } from './recall.js';
import { scaleSuite } from './scale.js';
import { soakSuite } from './soak.js';
import { telemetrySuite } from './telemetry.js';

export const suites: BenchSuite[] = [
  queueSuite,
  embedSuite,
  graphSuite,
  ingestSuite,
  telemetrySuite,
  otlpSuite,
  recallSuite,
  contextSuite,
  clientSuite,
  // Only when named (`npm run bench -- soak`): it runs for ENGRAM_SOAK_MINUTES (10 by default,
  // 3 with --quick).
  soakSuite,
  // Only when named: stores of 100k (--quick) and 1M chunks and memories on both backends.
  scaleSuite,
];
