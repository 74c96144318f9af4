// Passages: a long message (an assistant's 2,000-word answer with code) is answered with its
// passage that best matches the query instead of the whole wall of text, with pointers (character
// offsets) into the message, so a reader or a context budget spends its words on what matters.
// Passages follow the text's structure: paragraphs (and fenced code blocks) are joined up to
// `maxWords`; a paragraph longer than that is cut at line, then sentence ends.
import { terms } from './text-analysis.js';

export const PASSAGE_MAX_WORDS = 120;
/** A text up to this many words is returned whole. */
export const WHOLE_TEXT_MAX_WORDS = 180;

export interface Passage {
  /** Offsets into the message text in UTF-16 code units: [start, end). */
  start: number;
  end: number;
  text: string;
}

const wordsIn = (text: string) => text.split(/\s+/).filter((w) => w !== '').length;

/** Pieces of `text` in [start, end) cut at the given separator pattern, with offsets. */
function pieces(text: string, start: number, end: number, separator: RegExp): Passage[] {
  const out: Passage[] = [];
  const re = new RegExp(separator.source, 'g');
  re.lastIndex = start;
  let from = start;
  for (let m = re.exec(text); m !== null && m.index < end; m = re.exec(text)) {
    const cut = m.index + m[0].length;
    if (cut > from) out.push({ start: from, end: cut, text: text.slice(from, cut) });
    from = cut;
    if (m[0].length === 0) re.lastIndex += 1;
  }
  if (from < end) out.push({ start: from, end, text: text.slice(from, end) });
  return out;
}

/** Splits a unit longer than maxWords at line ends, then sentence ends, then every maxWords words. */
function fit(text: string, unit: Passage, maxWords: number): Passage[] {
  if (wordsIn(unit.text) <= maxWords) return [unit];
  for (const separator of [/\n+/, /(?<=[.!?])\s+/]) {
    const parts = pieces(text, unit.start, unit.end, separator);
    if (parts.length > 1) return join(text, parts, maxWords).flatMap((p) => fit(text, p, maxWords));
  }
  const out: Passage[] = [];
  const re = /\S+\s*/g;
  re.lastIndex = unit.start;
  let from = unit.start;
  let n = 0;
  for (let m = re.exec(text); m !== null && m.index < unit.end; m = re.exec(text)) {
    n += 1;
    const cut = Math.min(unit.end, m.index + m[0].length);
    if (n === maxWords) {
      out.push({ start: from, end: cut, text: text.slice(from, cut) });
      from = cut;
      n = 0;
    }
  }
  if (from < unit.end) out.push({ start: from, end: unit.end, text: text.slice(from, unit.end) });
  return out;
}

/** Joins consecutive units while they fit in maxWords together. */
function join(text: string, units: Passage[], maxWords: number): Passage[] {
  const out: Passage[] = [];
  let current: Passage | undefined;
  let count = 0;
  for (const u of units) {
    const n = wordsIn(u.text);
    if (current && count + n <= maxWords) {
      current = { start: current.start, end: u.end, text: text.slice(current.start, u.end) };
      count += n;
    } else {
      if (current) out.push(current);
      current = u;
      count = n;
    }
  }
  if (current) out.push(current);
  return out;
}

/** The text's passages, in order, covering it without gaps; trimmed of surrounding blank space. */
export function passagesOf(text: string, maxWords = PASSAGE_MAX_WORDS): Passage[] {
  // Paragraphs, with a fenced code block kept as one unit however many blank lines it holds.
  const units: Passage[] = [];
  // A blank line is blank space then a newline; `[^\S\n]*` rather than `\s*` so the check does
  // not run on through every following blank line (quadratic on a message of blank lines).
  const blocks = /```[\s\S]*?(?:```|$)|[^\n]+(?:\n(?![^\S\n]*\n)(?!```)[^\n]*)*/g;
  for (const m of text.matchAll(blocks)) {
    if (m[0].trim() === '') continue;
    units.push({ start: m.index, end: m.index + m[0].length, text: m[0] });
  }
  return join(text, units, maxWords)
    .flatMap((p) => fit(text, p, maxWords))
    .map((p) => {
      const lead = p.text.length - p.text.trimStart().length;
      const tail = p.text.length - p.text.trimEnd().length;
      return { start: p.start + lead, end: p.end - tail, text: p.text.trim() };
    })
    .filter((p) => p.text !== '');
}

/**
 * The passage of a long text that holds the most of the query's content terms (distinct terms
 * first, then occurrences; the earlier passage on a tie); undefined for a text short enough to
 * return whole.
 */
export function bestPassage(text: string, queryTerms: ReadonlySet<string>): Passage | undefined {
  if (wordsIn(text) <= WHOLE_TEXT_MAX_WORDS) return undefined;
  let best: Passage | undefined;
  let bestScore = -1;
  for (const p of passagesOf(text)) {
    const ts = terms(p.text);
    const distinct = new Set(ts.filter((t) => queryTerms.has(t))).size;
    const occurrences = ts.filter((t) => queryTerms.has(t)).length;
    const score = distinct + occurrences / (occurrences + 10);
    if (score > bestScore) {
      best = p;
      bestScore = score;
    }
  }
  return best;
}
