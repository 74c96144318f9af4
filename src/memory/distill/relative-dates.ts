// Anchors relative time words to the turn's date ("yesterday" → "yesterday (7 May 2023)"), so an
// episode stays true when read months later and its dates can be searched.

import { DAY_MS, MONTH_NAMES as MONTHS, NUMBER_WORDS } from '../../domain/calendar-words.js';

export function formatDay(ms: number): string {
  const date = new Date(ms);
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]!} ${date.getUTCFullYear()}`;
}

function formatMonth(year: number, month: number): string {
  const normalised = new Date(Date.UTC(year, month, 1));
  return `${MONTHS[normalised.getUTCMonth()]!} ${normalised.getUTCFullYear()}`;
}

type Resolver = (match: RegExpExecArray, at: number) => string | undefined;

const RULES: Array<[RegExp, Resolver]> = [
  [/\byesterday\b/gi, (_m, at) => formatDay(at - DAY_MS)],
  [/\b(today|tonight|this morning|this afternoon|this evening)\b/gi, (_m, at) => formatDay(at)],
  [/\btomorrow\b/gi, (_m, at) => formatDay(at + DAY_MS)],
  [/\blast (week|weekend)\b/gi, (_m, at) => `week of ${formatDay(at - 7 * DAY_MS)}`],
  [/\bnext (week|weekend)\b/gi, (_m, at) => `week of ${formatDay(at + 7 * DAY_MS)}`],
  [
    /\blast month\b/gi,
    (_m, at) => formatMonth(new Date(at).getUTCFullYear(), new Date(at).getUTCMonth() - 1),
  ],
  [
    /\bnext month\b/gi,
    (_m, at) => formatMonth(new Date(at).getUTCFullYear(), new Date(at).getUTCMonth() + 1),
  ],
  [/\blast year\b/gi, (_m, at) => String(new Date(at).getUTCFullYear() - 1)],
  [/\bnext year\b/gi, (_m, at) => String(new Date(at).getUTCFullYear() + 1)],
  [
    /\b(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple of) (day|week|month|year)s? ago\b/gi,
    (match, at) => {
      const countWord = match[1]!
        .toLowerCase()
        .replace(/^a (few|couple of)$/, '$1')
        .replace(' of', '');
      const count = /^\d+$/.test(countWord) ? Number(countWord) : NUMBER_WORDS[countWord];
      if (count === undefined || count > 100) return undefined;
      const unit = match[2]!.toLowerCase();
      const date = new Date(at);
      if (unit === 'day') return formatDay(at - count * DAY_MS);
      if (unit === 'week') return `week of ${formatDay(at - count * 7 * DAY_MS)}`;
      if (unit === 'month') return formatMonth(date.getUTCFullYear(), date.getUTCMonth() - count);
      return String(date.getUTCFullYear() - count);
    },
  ],
];

/** The text with each relative time expression followed by its absolute date in parentheses. */
export function anchorRelativeDates(text: string, at: number): string {
  let out = text;
  for (const [pattern, resolve] of RULES) {
    out = out.replace(pattern, (...args: unknown[]) => {
      const whole = args[0] as string;
      const match = Object.assign([...(args.slice(0, -2) as string[])], {
        index: 0,
        input: '',
      }) as unknown as RegExpExecArray;
      const absolute = resolve(match, at);
      return absolute === undefined ? whole : `${whole} (${absolute})`;
    });
  }
  return out;
}
