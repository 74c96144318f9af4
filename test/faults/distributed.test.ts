// Fault injection on a real distributed Engram: two API processes and two workers on PostgreSQL
// and Redis (test/faults/cluster.ts). Workers are SIGKILLed mid-ingest and mid-telemetry, an API
// node is SIGTERMed with requests in flight, and Redis is frozen, killed and brought back EMPTY
// under context load. Each case asserts what a user was promised (docs/guarantees.md), never a
// timing: bounds below are only how long to wait before calling a promise broken.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../support/backends.js';
import { redisServerInstalled } from '../support/private-redis.js';
import { ACME, UMBRELLA } from '../support/runtime.js';
import { until } from '../telemetry/backends.js';
import { generateEvents } from '../telemetry/generate.js';
import { attempt, isAnswer, request, type Answer, type Outcome } from './client.js';
import { startCluster, type Cluster } from './cluster.js';

const available = (await postgresAvailable()) && redisServerInstalled();
if (!available && process.env.CI === 'true')
  throw new Error('The fault-injection suite needs PostgreSQL and redis-server (CI=true).');

/** How long a broken promise is given before the test calls it broken (not a timing claim). */
const SETTLE_MS = 30_000;

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({
    env: {
      // Short leases and claim times, so a killed worker's work is taken over within seconds.
      ENGRAM_JOB_LEASE_MS: '2000',
      ENGRAM_WORKER_POLL_MS: '50',
      // Worker heartbeats older than this make /ready 503 on every node.
      ENGRAM_HEARTBEAT_STALE_MS: '5000',
      // The document sweeper looks every second (default a minute) for documents whose job died.
      ENGRAM_JOB_SWEEP_INTERVAL_MS: '1000',
      ENGRAM_TELEMETRY_CLAIM_IDLE_MS: '1000',
      ENGRAM_TELEMETRY_READ_COUNT: '100',
      ENGRAM_CHUNK_TOKENS: '48',
      ENGRAM_WORKER_CONCURRENCY: '2',
      ENGRAM_SHUTDOWN_TIMEOUT_MS: '5000',
      // Every token-cache lookup goes to Redis (no in-process tier), so an outage is felt.
      ENGRAM_TOKEN_CACHE_LOCAL_MAX_BYTES: '0',
    },
  });
}, 90_000);

afterAll(async () => {
  await cluster?.close();
}, 60_000);

function paragraphs(run: string, index: number): string {
  const sections = Array.from(
    { length: 4 },
    (_, s) =>
      `## Part ${s} of ${run}-${index}\n\nEngineer ${index}-${s} of team ${run} maintains the ` +
      `ledger service in Lisbon. The ledger service reconciles invoices every night at ${s + 1} ` +
      `o'clock and reports discrepancies to the finance channel, where Grace Hopper reviews them.`,
  );
  return `# Document ${index} of run ${run}\n\n${sections.join('\n\n')}`;
}

interface DocumentView {
  id: string;
  status: string;
  attempts: number;
  error: string | null;
  counts: { chunks: number };
}

async function documentsOf(api: string, ids: string[]): Promise<DocumentView[]> {
  return Promise.all(
    ids.map(async (id) => (await request(api, 'GET', `/v1/documents/${id}`)).body as DocumentView),
  );
}

const settled = (documents: DocumentView[]) =>
  documents.every((d) => d.status === 'completed' || d.status === 'failed');

/** Every document completed (with its chunks, each ordinal once) or failed with a reason. */
async function expectSettledWithoutDuplicates(api: string, ids: string[]): Promise<void> {
  const documents = await until(() => documentsOf(api, ids), settled, SETTLE_MS);
  const stuck = documents.filter((d) => d.status !== 'completed' && d.status !== 'failed');
  expect(stuck.map((d) => `${d.id}: ${d.status}`)).toEqual([]);
  for (const document of documents) {
    if (document.status === 'failed') {
      expect(document.error, `failed document ${document.id} gives its reason`).toMatch(/\S/);
      continue;
    }
    const { body } = await request(api, 'GET', `/v1/documents/${document.id}/chunks`);
    const chunks = (body as { chunks: Array<{ id: string; ordinal: number }> }).chunks;
    expect(chunks.length).toBe(document.counts.chunks);
    expect(chunks.map((chunk) => chunk.ordinal)).toEqual(chunks.map((_, i) => i));
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(chunks.length);
  }
}

async function postDocuments(api: string, run: string, count: number): Promise<string[]> {
  const documents = Array.from({ length: count }, (_, i) => ({
    content: paragraphs(run, i),
    mimeType: 'text/markdown',
  }));
  const answer = await request(api, 'POST', '/v1/documents', { documents });
  expect(answer.status).toBe(202);
  return (answer.body as { documents: Array<{ id: string }> }).documents.map((d) => d.id);
}

async function killWhileProcessing(api: string, ids: string[], worker: number): Promise<void> {
  // Slow embeddings keep each document in the pipeline long enough to die inside it.
  cluster.embedder.setDelayMs(400);
  try {
    const documents = await until(
      () => documentsOf(api, ids),
      // Two workers × ENGRAM_WORKER_CONCURRENCY 2: four in the pipeline means the victim holds two.
      (docs) => docs.filter((d) => d.status === 'processing').length >= 4,
      SETTLE_MS,
    );
    expect(documents.filter((d) => d.status === 'processing').length).toBeGreaterThanOrEqual(4);
    await cluster.workers[worker]!.stop('SIGKILL');
  } finally {
    cluster.embedder.setDelayMs(0);
  }
}

describe.skipIf(!available)(
  'faults in a distributed deployment (2 API + 2 worker processes)',
  () => {
    it('SIGKILL of a worker mid-ingest: every document completes or fails with its reason, no duplicate chunk', async () => {
      await cluster.ensureRunning();
      const api = cluster.apis[0]!.url;
      const ids = await postDocuments(api, randomUUID().slice(0, 8), 12);
      await killWhileProcessing(api, ids, 0);
      await expectSettledWithoutDuplicates(api, ids);
      expect((await documentsOf(api, ids)).filter((d) => d.status === 'completed').length).toBe(
        ids.length,
      );
    }, 120_000);

    it('SIGKILL of a worker on a job’s last attempt: no document is left processing', async () => {
      await cluster.ensureRunning();
      // Jobs enqueued through this node get a single attempt, so the kill uses it up.
      const node = cluster.apis[1]!;
      await node.restart({ ENGRAM_JOB_MAX_ATTEMPTS: '1' });
      try {
        const ids = await postDocuments(node.url, randomUUID().slice(0, 8), 8);
        await killWhileProcessing(node.url, ids, 1);
        // No worker restarts: the survivor alone must settle every document.
        await expectSettledWithoutDuplicates(node.url, ids);
      } finally {
        await node.restart();
      }
    }, 120_000);

    it('SIGKILL of a worker mid-telemetry: the summary counts every event exactly once', async () => {
      await cluster.ensureRunning();
      const run = randomUUID().slice(0, 8);
      const { events, expected } = generateEvents(3_000, {
        seed: 17,
        nowMs: Date.now(),
        spanMs: 5 * 60_000,
        prefix: run,
      });
      const batches: unknown[][] = [];
      for (let i = 0; i < events.length; i += 250) batches.push(events.slice(i, i + 250));
      const post = async (batch: unknown[], index: number) => {
        const answer = await request(cluster.apis[index % 2]!.url, 'POST', '/v1/events', {
          events: batch,
        });
        expect(answer.status).toBe(202);
        expect(answer.body).toMatchObject({ accepted: batch.length, rejected: [] });
      };
      interface Figures {
        events: number;
        suggestions: { accepted: number; rejected: number; shown: number };
        tools: { calls: number; successes: number };
        modelCalls: { count: number; inputTokens: number; outputTokens: number };
        sessions: { started: number; ended: number };
      }
      // The figures of the client's own agents: the tenant's telemetry also holds Engram's own
      // model calls made for it (agent "engram", e.g. embeddings of the documents ingested above).
      const agents = [...new Set(events.map((event) => event.agentId))];
      const summary = async (): Promise<Figures> => {
        const parts = await Promise.all(
          agents.map(
            async (agent) =>
              (
                await request(
                  cluster.apis[0]!.url,
                  'GET',
                  `/v1/metrics/summary?window=1h&agentId=${encodeURIComponent(agent)}`,
                )
              ).body as Figures,
          ),
        );
        const sum = (pick: (figures: Figures) => number) =>
          parts.reduce((total, figures) => total + pick(figures), 0);
        return {
          events: sum((f) => f.events),
          suggestions: {
            shown: sum((f) => f.suggestions.shown),
            accepted: sum((f) => f.suggestions.accepted),
            rejected: sum((f) => f.suggestions.rejected),
          },
          tools: { calls: sum((f) => f.tools.calls), successes: sum((f) => f.tools.successes) },
          modelCalls: {
            count: sum((f) => f.modelCalls.count),
            inputTokens: sum((f) => f.modelCalls.inputTokens),
            outputTokens: sum((f) => f.modelCalls.outputTokens),
          },
          sessions: {
            started: sum((f) => f.sessions.started),
            ended: sum((f) => f.sessions.ended),
          },
        };
      };

      const half = batches.length / 2;
      for (let i = 0; i < half; i += 1) await post(batches[i]!, i);
      const partial = await until(summary, (s) => s.events > 0, SETTLE_MS);
      expect(partial.events).toBeGreaterThan(0);
      await cluster.workers[1]!.stop('SIGKILL');
      for (let i = half; i < batches.length; i += 1) await post(batches[i]!, i);
      // A client retrying batches it already sent (same event ids) must not count them again.
      for (let i = 0; i < 3; i += 1) await post(batches[i]!, i + 1);

      const folded = await until(summary, (s) => s.events >= expected.events, SETTLE_MS);
      // Let a straggling redelivery show itself if it were to double-count.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const final = await summary();
      expect(folded.events).toBe(expected.events);
      expect(final).toMatchObject({
        events: expected.events,
        suggestions: {
          shown: expected.shown,
          accepted: expected.accepted,
          rejected: expected.rejected,
        },
        tools: { calls: expected.toolCalls, successes: expected.toolSuccesses },
        modelCalls: {
          count: expected.modelCalls,
          inputTokens: expected.inputTokens,
          outputTokens: expected.outputTokens,
        },
        sessions: { started: expected.sessionsStarted, ended: expected.sessionsEnded },
      });
    }, 120_000);

    it('SIGKILL of every worker: /ready on every API node says so, and recovers when they return', async () => {
      await cluster.ensureRunning();
      const ready = async () =>
        Promise.all(
          cluster.apis.map(async (api) => (await request(api.url, 'GET', '/ready')).status),
        );
      expect(await until(ready, (all) => all.every((s) => s === 200), SETTLE_MS)).toEqual([
        200, 200,
      ]);
      await Promise.all(cluster.workers.map((worker) => worker.stop('SIGKILL')));
      // Not a timing claim: the bound is the stale threshold plus generous slack.
      expect(await until(ready, (all) => all.every((s) => s === 503), SETTLE_MS)).toEqual([
        503, 503,
      ]);
      const answer = await request(cluster.apis[0]!.url, 'GET', '/ready');
      expect(answer.body.checks.filter((c: { ok: boolean }) => !c.ok).length).toBeGreaterThan(0);
      await cluster.ensureRunning();
      expect(await until(ready, (all) => all.every((s) => s === 200), SETTLE_MS)).toEqual([
        200, 200,
      ]);
    }, 120_000);

    it('SIGTERM of an API node with requests in flight: each completes, the node exits 0', async () => {
      await cluster.ensureRunning();
      const node = cluster.apis[1]!;
      const run = randomUUID().slice(0, 8);
      // Recall waits on the (slowed) embedder, so these are in the server's hands at SIGTERM.
      cluster.embedder.setDelayMs(1_500);
      const headers = (i: number) => ({ ...ACME, 'x-request-id': `drain-${run}-${i}` });
      const inFlight = Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? attempt(
              node.url,
              'POST',
              '/v1/recall',
              { query: `ledger ${run} ${i}`, k: 5 },
              headers(i),
            )
          : attempt(
              node.url,
              'POST',
              '/v1/documents',
              { content: paragraphs(`drain-${run}`, i), mimeType: 'text/markdown' },
              headers(i),
            ),
      );
      // SIGTERM only once the node has received every request (its log names each one), so all
      // 50 are in flight or done: none may be refused or reset.
      const received = () =>
        new Set(
          node.output
            .split('\n')
            .filter((line) => line.includes('incoming request'))
            .map((line) => new RegExp(`"requestId":"(drain-${run}-\\d+)"`).exec(line)?.[1])
            .filter((id) => id !== undefined),
        ).size === 50;
      await until(async () => received(), Boolean, 20_000);
      const exited = node.stop('SIGTERM');
      const outcomes = await Promise.all(inFlight);
      cluster.embedder.setDelayMs(0);
      const exit = await exited;
      const failures = outcomes.filter((outcome) => !isAnswer(outcome));
      expect.soft(failures).toEqual([]);
      const answers = outcomes.filter(isAnswer);
      // Each refusal with its body: the error code and message say which part gave up.
      expect
        .soft(
          answers
            .filter((answer) => answer.status !== 200 && answer.status !== 202)
            .map((answer) => ({ status: answer.status, body: answer.body as unknown })),
          // …and the node's log of the request: the cause the answer does not show.
          node.output
            .split('\n')
            .filter((line) => line.includes('request failed'))
            .join('\n'),
        )
        .toEqual([]);
      expect.soft(exit, node.output.slice(-1500)).toEqual({ code: 0, signal: null });
      // Every document the draining node accepted was stored: another node can read it.
      for (const answer of answers.filter((a: Answer) => a.status === 202)) {
        const id = (answer.body as { id: string }).id;
        expect((await request(cluster.apis[0]!.url, 'GET', `/v1/documents/${id}`)).status).toBe(
          200,
        );
      }
    }, 120_000);

    it('Redis frozen, killed and back EMPTY under context load: no context request fails, workers fold again', async () => {
      await cluster.ensureRunning();
      const api = cluster.apis[0]!.url;
      const session = await request(api, 'POST', '/v1/sessions', { userId: 'ada' });
      expect(session.status).toBe(201);
      const sessionId = (session.body as { id: string }).id;
      const turns = Array.from({ length: 8 }, (_, i) => ({
        speaker: 'ada',
        content: `Note ${i}: my sister Grace moved to Lisbon and works on the ledger service.`,
      }));
      expect(
        (await request(api, 'POST', `/v1/sessions/${sessionId}/turns`, { turns })).status,
      ).toBe(201);

      type Phase = 'up' | 'frozen' | 'down' | 'back';
      let phase: Phase = 'up';
      const outcomes: Array<{ phase: Phase; outcome: Outcome }> = [];
      let loading = true;
      const clients = Array.from({ length: 4 }, async (_, client) => {
        for (let i = 0; loading; i += 1) {
          const node = cluster.apis[(client + i) % 2]!.url;
          const outcome = await attempt(node, 'POST', '/v1/context', {
            query: `Where does Grace live? (${client}-${i})`,
            userId: 'ada',
            tokenizer: 'o200k_base',
            maxTokens: 1_000,
          });
          outcomes.push({ phase, outcome });
        }
      });
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      // Each phase lasts 3 s, and longer until a request has been answered in it (at most 15 s
      // more): on loaded cores a request that waits out Redis's timeouts can take more than 3 s.
      const hold = async (current: Phase) => {
        await pause(3_000);
        const deadline = Date.now() + 15_000;
        while (!outcomes.some((o) => o.phase === current) && Date.now() < deadline)
          await pause(100);
      };
      try {
        await pause(1_000);
        cluster.redis.freeze();
        phase = 'frozen';
        await hold('frozen');
        await cluster.redis.kill();
        phase = 'down';
        await hold('down');
        await cluster.redis.start();
        phase = 'back';
        await pause(1_500);
      } finally {
        loading = false;
        await Promise.all(clients);
      }
      const failed = outcomes.filter(
        ({ outcome }) =>
          !isAnswer(outcome) || outcome.status !== 200 || outcome.body.tokenIds.length === 0,
      );
      expect(failed.length, JSON.stringify(failed.slice(0, 3))).toBe(0);
      // Served while Redis was frozen and while it was gone, not merely waited out.
      for (const during of ['frozen', 'down'] as const)
        expect(outcomes.filter((o) => o.phase === during).length, during).toBeGreaterThan(0);

      // Redis came back with nothing: no stream, no consumer group. New events must still fold.
      const now = Date.now();
      const events = Array.from({ length: 10 }, (_, i) => ({
        type: 'suggestion',
        eventId: `after-restart-${i}`,
        ts: now,
        sessionId: 's',
        agentId: 'a',
        action: 'accepted',
      }));
      const posted = await request(api, 'POST', '/v1/events', { events }, UMBRELLA);
      expect(posted.status).toBe(202);
      const summary = await until(
        async () =>
          (await request(api, 'GET', '/v1/metrics/summary?window=1h', undefined, UMBRELLA))
            .body as {
            events: number;
          },
        (s) => s.events >= 10,
        20_000,
      );
      expect(summary.events, cluster.workers[0]!.output.slice(-1500)).toBe(10);
    }, 120_000);
  },
);
