// Reads the date a sentence states ("in 2021", "on June 4, 2018", "March 2020", "2024-02-01") as
// UTC milliseconds, so a fact can carry when it became true rather than when it was ingested.
import { MONTH_NAMES } from '../domain/calendar-words.js';

const MONTHS = MONTH_NAMES.map((month) => month.toLowerCase());

function monthIndex(word: string): number {
  const lower = word.toLowerCase().replace(/\.$/, '');
  if (lower.length < 3) return -1;
  return MONTHS.findIndex((month) => month.startsWith(lower));
}

function validYear(year: number): boolean {
  return year >= 1000 && year <= 2999;
}

/** The first date in `text`, or undefined. Years alone mean 1 January of that year. */
export function parseDate(text: string): number | undefined {
  const iso = /\b(\d{4})-(\d{2})-(\d{2})\b/.exec(text);
  if (iso) {
    const [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
    if (validYear(year) && month >= 1 && month <= 12 && day >= 1 && day <= 31)
      return Date.UTC(year, month - 1, day);
  }
  const monthDayYear = /\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b/.exec(text);
  if (monthDayYear) {
    const month = monthIndex(monthDayYear[1]!);
    const year = Number(monthDayYear[3]);
    const day = Number(monthDayYear[2]);
    if (month >= 0 && validYear(year) && day >= 1 && day <= 31) return Date.UTC(year, month, day);
  }
  const dayMonthYear = /\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b/.exec(text);
  if (dayMonthYear) {
    const month = monthIndex(dayMonthYear[2]!);
    const year = Number(dayMonthYear[3]);
    const day = Number(dayMonthYear[1]);
    if (month >= 0 && validYear(year) && day >= 1 && day <= 31) return Date.UTC(year, month, day);
  }
  const monthYear = /\b([A-Za-z]{3,9})\.?,?\s+(\d{4})\b/.exec(text);
  if (monthYear) {
    const month = monthIndex(monthYear[1]!);
    const year = Number(monthYear[2]);
    if (month >= 0 && validYear(year)) return Date.UTC(year, month, 1);
  }
  const year = /\b(1[5-9]\d\d|2[0-2]\d\d)\b/.exec(text);
  if (year) return Date.UTC(Number(year[1]), 0, 1);
  return undefined;
}
