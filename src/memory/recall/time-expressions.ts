// Time expressions in queries: "yesterday", "last week", "3 days ago", "in 2023", "last June",
// "in May 2023", "on 8 May 2023". Relative expressions are anchored at a given instant (the clock's
// now, or the newest stored memory's time when the caller asks so). A month without a year
// ("in June") matches that month of any year. All times are UTC.

import { DAY_MS, MONTH_NAMES, NUMBER_WORDS } from '../../domain/calendar-words.js';

export interface TimeWindow {
  /** Inclusive, ms since epoch. */
  from: number;
  /** Exclusive, ms since epoch. */
  to: number;
}

export interface TimeMention {
  /** The words that named the time, e.g. `last June`. */
  text: string;
  window?: TimeWindow;
  /** 0–11: a month named without a year. */
  monthOfYear?: number;
}

const MONTHS = MONTH_NAMES.map((name) => name.toLowerCase());
const MONTH_RE =
  '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const UNIT_MS: Record<string, number> = {
  day: DAY_MS,
  week: 7 * DAY_MS,
  month: 30 * DAY_MS,
  year: 365 * DAY_MS,
};

function monthIndex(word: string): number {
  const w = word.toLowerCase();
  return MONTHS.findIndex((m) => m.startsWith(w.slice(0, 3)));
}

function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

function monthWindow(year: number, month: number): TimeWindow {
  return { from: Date.UTC(year, month, 1), to: Date.UTC(year, month + 1, 1) };
}

/** The first time the query names, or undefined. `anchorMs` anchors relative expressions. */
export function parseTimeMention(query: string, anchorMs: number): TimeMention | undefined {
  const q = query.toLowerCase();
  const anchor = new Date(anchorMs);
  const year = anchor.getUTCFullYear();
  const month = anchor.getUTCMonth();
  const today = startOfDay(anchorMs);
  let m: RegExpExecArray | null;

  if (
    (m = new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+${MONTH_RE},?\\s+((?:19|20)\\d{2})\\b`).exec(
      q,
    ))
  ) {
    const from = Date.UTC(Number(m[3]), monthIndex(m[2]!), Number(m[1]));
    return { text: m[0], window: { from, to: from + DAY_MS } };
  }
  if (
    (m = new RegExp(`\\b${MONTH_RE}\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+((?:19|20)\\d{2})\\b`).exec(
      q,
    ))
  ) {
    const from = Date.UTC(Number(m[3]), monthIndex(m[1]!), Number(m[2]));
    return { text: m[0], window: { from, to: from + DAY_MS } };
  }
  if ((m = new RegExp(`\\b${MONTH_RE},?\\s+((?:19|20)\\d{2})\\b`).exec(q))) {
    return { text: m[0], window: monthWindow(Number(m[2]), monthIndex(m[1]!)) };
  }
  if ((m = /\b(?:yesterday)\b/.exec(q)))
    return { text: m[0], window: { from: today - DAY_MS, to: today } };
  if ((m = /\b(?:today|tonight|this morning|this evening)\b/.exec(q)))
    return { text: m[0], window: { from: today, to: today + DAY_MS } };
  if ((m = /\b(last|past|this)\s+(week|weekend)\b/.exec(q))) {
    const span = m[1] === 'this' ? 7 * DAY_MS : 8 * DAY_MS;
    return { text: m[0], window: { from: today - span, to: today + DAY_MS } };
  }
  if ((m = /\b(last|past|this)\s+month\b/.exec(q))) {
    if (m[1] === 'this') return { text: m[0], window: monthWindow(year, month) };
    if (m[1] === 'past')
      return { text: m[0], window: { from: today - 30 * DAY_MS, to: today + DAY_MS } };
    return { text: m[0], window: monthWindow(month === 0 ? year - 1 : year, (month + 11) % 12) };
  }
  if ((m = /\b(last|past|this)\s+year\b/.exec(q))) {
    if (m[1] === 'this')
      return { text: m[0], window: { from: Date.UTC(year, 0, 1), to: Date.UTC(year + 1, 0, 1) } };
    if (m[1] === 'past')
      return { text: m[0], window: { from: today - 365 * DAY_MS, to: today + DAY_MS } };
    return { text: m[0], window: { from: Date.UTC(year - 1, 0, 1), to: Date.UTC(year, 0, 1) } };
  }
  if (
    (m =
      /\b(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|couple|few)\s+(?:of\s+)?(day|week|month|year)s?\s+ago\b/.exec(
        q,
      ))
  ) {
    const n = NUMBER_WORDS[m[1]!] ?? Number(m[1]);
    const unit = UNIT_MS[m[2]!]!;
    const center = today - n * unit;
    return { text: m[0], window: { from: center - unit / 2, to: center + unit / 2 + DAY_MS } };
  }
  if ((m = new RegExp(`\\blast\\s+${MONTH_RE}\\b`).exec(q))) {
    const mi = monthIndex(m[1]!);
    const y = mi < month ? year : year - 1;
    return { text: m[0], window: monthWindow(y, mi) };
  }
  if (
    (m = /\b(?:in|during|since|of|from)\s+((?:19|20)\d{2})\b/.exec(q)) ||
    (m = /\b((?:19|20)\d{2})\b/.exec(q))
  ) {
    const y = Number(m[1]);
    return { text: m[0], window: { from: Date.UTC(y, 0, 1), to: Date.UTC(y + 1, 0, 1) } };
  }
  // "in May", "during June": a month of any year. "may" alone is a verb, so it needs a preposition.
  if (
    (m = new RegExp(
      `\\b(?:in|during|early|late|mid|since|of|through)\\s+(?:early\\s+|late\\s+|mid-?)?${MONTH_RE}\\b`,
    ).exec(q))
  ) {
    return { text: m[0], monthOfYear: monthIndex(m[1]!) };
  }
  return undefined;
}

/** Whether `ms` falls in the mention; `slackMs` extends the end (people talk about things after). */
export function inTimeMention(mention: TimeMention, ms: number, slackMs = 0): boolean {
  if (mention.window) return ms >= mention.window.from && ms < mention.window.to + slackMs;
  if (mention.monthOfYear !== undefined) {
    const d = new Date(ms);
    if (d.getUTCMonth() === mention.monthOfYear) return true;
    return slackMs > 0 && new Date(ms - slackMs).getUTCMonth() === mention.monthOfYear;
  }
  return false;
}
