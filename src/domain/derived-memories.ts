// What forgetting a memory takes with it: every item whose source names it (an episode distilled
// from a turn, a promoted copy of an item), and what was derived from those in turn. Pure, so the
// SQLite and PostgreSQL stores close over the same rule.
import type { MemorySource } from '../ports/memory-store.js';

/** The roots and every item derived from them, directly or not, among `items`. */
export function derivedClosure(
  roots: readonly string[],
  items: ReadonlyArray<{ id: string; source: MemorySource }>,
): string[] {
  const forgotten = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const item of items) {
      if (forgotten.has(item.id)) continue;
      const { turnIds = [], memoryId: original } = item.source;
      if (
        (original !== undefined && forgotten.has(original)) ||
        turnIds.some((t) => forgotten.has(t))
      ) {
        forgotten.add(item.id);
        grew = true;
      }
    }
  }
  return [...forgotten];
}
