// Knowledge that changes: when a person states something again later ("the login API now answers
// in 250 ms" after "it answers in 800 ms"), the newer statement is the current one. Among the best
// candidates, a later turn by the same speaker of the same user that matches every query term an
// earlier one matches (and at least two) is lifted just above it when its score is within `update`
// of it, so a question about the current value finds the newer statement first while both stay
// in the list.
// A newer statement that says something changed ("the new rate limit of 120", "adjust the deadline
// to April 5") restates the older one even with fewer of the query's terms; as that is a looser
// reading, it only reorders the best REORDER_WINDOW items (which items those are stays the same).
// Only a question about the present asks for the current value: "what is my rate limit" does,
// "when did I first set a rate limit" asks about the past and keeps the order as it is.
import { terms } from './text-analysis.js';

const PRESENT = new Set(
  "is are am do does has have can isn't aren't don't doesn't hasn't haven't can't".split(' '),
);
// "What's" is "what is"; a possessive ("Anna's") is no auxiliary.
PRESENT.add("what's").add("how's").add("where's").add("who's");
const PAST = new Set("did was were had used didn't wasn't weren't hadn't".split(' '));
const NOW = new Set(['current', 'currently', 'now', 'latest', 'recently', 'still', 'today']);

/** Whether a query asks about how things are now: its first auxiliary is present-tense, or it says so. */
export function asksCurrentState(query: string): boolean {
  // Not words(): it drops a trailing "'s", which here is "is" ("what's"), not a possessive.
  const ws = query
    .toLowerCase()
    .replace(/’/g, "'")
    .split(/[^\p{L}\p{N}']+/u)
    .map((w) => w.replace(/^'+|'+$/g, ''));
  if (ws.some((w) => NOW.has(w))) return true;
  const first = ws.find((w) => PRESENT.has(w) || PAST.has(w));
  return first !== undefined && PRESENT.has(first);
}

export interface UpdateCandidate {
  /** Whose memory it is: chat roles name no one ("user" is every user), so the speaker alone does not. */
  userId: string | null;
  speaker: string | null;
  occurredAt: number | null;
  text: string;
  /** Turns only: episodes and other sources are left as they are. */
  isTurn: boolean;
}

/** How many of the best candidates are compared pairwise. */
export const UPDATE_WINDOW = 30;

/**
 * Fused scores after lifting newer restatements; `update` in [0, 1] is how far below the earlier
 * statement a newer one may score and still be lifted (0 turns this off).
 */
export function liftUpdates(
  cands: UpdateCandidate[],
  fused: number[],
  queryTerms: ReadonlySet<string>,
  update: number,
): number[] {
  const out = [...fused];
  if (update <= 0 || queryTerms.size < 2) return out;

  const top = fused
    .map((s, i) => ({ s, i }))
    .filter(({ i }) => cands[i]!.isTurn && cands[i]!.speaker !== null)
    .sort((a, b) => b.s - a.s)
    .slice(0, UPDATE_WINDOW)
    .map(({ i }) => ({
      i,
      matched: new Set(terms(cands[i]!.text).filter((t) => queryTerms.has(t))),
    }));
  // Oldest first, and each newer statement settled only after every older one: in a chain of
  // updates the newest is then lifted above the already lifted middle one, not level with it.
  top.sort((a, b) => (cands[a.i]!.occurredAt ?? 0) - (cands[b.i]!.occurredAt ?? 0));
  for (const [bi, b] of top.entries()) {
    const newer = cands[b.i]!;
    const own = out[b.i]!;
    let lifted = own;
    for (const a of top.slice(0, bi)) {
      if (a.matched.size < 2) continue;
      const older = cands[a.i]!;
      if (newer.speaker !== older.speaker || newer.userId !== older.userId) continue;
      if ((newer.occurredAt ?? 0) <= (older.occurredAt ?? 0)) continue;
      if (![...a.matched].every((t) => b.matched.has(t))) continue;
      if (own < out[a.i]! && own >= (1 - update) * out[a.i]!)
        lifted = Math.max(lifted, out[a.i]! * 1.0001);
    }
    out[b.i] = lifted;
  }
  return out;
}

// Words with which people say that something changed.
const CHANGE = new Set(
  'new newer updated update updating adjust adjusted adjusting change changed changing moved revised increased decreased improved reduced raised lowered instead'.split(
    ' ',
  ),
);

/** Whether a text says that something changed. */
export function announcesChange(text: string): boolean {
  return text
    .toLowerCase()
    .split(/[^\p{L}']+/u)
    .some((w) => CHANGE.has(w));
}

/** How many of the best items a newer statement that announces a change may be moved within. */
export const REORDER_WINDOW = 10;
/** Share of the older statement's query terms the newer one must hold (and at least two). */
const REORDER_SHARE = 0.5;

/**
 * The first REORDER_WINDOW items of a ranked list reordered so that a newer turn by the same
 * speaker of the same user that announces a change and holds at least half (and two) of the query
 * terms an older one holds comes right above it; the rest of the list as it was.
 */
export function reorderChanges<T>(
  ranked: T[],
  candidate: (x: T) => UpdateCandidate,
  queryTerms: ReadonlySet<string>,
): T[] {
  if (queryTerms.size < 2) return ranked;
  const head = ranked.slice(0, REORDER_WINDOW);
  const info = head.map((x) => {
    const c = candidate(x);
    return { x, c, matched: new Set(terms(c.text).filter((t) => queryTerms.has(t))) };
  });
  // Newest first, so the newest statement of a chain ends up on top.
  const byTime = [...info]
    .filter((n) => n.c.isTurn && n.c.speaker !== null && announcesChange(n.c.text))
    .sort((a, b) => (b.c.occurredAt ?? 0) - (a.c.occurredAt ?? 0));
  let order = info;
  for (const newer of byTime) {
    const at = order.indexOf(newer);
    const olderAt = order.findIndex(
      (older, i) =>
        i < at &&
        older.c.isTurn &&
        older.c.speaker === newer.c.speaker &&
        older.c.userId === newer.c.userId &&
        (older.c.occurredAt ?? 0) < (newer.c.occurredAt ?? 0) &&
        older.matched.size >= 2 &&
        [...older.matched].filter((t) => newer.matched.has(t)).length >=
          Math.max(2, REORDER_SHARE * older.matched.size),
    );
    if (olderAt < 0) continue;
    order = [...order.slice(0, olderAt), newer, ...order.slice(olderAt).filter((y) => y !== newer)];
  }
  return [...order.map((y) => y.x), ...ranked.slice(REORDER_WINDOW)];
}
