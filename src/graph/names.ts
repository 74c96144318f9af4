// Entity names: the normal form used as a resolution key, the type classes that may merge, and
// the Jaro-Winkler similarity used for fuzzy matches ("Microsft" ~ "Microsoft").
import type { EntityType } from '../ports/extractor.js';

/** Legal-form suffixes dropped from organisation-like names: "Neo4j Inc." → "neo4j". */
const CORPORATE_SUFFIXES = new Set([
  'inc',
  'incorporated',
  'corp',
  'corporation',
  'co',
  'company',
  'ltd',
  'limited',
  'llc',
  'llp',
  'lp',
  'plc',
  'gmbh',
  'ag',
  'sa',
  'sas',
  'sarl',
  'srl',
  'spa',
  'bv',
  'nv',
  'oy',
  'ab',
  'as',
  'kk',
  'pty',
  'pte',
  'holdings',
  'group',
]);

/** Types that may be one entity under different labels: NLP taggers confuse an organisation with its product. */
export type TypeClass = 'person' | 'place' | 'thing' | 'date' | 'value';

export function typeClassOf(type: EntityType): TypeClass {
  switch (type) {
    case 'organization':
    case 'product':
    case 'topic':
      return 'thing';
    default:
      return type;
  }
}

/** When one entity is seen under several types of a class, the more specific label wins. */
const TYPE_PRECEDENCE: Record<EntityType, number> = {
  organization: 3,
  product: 2,
  topic: 1,
  person: 1,
  place: 1,
  date: 1,
  value: 1,
};

export function moreSpecificType(current: EntityType, seen: EntityType): EntityType {
  return TYPE_PRECEDENCE[seen] > TYPE_PRECEDENCE[current] ? seen : current;
}

/**
 * The resolution key of a name: lower case, accents and punctuation removed, whitespace
 * collapsed, a leading "the" and (except for people) trailing corporate suffixes dropped.
 */
export function normalizeName(name: string, type?: EntityType): string {
  const words = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/['’]s\b/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter((word) => word.length > 0);
  while (words.length > 1 && words[0] === 'the') words.shift();
  if (type !== 'person' && type !== 'date' && type !== 'value') {
    while (words.length > 1 && CORPORATE_SUFFIXES.has(words[words.length - 1]!)) words.pop();
  }
  return words.join(' ');
}

/** Candidates for a fuzzy match share the first two characters of their key (Jaro-Winkler rewards a common prefix anyway). */
export function blockingPrefix(key: string): string {
  return key.slice(0, 2);
}

/** Jaro-Winkler similarity in [0, 1] (prefix scale 0.1, up to 4 characters). */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const aMatched = new Array<boolean>(a.length).fill(false);
  const bMatched = new Array<boolean>(b.length).fill(false);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    const from = Math.max(0, i - window);
    const to = Math.min(b.length - 1, i + window);
    for (let j = from; j <= to; j++) {
      if (bMatched[j] || a[i] !== b[j]) continue;
      aMatched[i] = true;
      bMatched[j] = true;
      matches++;
      break;
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    if (!aMatched[i]) continue;
    while (!bMatched[k]) k++;
    if (a[i] !== b[k]) transpositions++;
    k++;
  }
  const jaro =
    (matches / a.length + matches / b.length + (matches - transpositions / 2) / matches) / 3;
  let prefix = 0;
  while (prefix < 4 && prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/**
 * Fuzzy similarity of two keys. Short keys are where edit-distance measures lie ("ibm" vs
 * "ibn"), so keys under 4 characters only ever match exactly. Two names that differ only in a
 * number ("Neo4j 4" vs "Neo4j 5", "iPhone 14" vs "iPhone 15") are different things. Names of
 * several words match word by word, the weakest pair deciding: "Henry Young" and "Henry Cole"
 * share a first name, not an identity, though their whole strings score 0.9.
 */
export function nameSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  if (Math.min(a.length, b.length) < 4) return 0;
  const digitsA = a.match(/\d+/g)?.join(' ') ?? '';
  const digitsB = b.match(/\d+/g)?.join(' ') ?? '';
  if (digitsA !== digitsB) return 0;
  const wordsA = a.split(' ');
  const wordsB = b.split(' ');
  if (wordsA.length === wordsB.length && wordsA.length > 1) {
    let weakest = 1;
    for (let i = 0; i < wordsA.length; i++) {
      const x = wordsA[i]!;
      const y = wordsB[i]!;
      weakest = Math.min(
        weakest,
        x === y ? 1 : Math.min(x.length, y.length) < 4 ? 0 : jaroWinkler(x, y),
      );
    }
    return weakest;
  }
  // Different word counts ("open ai" / "openai"): compare without spaces, and only names of similar length.
  const joinedA = wordsA.join('');
  const joinedB = wordsB.join('');
  if (Math.min(joinedA.length, joinedB.length) / Math.max(joinedA.length, joinedB.length) < 0.8)
    return 0;
  return jaroWinkler(joinedA, joinedB);
}
