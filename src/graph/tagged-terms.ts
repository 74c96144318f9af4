// Tagged terms: the slice of compromise's JSON shape the extractor reads (wink-terms.ts fills it),
// and small tests on it.

export interface TermJson {
  text: string;
  pre?: string;
  post: string;
  normal: string;
  tags: string[];
  offset: { start: number; length: number };
}

export function has(term: TermJson, ...tags: string[]): boolean {
  for (const tag of tags) if (term.tags.includes(tag)) return true;
  return false;
}

/**
 * Whether the term holds any of `tags`: for hot paths, with a set made once (a term holds a few
 * tags; comparing each with every tag of a list was the extractor's largest cost of its own).
 */
export function hasAny(term: TermJson, tags: ReadonlySet<string>): boolean {
  for (const tag of term.tags) if (tags.has(tag)) return true;
  return false;
}

export function isCapitalised(text: string): boolean {
  return /^\p{Lu}/u.test(text);
}

/** "R" of "Walter R. Mears", "F" of "John F. Kennedy": one capital letter. */
function isInitial(term: TermJson): boolean {
  return /^\p{Lu}$/u.test(term.text);
}

/**
 * Punctuation after a term ends a name: "Redmond, Washington" is two places. A hyphen with no
 * space ("Bin-Nun") and the period of an initial or an honorific ("Walter R. Mears", "Gov. James
 * Thompson") do not.
 */
export function breaksAfter(term: TermJson): boolean {
  const post = term.post.trim();
  if (post === '') return false;
  if (post === '-' && term.post === '-') return false;
  if (post === '.' && (isInitial(term) || has(term, 'Honorific'))) return false;
  return true;
}

const PUNCTUATION = /^[\p{P}\p{S}]+$/u;

/** "Japan's" as one term becomes "Japan" with "'s" after it, as a tokenised "Japan 's" does. */
function splitPossessive(term: TermJson): TermJson {
  if (!term.text.endsWith('s') || !has(term, 'Possessive')) return term;
  const match = /^(.+)(['’]s)$/u.exec(term.text);
  if (match === null) return term;
  return {
    ...term,
    text: match[1]!,
    normal: term.normal.replace(/['’]s$/u, ''),
    post: `'s${term.post}`,
    offset: { start: term.offset.start, length: term.offset.length - 2 },
  };
}

/**
 * Terms as the extractor reads them. Pre-tokenised text ("Aiken , S.C. , said") gives punctuation its own terms, which the tagger
 * may even tag as names; folded into the previous term's `post`, such text reads like ordinary
 * prose ("Aiken, S.C., said"). An opening bracket the tagger hangs on the next term goes there too,
 * and a possessive "'s" becomes punctuation after its owner ("Japan's Sony" → "Japan", "Sony").
 */
export function foldPunctuation(terms: TermJson[]): TermJson[] {
  const out: TermJson[] = [];
  for (const original of terms) {
    let term = splitPossessive(original);
    // "Japan 's Sony": the tokenised possessive joins the previous term as punctuation.
    const pre = term.pre;
    if (term.text === 's' && pre !== undefined && /['’]/.test(pre) && out.length > 0) {
      const owner = out[out.length - 1]!;
      out[out.length - 1] = { ...owner, post: `${owner.post.trimEnd()}'s${term.post}` };
      continue;
    }
    const previous = out[out.length - 1];
    // "Italy (AP)": an opening bracket or quote is punctuation after the previous term too.
    if (previous !== undefined && pre !== undefined && /[([{"“]/.test(pre)) {
      out[out.length - 1] = { ...previous, post: `${previous.post}${term.pre}` };
      term = { ...term, pre: '' };
    }
    const last = out[out.length - 1];
    if (last !== undefined && PUNCTUATION.test(term.text) && !/\p{L}|\p{N}/u.test(term.text)) {
      out[out.length - 1] = {
        ...last,
        post: `${last.post}${term.pre ?? ''}${term.text}${term.post}`,
      };
      continue;
    }
    out.push(term);
  }
  return out;
}
