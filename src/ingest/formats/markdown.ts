// Markdown to structured text with markdown-it (CommonMark, plus GFM tables) and its front-matter
// plugin. Only block structure is needed, so inline parsing is switched off; each block token's
// line map becomes a range of the source itself, and chunk offsets point into the document as it
// was sent: headings, paragraphs, each list item, fenced code, tables. YAML front matter is read
// for a title and is not chunked. (mdast-util-from-markdown with GFM was tried first: 0.2 MB/s
// here against markdown-it's block pass; see the README's bench table.)
import MarkdownIt from 'markdown-it';
import frontMatter from 'markdown-it-front-matter';
import { parse as parseYaml } from 'yaml';
import type { Block, BlockKind, StructuredText } from './structured-text.js';

// The plugin's bundled types import 'markdown-it/lib', which markdown-it 14's types no longer have.
const frontMatterPlugin = frontMatter as unknown as (
  md: InstanceType<typeof MarkdownIt>,
  onMeta: (meta: string) => void,
) => void;
const markdown = new MarkdownIt('commonmark')
  .enable('table')
  .use(frontMatterPlugin, () => undefined);
markdown.core.ruler.disable(['inline', 'text_join']);

const BLOCK_KIND: Record<string, BlockKind> = {
  heading_open: 'heading',
  fence: 'code',
  code_block: 'code',
  list_item_open: 'list-item',
};

export function parseMarkdown(source: string): StructuredText {
  const tokens = markdown.parse(source, {});
  // Line starts of the source as markdown-it counts lines (it reads \r\n, \r and \n as one break).
  const lineStarts = [0];
  for (const match of source.matchAll(/\r\n|\r|\n/g))
    lineStarts.push(match.index + match[0].length);
  const blocks: Block[] = [];
  const path: { level: number; title: string }[] = [];
  let title: string | null = null;

  const add = (kind: BlockKind, map: [number, number]) => {
    const start = lineStarts[map[0]] ?? source.length;
    const end = lineStarts[map[1]] ?? source.length;
    const text = source.slice(start, end);
    const lead = text.length - text.trimStart().length;
    const trail = text.length - text.trimEnd().length;
    if (end - trail <= start + lead) return;
    blocks.push({
      kind,
      start: start + lead,
      end: end - trail,
      headingPath: path.map((h) => h.title),
      page: null,
    });
  };

  for (const [index, token] of tokens.entries()) {
    if (token.map === null || token.nesting === -1) continue;
    if (token.type === 'front_matter') {
      title = frontMatterTitle((token as { meta?: unknown }).meta);
      continue;
    }
    const kind = BLOCK_KIND[token.type] ?? 'paragraph';
    // Top-level blocks, and the items of top-level lists.
    const topLevel = token.level === 0 && !token.type.endsWith('list_open');
    const listItem = token.type === 'list_item_open' && token.level === 1;
    if (!topLevel && !listItem) continue;
    if (kind === 'heading') {
      const level = Number(token.tag.slice(1));
      while (path.length > 0 && path.at(-1)!.level >= level) path.pop();
      path.push({ level, title: (tokens[index + 1]?.content ?? '').trim() });
    }
    add(kind, token.map);
  }
  return { text: source, blocks, title };
}

function frontMatterTitle(meta: unknown): string | null {
  if (typeof meta !== 'string') return null;
  try {
    const data: unknown = parseYaml(meta, { maxAliasCount: 10 });
    if (typeof data === 'object' && data !== null && 'title' in data) {
      const value = data.title;
      if (typeof value === 'string' && value.trim() !== '') return value.trim();
    }
  } catch {
    // Broken front matter is not worth failing the document for; it just gives no title.
  }
  return null;
}
