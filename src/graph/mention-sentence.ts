// The sentence a mention was read in: the chunk's sentence (Intl.Segmenter, built into Node) that
// holds the mention's surface, compared case-insensitively. Mentions store only their chunk, so
// the sentence is found again when an entity is shown.

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/** The trimmed sentence of `text` that holds `surface`, or null when none does. */
export function sentenceHolding(text: string, surface: string): string | null {
  const needle = surface.toLocaleLowerCase('en');
  if (needle === '') return null;
  for (const { segment } of segmenter.segment(text)) {
    if (segment.toLocaleLowerCase('en').includes(needle)) return segment.trim();
  }
  return null;
}
