// Second look at the names the tagger found in one sentence: a title inside a name splits it
// ("U.S. Ambassador Vernon Walters" → "U.S.", "Vernon Walters"), a title opening it is dropped
// ("Gov. James Thompson" → "James Thompson", a person), and a name's own words, then its
// context, retype it (entity-cues.ts). The name's words outrank the tagger's guess: "Sun Hung Kai
// Properties" is a company whatever the first names in it suggest.
import type { EntityType } from '../ports/extractor.js';
import {
  innerTitle,
  isPlaceAbbreviation,
  leadingPlace,
  leadingTitles,
  opensWithTitle,
  sourceLinePlace,
  typeByContext,
  typeByForm,
  typeByStrongContext,
} from './entity-cues.js';
import { isKnownCountry, isKnownPlace } from './gazetteer.js';
import { surfaceOf, type Span } from './span.js';
import type { TermJson } from './tagged-terms.js';

const UNTYPED: ReadonlySet<EntityType> = new Set(['topic']);

export function refineSpans(
  text: string,
  terms: TermJson[],
  spans: Span[],
  typeOf: (terms: TermJson[]) => EntityType,
): Span[] {
  const make = (start: number, end: number, type?: EntityType): Span => {
    const slice = terms.slice(start, end);
    return {
      start,
      end,
      surface: surfaceOf(text, slice, end === terms.length),
      type: type ?? typeOf(slice),
    };
  };
  const out: Span[] = [];
  for (const span of spans) {
    if (span.type === 'date' || span.type === 'value') {
      out.push(span);
      continue;
    }
    const pieces: Span[] = [];
    const words = terms.slice(span.start, span.end);
    const inner = innerTitle(words);
    const sourcePlace = sourceLinePlace(terms, span.start, words);
    if (sourcePlace > 0) {
      // "PA2904034294 Guatemala City Teleonce Television in Spanish": a wire service's source
      // line after its reference code names the place, then the broadcaster or paper.
      pieces.push(make(span.start, span.start + sourcePlace, 'place'));
      pieces.push(make(span.start + sourcePlace, span.end, 'organization'));
    } else if (leadingPlace(words)) {
      pieces.push(make(span.start, span.start + 1, 'place'));
      pieces.push(make(span.start + 1, span.end));
    } else if (inner > 0) {
      pieces.push(make(span.start, span.start + inner));
      const from = span.start + inner;
      pieces.push(make(from + leadingTitles(terms.slice(from, span.end)), span.end, 'person'));
    } else {
      const titles = leadingTitles(terms.slice(span.start, span.end));
      if (titles > 0) pieces.push(make(span.start + titles, span.end, 'person'));
      else pieces.push({ ...span, ...(opensWithTitle(words) ? { type: 'person' as const } : {}) });
    }
    for (const piece of pieces) {
      const slice = terms.slice(piece.start, piece.end);
      const byForm = typeByForm(slice);
      const byStrongContext = typeByStrongContext(terms, piece.start, piece.end);
      if (byForm !== undefined) piece.type = byForm;
      else if (byStrongContext !== undefined) piece.type = byStrongContext;
      else if (UNTYPED.has(piece.type)) {
        const byContext = typeByContext(terms, piece.start, piece.end);
        if (byContext !== undefined) piece.type = byContext;
      }
      out.push(piece);
    }
  }
  // "Brian Michaud of Millinocket": an untyped name after "of" that follows a person, with no
  // article, is where the person is from (a role after it speaks of the person: "Virginia Towle
  // of Wallingford, a family friend").
  for (let k = 1; k < out.length; k++) {
    const span = out[k]!;
    const previous = out[k - 1]!;
    if (!(UNTYPED.has(span.type) || span.type === 'person') || previous.type !== 'person') continue;
    if (span.type === 'person' && typeByForm(terms.slice(span.start, span.end)) !== undefined)
      continue;
    const between = terms.slice(previous.end, span.start).map((t) => t.normal);
    if (between.length === 1 && between[0] === 'of') span.type = 'place';
  }
  // "was born in Concord, Mass.": a birthplace is kept with its state or province as one place,
  // the town as the state tells it apart (Columbus, Miss. is not Columbus, Ohio).
  for (let k = 0; k + 1 < out.length; k++) {
    const span = out[k]!;
    const next = out[k + 1]!;
    if (span.type !== 'place' || next.type !== 'place' || next.start !== span.end) continue;
    if (terms[span.end - 1]!.post.trim() !== ',' || !bornBefore(terms, span.start)) continue;
    const qualifier = terms.slice(next.start, next.end);
    const state =
      (qualifier.length === 1 && isPlaceAbbreviation(qualifier[0]!)) ||
      (isKnownPlace(next.surface) && !isKnownCountry(next.surface));
    if (state) out.splice(k, 2, make(span.start, next.end, 'place'));
  }
  // "DAYTON, Ohio", "Azusa, Calif.": an untyped name in commas before a place is a place.
  for (let k = 0; k + 1 < out.length; k++) {
    const span = out[k]!;
    const next = out[k + 1]!;
    if (!UNTYPED.has(span.type) || next.type !== 'place' || next.start !== span.end) continue;
    if (terms[span.end - 1]!.post.trim() === ',') span.type = 'place';
  }
  return out;
}

/** "born in", "was born Charles Holley in": a birth told just before a place. */
function bornBefore(terms: TermJson[], start: number): boolean {
  if (terms[start - 1]?.normal !== 'in') return false;
  for (let i = start - 2; i >= Math.max(0, start - 6); i--)
    if (/^-?born$/.test(terms[i]!.normal)) return true;
  return false;
}
