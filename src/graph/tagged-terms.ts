// Tagged terms: the slice of compromise's JSON output the extractor reads, and small tests on it.

export interface TermJson {
  text: string;
  post: string;
  normal: string;
  tags: string[];
  id: string;
  offset: { start: number; length: number };
}

export function has(term: TermJson, ...tags: string[]): boolean {
  return tags.some((tag) => term.tags.includes(tag));
}

export function isCapitalised(text: string): boolean {
  return /^\p{Lu}/u.test(text);
}

/** Punctuation after a term ends a name: "Redmond, Washington" is two places. */
export function breaksAfter(term: TermJson): boolean {
  const post = term.post.trim();
  if (post === '') return false;
  return true;
}
