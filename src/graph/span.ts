// A span of tagged terms that names one thing in a sentence, and how its surface is cut from the text.
import type { EntityType } from '../ports/extractor.js';
import { isPlaceAbbreviation } from './entity-cues.js';
import { has, type TermJson } from './tagged-terms.js';

export interface Span {
  start: number; // index of the first term in the sentence
  end: number; // index after the last term
  surface: string;
  type: EntityType;
}

export function surfaceOf(text: string, terms: TermJson[], sentenceEnds: boolean): string {
  const first = terms[0]!;
  const last = terms[terms.length - 1]!;
  let end = last.offset.start + last.offset.length;
  // "Neo4j Inc. released": the period belongs to the name; at the end of a sentence it is the
  // sentence's. A place abbreviation keeps it anywhere ("Aiken, S.C.", "Chisholm, Minn.").
  if (text[end] !== '.') return text.slice(first.offset.start, end);
  const placeAbbreviation = isPlaceAbbreviation(last);
  const abbreviation =
    placeAbbreviation || has(last, 'Abbreviation', 'Acronym') || /^\p{Lu}$/u.test(last.text);
  if (abbreviation && (!sentenceEnds || placeAbbreviation || has(last, 'Place'))) end += 1;
  return text.slice(first.offset.start, end);
}
