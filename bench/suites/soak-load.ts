// The soak's load: one paced client loop over the operation mix (recall, context, turns,
// documents, events, and a once-a-minute burst of recalls), with its own sessions and ever-new
// texts. soak-load-process.ts runs a share of the clients in a process of its own, so the load
// generator's event loop is never what the soak measures.
import { prng } from '../harness.js';
import { OPERATIONS, type Operation, type Sample } from './soak-report.js';

/** Share of the paced requests per operation. */
const MIX: Record<(typeof OPERATIONS)[number], number> = {
  recall: 0.3,
  context: 0.2,
  turns: 0.2,
  documents: 0.1,
  events: 0.2,
};
const WORDS = (
  'ledger invoice lisbon grace sister river tuesday budget migration kernel orchard violin ' +
  'harbour meeting deadline recipe garden telescope museum bicycle contract insurance ' +
  'vaccine tunnel festival library quarterly roadmap outage pager onboarding mentor ' +
  'bakery marathon glacier satellite concert passport warranty refund'
).split(' ');

/** Ever-new text: a sentence of common words plus a sequence number nobody used before. */
function textMaker(seed: number): (words: number) => string {
  const random = prng(seed);
  let sequence = 0;
  return (words) => {
    sequence += 1;
    const picked = Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)]!);
    return `Note ${seed}-${sequence}: ${picked.join(' ')}.`;
  };
}

export function tenantKeys(count: number): Array<{ key: string; tenant: string }> {
  return Array.from({ length: count }, (_, i) => ({
    key: `soak-key-${String(i).padStart(4, '0')}-0123456789`,
    tenant: `soak-tenant-${i}`,
  }));
}

/** One client: a paced loop over the operation mix, with its own sessions and texts. */
export async function runClient(options: {
  index: number;
  baseUrl: string;
  keys: Array<{ key: string; tenant: string }>;
  intervalMs: number;
  startedAt: number;
  endsAt: number;
  samples: Sample[];
  errors: Map<string, number>;
}): Promise<void> {
  const { index, baseUrl, keys, intervalMs, startedAt, endsAt, samples } = options;
  const random = prng(1000 + index);
  const text = textMaker(index);
  let session: { id: string; tenant: number; turns: number } | undefined;
  let userSerial = 0;
  // Spread the clients' first requests over one interval.
  let nextAt = startedAt + random() * intervalMs;
  let nextBurstAt = startedAt + 30_000;
  while (Math.min(nextAt, nextBurstAt) < endsAt) {
    const burst = nextBurstAt <= nextAt;
    const wait = (burst ? nextBurstAt : nextAt) - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (Date.now() >= endsAt) return;
    const minute = Math.floor((Date.now() - startedAt) / 60_000) + 1;
    // Tenants rotate each minute, so new ones keep arriving.
    const tenant = (index + minute * 7) % keys.length;
    const headers = {
      authorization: `Bearer ${keys[tenant]!.key}`,
      'content-type': 'application/json',
    };
    const userId = `user-${index}-${userSerial}`;
    let operation: Operation = 'burst';
    if (!burst) {
      operation = 'events';
      let roll = random();
      for (const name of OPERATIONS) {
        roll -= MIX[name];
        if (roll < 0) {
          operation = name;
          break;
        }
      }
    }
    const started = performance.now();
    let ok = false;
    try {
      ok = await perform(operation);
    } catch (error) {
      const key = `${operation}: ${String(error)}`.slice(0, 200);
      options.errors.set(key, (options.errors.get(key) ?? 0) + 1);
    }
    samples.push({ operation, minute, ms: performance.now() - started, ok });
    if (burst) nextBurstAt += 60_000;
    else {
      nextAt += intervalMs;
      if (nextAt < Date.now() - intervalMs) nextAt = Date.now();
    }

    async function post(path: string, body: unknown): Promise<Response> {
      const response = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      if (response.status >= 400) {
        const key = `${operation}: HTTP ${response.status} ${(await response.text()).slice(0, 120)}`;
        options.errors.set(key, (options.errors.get(key) ?? 0) + 1);
      }
      return response;
    }

    async function perform(name: Operation): Promise<boolean> {
      switch (name) {
        case 'turns': {
          if (session === undefined || session.turns >= 20 || session.tenant !== tenant) {
            userSerial += 1;
            const created = await post('/v1/sessions', { userId: `user-${index}-${userSerial}` });
            if (created.status !== 201) return false;
            session = { id: ((await created.json()) as { id: string }).id, tenant, turns: 0 };
          }
          const turns = Array.from({ length: 2 }, (_, i) => ({
            speaker: i === 0 ? 'user' : 'agent',
            content: text(12 + Math.floor(random() * 30)),
          }));
          session.turns += turns.length;
          const response = await post(`/v1/sessions/${session.id}/turns`, { turns });
          await response.arrayBuffer();
          return response.status === 201;
        }
        case 'burst':
        case 'recall': {
          const response = await post('/v1/recall', {
            query: text(6),
            userId: session === undefined ? userId : `user-${index}-${userSerial}`,
            k: 10,
          });
          await response.arrayBuffer();
          return response.status === 200;
        }
        case 'context': {
          const response = await post('/v1/context', {
            query: text(6),
            userId: `user-${index}-${userSerial}`,
            tokenizer: random() < 0.5 ? 'o200k_base' : 'cl100k_base',
            // Up to 4 000: larger budgets hit issue #17 item 4 on the code this was written on.
            maxTokens: 256 + Math.floor(random() * 3_744),
          });
          await response.arrayBuffer();
          return response.status === 200;
        }
        case 'documents': {
          const sections = Array.from(
            { length: 3 },
            (_, s) => `## Section ${s}\n\n${text(40)} ${text(40)}`,
          );
          const response = await post('/v1/documents', {
            content: `# ${text(4)}\n\n${sections.join('\n\n')}`,
            mimeType: 'text/markdown',
          });
          await response.arrayBuffer();
          return response.status === 202;
        }
        case 'events': {
          const now = Date.now();
          const events = Array.from({ length: 20 }, (_, i) => ({
            type: 'tool_call',
            eventId: `${index}-${now}-${i}-${Math.floor(random() * 1e9)}`,
            ts: now,
            sessionId: `s-${index}-${userSerial}`,
            agentId: `agent-${index % 10}`,
            tool: ['search', 'edit', 'run_tests', 'read_file'][i % 4]!,
            success: random() < 0.9,
            durationMs: Math.round(random() * 500),
          }));
          const response = await post('/v1/events', { events });
          await response.arrayBuffer();
          return response.status === 202;
        }
      }
    }
  }
}
