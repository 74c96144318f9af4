// Salience: how much a memory has proved useful. Stored as (value, timestamp); the current value
// decays exponentially with a half-life and is computed on read, so time passing never rewrites
// rows. A citation moves the decayed value a fixed share of the way towards 1.

/** Share of the remaining distance to 1 that one citation adds: 0 → 0.3 → 0.51 → 0.66 → 0.76 → 0.83. */
export const CITATION_BOOST = 0.3;

export function decayedSalience(
  stored: number,
  updatedAtMs: number,
  nowMs: number,
  halfLifeMs: number,
): number {
  const elapsed = Math.max(0, nowMs - updatedAtMs);
  if (stored <= 0) return 0;
  return Math.min(1, stored * 2 ** (-elapsed / halfLifeMs));
}

/** The salience after `citations` citations now, starting from the decayed current value. */
export function citedSalience(current: number, citations = 1): number {
  let value = Math.min(1, Math.max(0, current));
  for (let i = 0; i < citations; i += 1) value += CITATION_BOOST * (1 - value);
  return value;
}
