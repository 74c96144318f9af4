// Splits text into structural blocks with offsets: Markdown headings, fenced code, list items and
// paragraphs (plain text: paragraphs only). Every non-whitespace character lands in exactly one
// block, which is what lets the chunker promise that no text is lost.

export type BlockKind = 'heading' | 'code' | 'list-item' | 'paragraph';

export interface Block {
  kind: BlockKind;
  start: number;
  end: number;
  /** Headings enclosing this block, outermost first (a heading includes itself). */
  headingPath: string[];
  /** Set on headings: 1–6. */
  level?: number;
}

const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$/;
const EMPTY_HEADING = /^ {0,3}(#{1,6})[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const LIST_ITEM = /^[ \t]{0,8}(?:[-*+]|\d{1,9}[.)])[ \t]+\S/;

interface Line {
  start: number;
  end: number;
  text: string;
}

function linesOf(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start <= text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    lines.push({ start, end, text: text.slice(start, end) });
    if (newline === -1) break;
    start = newline + 1;
  }
  return lines;
}

/** The block's range without surrounding whitespace. */
function trimmed(text: string, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  while (s < e && /\s/.test(text[s]!)) s += 1;
  while (e > s && /\s/.test(text[e - 1]!)) e -= 1;
  return [s, e];
}

export function parseBlocks(text: string, markdown: boolean): Block[] {
  const blocks: Block[] = [];
  const path: { level: number; title: string }[] = [];
  const headingPath = () => path.map((h) => h.title);
  let open: { kind: BlockKind; start: number; end: number } | undefined;

  const flush = () => {
    if (open === undefined) return;
    const [start, end] = trimmed(text, open.start, open.end);
    if (end > start) blocks.push({ kind: open.kind, start, end, headingPath: headingPath() });
    open = undefined;
  };

  const lines = linesOf(text);
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    if (line.text.trim() === '') {
      // Blank lines end paragraphs; a list item may continue after one only when indented.
      if (open?.kind !== 'list-item') flush();
      else if (!/^[ \t]{2,}\S/.test(lines[i + 1]?.text ?? '')) flush();
      continue;
    }
    if (!markdown) {
      if (open === undefined) open = { kind: 'paragraph', start: line.start, end: line.end };
      else open.end = line.end;
      continue;
    }
    const fence = FENCE.exec(line.text);
    if (fence !== null) {
      flush();
      const marker = fence[1]!;
      let j = i + 1;
      while (j < lines.length && !lines[j]!.text.trimStart().startsWith(marker)) j += 1;
      const last = lines[Math.min(j, lines.length - 1)]!;
      open = { kind: 'code', start: line.start, end: last.end };
      flush();
      i = j;
      continue;
    }
    const heading = HEADING.exec(line.text) ?? EMPTY_HEADING.exec(line.text);
    if (heading !== null) {
      flush();
      const level = heading[1]!.length;
      while (path.length > 0 && path.at(-1)!.level >= level) path.pop();
      path.push({ level, title: (heading[2] ?? '').trim() });
      const [start, end] = trimmed(text, line.start, line.end);
      blocks.push({ kind: 'heading', start, end, headingPath: headingPath(), level });
      continue;
    }
    if (LIST_ITEM.test(line.text)) {
      flush();
      open = { kind: 'list-item', start: line.start, end: line.end };
      continue;
    }
    if (open === undefined) open = { kind: 'paragraph', start: line.start, end: line.end };
    else open.end = line.end;
  }
  flush();
  return blocks;
}
