// Plain text to structured text: paragraphs are runs of non-blank lines. Offsets point into the
// text as sent; nothing is read as markup.
import type { Block, StructuredText } from './structured-text.js';

export function parsePlainText(text: string): StructuredText {
  const blocks: Block[] = [];
  for (const match of text.matchAll(/\S(?:[^\n]|\n(?![ \t\r]*\n))*/g)) {
    const raw = match[0];
    const end = match.index + raw.trimEnd().length;
    blocks.push({ kind: 'paragraph', start: match.index, end, headingPath: [], page: null });
  }
  return { text, blocks, title: null };
}
