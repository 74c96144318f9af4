// Predicates: a verb phrase becomes a normalised key, a few well-known phrasings map to one
// canonical predicate, and a predicate is single-valued (one object at a time per subject) only
// when this table says so. Unknown predicates are multi-valued: "Alice knows Bob" never
// contradicts "Alice knows Carol". Being conservative here is the point — a wrong "single-valued"
// would invalidate true facts, while a missed one only leaves two facts both marked current.

interface InverseRule {
  /** Lemmatised phrasings of the inverse ("Acme hired Alice" is "Alice works at Acme"). */
  phrasings: string[];
  key: string;
}

const INVERSES: InverseRule[] = [
  { key: 'works at', phrasings: ['hire', 'employ', 'recruit'] },
  {
    key: 'killed',
    phrasings: ['be killed by', 'be assassinated by', 'be murdered by', 'be slain by'],
  },
];

interface PredicateRule {
  /** The canonical key, which is also how the fact reads: "Alice works at Acme". */
  key: string;
  /** Lemmatised phrasings (verbs in the infinitive, determiners dropped) that mean the same. */
  phrasings: string[];
  singleValued: boolean;
}

const RULES: PredicateRule[] = [
  {
    key: 'works at',
    phrasings: [
      'work at',
      'work for',
      'work with',
      'join',
      'be employed by',
      'be employed at',
      'be hired by',
      'head',
      'lead',
      'chair',
      'be president of',
      'be chairman of',
      'be director of',
      'be spokesman for',
      'be member of',
    ],
    singleValued: true,
  },
  {
    key: 'lives in',
    // "grew up in", "is from"; "died at his home in" reads as a home too (normalizePredicate).
    phrasings: [
      'live in',
      'reside in',
      'move to',
      'relocate to',
      'grow up in',
      'be raised in',
      'be from',
    ],
    singleValued: true,
  },
  {
    // A person or a company: "a Berlin-based journalist", "IBM, which is based in Armonk".
    key: 'is based in',
    phrasings: ['be based in', 'based in'],
    singleValued: true,
  },
  {
    key: 'was born in',
    // "X, born in Y": a participle after a name states the fact as fully as "was born in".
    phrasings: ['be born in', 'born in', 'be native of', 'native of', 'hail from'],
    singleValued: true,
  },
  {
    key: 'is located in',
    phrasings: ['be located in', 'located in', 'be situated in', 'situated in', 'lie in'],
    singleValued: true,
  },
  {
    key: 'is headquartered in',
    phrasings: [
      'be headquartered in',
      'headquartered in',
      'be headquarter in',
      'headquarter in',
      'base in',
      'move headquarters to',
      'move its headquarters to',
    ],
    singleValued: true,
  },
  {
    key: 'is ceo of',
    phrasings: ['be ceo of', 'be the ceo of', 'become ceo of', 'become the ceo of'],
    singleValued: true,
  },
  { key: 'is married to', phrasings: ['be married to', 'marry'], singleValued: true },
  { key: 'reports to', phrasings: ['report to'], singleValued: true },
  {
    key: 'is owned by',
    phrasings: ['be owned by', 'be acquired by', 'be bought by'],
    singleValued: true,
  },
  { key: 'acquired', phrasings: ['acquire', 'buy', 'purchase'], singleValued: false },
  { key: 'killed', phrasings: ['kill', 'assassinate', 'murder', 'slay'], singleValued: false },
  {
    key: 'founded',
    phrasings: ['found', 'co found', 'cofound', 'start', 'establish', 'create'],
    singleValued: false,
  },
];

/**
 * The five relation kinds of the CoNLL04 corpus that Engram's predicates express, read from the
 * canonical predicate and the types of its ends; undefined for every other fact. `engram eval
 * graph` scores extraction against them.
 */
export type RelationKind = 'Work_For' | 'Live_In' | 'OrgBased_In' | 'Located_In' | 'Kill';

export function relationKind(
  predicateKey: string,
  subjectType: string,
  objectType: string,
): RelationKind | undefined {
  const person = subjectType === 'person';
  const organization = subjectType === 'organization';
  switch (predicateKey) {
    case 'works at':
    case 'is ceo of':
      return person && objectType === 'organization' ? 'Work_For' : undefined;
    case 'was born in':
      return person && objectType === 'place' ? 'Live_In' : undefined;
    case 'lives in':
    case 'is based in':
    case 'is headquartered in':
    case 'is located in':
      if (objectType !== 'place') return undefined;
      if (person) return 'Live_In';
      if (organization) return 'OrgBased_In';
      return subjectType === 'place' ? 'Located_In' : undefined;
    case 'killed':
      return person && objectType === 'person' ? 'Kill' : undefined;
    default:
      return undefined;
  }
}

const BY_PHRASING = new Map<string, PredicateRule>();
for (const rule of RULES) {
  BY_PHRASING.set(rule.key, rule);
  for (const phrasing of rule.phrasings) BY_PHRASING.set(phrasing, rule);
}

const INVERSE_BY_PHRASING = new Map<string, string>();
for (const rule of INVERSES)
  for (const phrasing of rule.phrasings) INVERSE_BY_PHRASING.set(phrasing, rule.key);

/**
 * The canonical key of a lemmatised verb phrase (lower case, single spaces, no punctuation),
 * and whether subject and object swap to read it ("hire" → inverse of "works at").
 */
export function normalizePredicate(lemmatised: string): { key: string; inverse: boolean } {
  const key = lemmatised
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .replace(/\s+/g, ' ');
  const inverse = INVERSE_BY_PHRASING.get(key);
  if (inverse !== undefined) return { key: inverse, inverse: true };
  // "died at home in", "return to home in": where someone's home is, whatever they did there.
  if (/(^| )home in$/.test(key) && !BY_PHRASING.has(key))
    return { key: 'lives in', inverse: false };
  return { key: BY_PHRASING.get(key)?.key ?? key, inverse: false };
}

/**
 * Each canonical predicate with the words of its phrasings (and of its inverse's): the words a
 * question may use for it ("who is employed by", "who runs" → `works at`).
 */
export function predicatePhrasings(): { key: string; phrasings: string[] }[] {
  return [
    ...RULES.map((rule) => ({ key: rule.key, phrasings: [rule.key, ...rule.phrasings] })),
    ...INVERSES.map((rule) => ({ key: rule.key, phrasings: rule.phrasings })),
  ];
}

/** The canonical predicates, as an extractor may be asked to use them ("works at", "killed"). */
export const CANONICAL_PREDICATES: readonly string[] = RULES.map((rule) => rule.key);

export function isSingleValued(predicateKey: string): boolean {
  return BY_PHRASING.get(predicateKey)?.singleValued === true;
}
