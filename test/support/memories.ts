// A conversation turn to insert in a memory store's tests: user u1's, in session s1, unless told.
import type { NewMemory } from '../../src/ports/memory-store.js';

export function userTurn(id: string, fields: Partial<NewMemory> = {}): NewMemory {
  return {
    id,
    kind: 'turn',
    tier: 'episodic',
    userId: 'u1',
    sessionId: 's1',
    agentId: null,
    speaker: 'user',
    text: `memory ${id}`,
    seq: 1,
    occurredAt: 1,
    ...fields,
  };
}
