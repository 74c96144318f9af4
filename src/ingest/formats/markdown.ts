// Markdown to structured text with mdast-util-from-markdown (CommonMark) plus the GFM (tables,
// strikethrough, task lists) and front-matter extensions. Blocks are ranges of the source itself,
// so chunk offsets point into the document as it was sent: headings, paragraphs, each list item,
// fenced code, tables. YAML front matter is read for a title and is not chunked.
import type { Nodes, Root } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { frontmatterFromMarkdown } from 'mdast-util-frontmatter';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { toString } from 'mdast-util-to-string';
import { frontmatter } from 'micromark-extension-frontmatter';
import { gfm } from 'micromark-extension-gfm';
import { parse as parseYaml } from 'yaml';
import type { Block, BlockKind, StructuredText } from './structured-text.js';

export function parseMarkdown(source: string): StructuredText {
  const tree: Root = fromMarkdown(source, {
    extensions: [gfm(), frontmatter(['yaml'])],
    mdastExtensions: [gfmFromMarkdown(), frontmatterFromMarkdown(['yaml'])],
  });
  const blocks: Block[] = [];
  const path: { level: number; title: string }[] = [];
  let title: string | null = null;

  const add = (kind: BlockKind, node: Nodes) => {
    const start = node.position?.start.offset;
    const end = node.position?.end.offset;
    if (start === undefined || end === undefined) return;
    const text = source.slice(start, end);
    // Keep the block's range without surrounding whitespace.
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

  for (const node of tree.children) {
    switch (node.type) {
      case 'yaml':
        title = frontMatterTitle(node.value);
        break;
      case 'heading': {
        while (path.length > 0 && path.at(-1)!.level >= node.depth) path.pop();
        path.push({ level: node.depth, title: toString(node).trim() });
        add('heading', node);
        break;
      }
      case 'list':
        for (const item of node.children) add('list-item', item);
        break;
      case 'code':
        add('code', node);
        break;
      default:
        // Paragraphs, quotes, raw HTML, tables (whole, with their delimiter row), rules.
        add('paragraph', node);
    }
  }
  return { text: source, blocks, title };
}

function frontMatterTitle(yaml: string): string | null {
  try {
    const data: unknown = parseYaml(yaml, { maxAliasCount: 10 });
    if (typeof data === 'object' && data !== null && 'title' in data) {
      const value = data.title;
      if (typeof value === 'string' && value.trim() !== '') return value.trim();
    }
  } catch {
    // Broken front matter is not worth failing the document for; it just gives no title.
  }
  return null;
}
