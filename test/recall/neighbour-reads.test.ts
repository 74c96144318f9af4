// Recall's neighbour reads (fetchNeighbours) on both stores: the turns on either side of its
// candidate turns join the candidates, in one read that asks only for the places no candidate
// holds, and never from outside the recall's scope.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newId } from '../../src/domain/ids.js';
import {
  fetchNeighbours,
  memoryEntry,
  type Entry,
} from '../../src/memory/recall/recall-candidates.js';
import { DEFAULT_TUNING } from '../../src/memory/recall/recall-service.js';
import type { MemoryItem, TurnPlace } from '../../src/ports/memory-store.js';
import { MEMORY_BACKENDS, type MemoryBackend } from '../memory/backends.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const TENANT = 't-neighbours';

for (const kind of MEMORY_BACKENDS) {
  describe(`recall's neighbour reads: ${kind.name}`, () => {
    let backend: MemoryBackend | undefined;
    const turns: Record<'mine' | 'theirs', MemoryItem[]> = { mine: [], theirs: [] };

    beforeAll(async () => {
      backend = await kind.open();
      if (backend === undefined) return;
      const { store } = backend;
      for (const [key, userId, count] of [
        ['mine', 'u1', 7],
        ['theirs', 'u2', 3],
      ] as const) {
        const session = await store.createSession({
          id: newId('ses'),
          tenantId: TENANT,
          userId,
          agentId: null,
          metadata: {},
          createdAt: T0,
          expiresAt: T0 + DAY,
        });
        const appended = await store.appendTurns({
          tenantId: TENANT,
          sessionId: session.id,
          turns: Array.from({ length: count }, (_, i) => ({
            id: newId('mem'),
            speaker: i % 2 === 0 ? 'user' : 'assistant',
            text: `${key} turn ${i}`,
            occurredAt: T0 + i,
          })),
          now: T0,
          ttlMs: DAY,
          wmMaxTurns: 20,
        });
        turns[key] = appended.turns;
      }
    });
    afterAll(async () => {
      await backend?.close();
    });

    it('adds the turns beside its candidates, asking once for the places none holds, within the scope', async (ctx) => {
      if (backend === undefined) return ctx.skip();
      const { store } = backend;
      const { mine, theirs } = turns;
      const entries = new Map<string, Entry>();
      for (const m of [mine[2]!, mine[3]!, mine[6]!, theirs[1]!])
        entries.set(m.id, memoryEntry(m, 0));
      const read = vi.spyOn(store, 'getTurnsAt');
      const added: string[] = [];
      await fetchNeighbours(
        store,
        entries,
        DEFAULT_TUNING,
        { tenantId: TENANT, userId: 'u1' },
        (m) => {
          const entry = memoryEntry(m, 0);
          entries.set(m.id, entry);
          added.push(m.text);
          return entry;
        },
      );
      // mine 1 and 4 beside 2 and 3, mine 5 beside 6; another user's turns are out of scope.
      expect(added.sort()).toEqual(['mine turn 1', 'mine turn 4', 'mine turn 5']);
      expect(read).toHaveBeenCalledTimes(1);
      const place = (m: MemoryItem, offset: number): TurnPlace => ({
        sessionId: m.sessionId!,
        seq: m.seq! + offset,
      });
      const asked = read.mock.calls[0]![1];
      // Every place beside a candidate that no candidate holds, and none that one does.
      expect(asked).toEqual(
        expect.arrayContaining([
          place(mine[2]!, -1),
          place(mine[3]!, 1),
          place(mine[6]!, -1),
          place(mine[6]!, 1),
          place(theirs[1]!, -1),
          place(theirs[1]!, 1),
        ]),
      );
      expect(asked).toHaveLength(6);
      read.mockRestore();
    });
  });
}
