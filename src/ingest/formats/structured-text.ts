// The structured text every format parser produces and the chunker consumes: the visible text of
// a document and its blocks (headings, paragraphs, list items, code, table rows, records), each
// an exact range of that text with its heading path and, for paged formats, its page number.
// The builder writes blocks one after another, separated by a blank line, so offsets are true by
// construction and every visible character lands in exactly one block.

export type BlockKind = 'heading' | 'paragraph' | 'list-item' | 'code' | 'table-row' | 'record';

export interface Block {
  kind: BlockKind;
  start: number;
  end: number;
  /** Headings enclosing this block, outermost first (a heading includes itself). */
  headingPath: string[];
  /** 1-based page of paged formats (PDF); null elsewhere. */
  page: number | null;
}

export interface StructuredText {
  /** The text chunk offsets point into. */
  text: string;
  blocks: Block[];
  /** A title read from the document (HTML <title>, front matter), when it has one. */
  title: string | null;
}

/** Collects blocks of a source whose text the parser writes itself (HTML, PDF, DOCX, records). */
export class StructuredTextBuilder {
  private readonly parts: string[] = [];
  private length = 0;
  private readonly blocks: Block[] = [];
  private readonly path: { level: number; title: string }[] = [];
  title: string | null = null;

  heading(level: number, title: string, page: number | null = null): void {
    const text = collapse(title);
    if (text === '') return;
    while (this.path.length > 0 && this.path.at(-1)!.level >= level) this.path.pop();
    this.path.push({ level, title: text });
    this.append('heading', `${'#'.repeat(Math.min(Math.max(level, 1), 6))} ${text}`, page);
  }

  /** Appends a block; its whitespace is collapsed unless `preserve` (code). Empty text is skipped. */
  block(kind: BlockKind, text: string, page: number | null = null, preserve = false): void {
    const cleaned = preserve ? text.replace(/^\s*\n|\s+$/g, '') : collapse(text);
    if (cleaned.trim() === '') return;
    this.append(kind, cleaned, page);
  }

  build(): StructuredText {
    return { text: this.parts.join(''), blocks: this.blocks, title: this.title };
  }

  private append(kind: BlockKind, text: string, page: number | null): void {
    if (this.length > 0) {
      this.parts.push('\n\n');
      this.length += 2;
    }
    this.blocks.push({
      kind,
      start: this.length,
      end: this.length + text.length,
      headingPath: this.path.map((h) => h.title),
      page,
    });
    this.parts.push(text);
    this.length += text.length;
  }
}

export function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
