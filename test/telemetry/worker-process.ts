// A telemetry worker as its own OS process, for the multi-process tests and the benchmark.
// Usage: node --import tsx test/telemetry/worker-process.ts '<json options>'
// Prints "ready" once consuming; "unacked <n>" when a batch is folded but not yet acknowledged
// (with ackDelayMs, so a test can SIGKILL it exactly there); exits 0 on SIGTERM.
import { createSilentLogger } from '../../src/domain/logger.js';
import { createTelemetryConsumer } from '../../src/telemetry/consumer.js';
import { openTelemetryBackend, type BackendSpec } from './backends.js';

interface WorkerOptions {
  backend: BackendSpec;
  consumer: string;
  claimIdleMs: number;
  maxDeliveries: number;
  batchSize?: number;
  /** Wait this long between folding a batch and acknowledging it. */
  ackDelayMs?: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as WorkerOptions;
const backend = await openTelemetryBackend(options.backend);
const stream = backend.stream;
if (options.ackDelayMs !== undefined) {
  const delayMs = options.ackDelayMs;
  const ack = stream.ack.bind(stream);
  stream.ack = async (consumer, ids) => {
    process.stdout.write(`unacked ${ids.length}\n`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    await ack(consumer, ids);
  };
}
const consumer = createTelemetryConsumer({
  stream,
  metrics: backend.metrics,
  consumerName: options.consumer,
  logger: createSilentLogger(),
  claimIdleMs: options.claimIdleMs,
  maxDeliveries: options.maxDeliveries,
  batchSize: options.batchSize ?? 200,
  blockMs: 200,
});
consumer.start();
process.stdout.write('ready\n');

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await consumer.stop();
    await backend.close();
    process.stdout.write(`stopped ${JSON.stringify(consumer.counters)}\n`);
    process.exit(0);
  })();
});
