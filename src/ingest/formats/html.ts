// HTML to structured text with htmlparser2 (a spec-tolerant parser): headings, paragraphs, list
// items, table rows (cells joined by " | ") and <pre> blocks; the <title> is read. Boilerplate a
// reader does not come for is dropped: <nav>, <header>, <footer>, <aside>, scripts, styles,
// forms' hidden parts and elements whose ARIA role says navigation, banner or contentinfo.
// Mammoth's DOCX output goes through here too.
import { isTag, isText, type ChildNode, type Element } from 'domhandler';
import { DomHandler, Parser } from 'htmlparser2';
import { AppError } from '../../domain/errors.js';
import { StructuredTextBuilder, type BlockKind, type StructuredText } from './structured-text.js';

/** Deeper markup is refused: no real page nests this far, and walking it would risk the stack. */
export const MAX_HTML_DEPTH = 256;

/**
 * htmlparser2's DOM builder, refusing markup past MAX_HTML_DEPTH as the parser opens it, so 100k
 * nested <div>s cost a few hundred tags of work, not a DOM of 100k levels first.
 */
class DepthBoundedHandler extends DomHandler {
  #depth = 0;
  override onopentag(name: string, attribs: Record<string, string>): void {
    this.#depth += 1;
    if (this.#depth > MAX_HTML_DEPTH) throw tooDeep();
    super.onopentag(name, attribs);
  }
  override onclosetag(): void {
    this.#depth -= 1;
    super.onclosetag();
  }
}

function parseDocument(html: string) {
  const handler = new DepthBoundedHandler();
  new Parser(handler).end(html);
  return handler.root;
}

const DROPPED = new Set([
  'head',
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'iframe',
  'nav',
  'header',
  'footer',
  'aside',
  'button',
  'select',
  'option',
]);
const DROPPED_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'search']);
const BLOCK_TAGS = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'blockquote',
  'dl',
  'dt',
  'dd',
  'figure',
  'figcaption',
  'address',
  'details',
  'summary',
  'caption',
  'form',
  'fieldset',
  'ul',
  'ol',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'hr',
  'body',
  'html',
]);

export function parseHtml(html: string): StructuredText {
  const builder = new StructuredTextBuilder();
  const document = parseDocument(html);
  let pending: { kind: BlockKind; parts: string[] } = { kind: 'paragraph', parts: [] };

  const flush = (next: BlockKind = 'paragraph') => {
    const prefix = pending.kind === 'list-item' ? '- ' : '';
    const text = pending.parts.join('');
    if (text.trim() !== '') builder.block(pending.kind, `${prefix}${text.trim()}`);
    pending = { kind: next, parts: [] };
  };

  const walk = (nodes: ChildNode[], depth: number): void => {
    if (depth > MAX_HTML_DEPTH) throw tooDeep();
    for (const node of nodes) {
      if (isText(node)) {
        pending.parts.push(node.data);
        continue;
      }
      if (!isTag(node)) continue;
      const element = node;
      const tag = element.name.toLowerCase();
      if (tag === 'head') {
        readTitle(element.children, depth + 1);
        continue;
      }
      if (DROPPED.has(tag) || DROPPED_ROLES.has(element.attribs.role ?? '')) continue;
      if (/^h[1-6]$/.test(tag)) {
        flush();
        builder.heading(Number(tag[1]), textOf(element.children, depth + 1));
      } else if (tag === 'pre') {
        flush();
        builder.block('code', textOf(element.children, depth + 1), null, true);
      } else if (tag === 'tr') {
        flush();
        const cells = element.children.filter(
          (child): child is Element => isTag(child) && (child.name === 'td' || child.name === 'th'),
        );
        builder.block(
          'table-row',
          cells.map((cell) => textOf(cell.children, depth + 2)).join(' | '),
        );
      } else if (tag === 'li') {
        flush('list-item');
        walk(element.children, depth + 1);
        flush();
      } else if (tag === 'br') {
        pending.parts.push('\n');
      } else if (tag === 'title') {
        builder.title ??=
          textOf(element.children, depth + 1)
            .replace(/\s+/g, ' ')
            .trim() || null;
      } else if (BLOCK_TAGS.has(tag)) {
        // A block inside a list item ends the item's own text; what follows is a new paragraph.
        flush();
        walk(element.children, depth + 1);
        flush();
      } else {
        walk(element.children, depth + 1);
      }
    }
  };

  const textOf = (nodes: ChildNode[], depth: number): string => {
    if (depth > MAX_HTML_DEPTH) throw tooDeep();
    return nodes
      .map((node) => {
        if (isText(node)) return node.data;
        if (!isTag(node)) return '';
        const element = node;
        if (DROPPED.has(element.name) && element.name !== 'head') return '';
        if (element.name === 'br') return '\n';
        const inner = textOf(element.children, depth + 1);
        return BLOCK_TAGS.has(element.name) || element.name === 'td' || element.name === 'th'
          ? ` ${inner} `
          : inner;
      })
      .join('');
  };

  const readTitle = (nodes: ChildNode[], depth: number) => {
    for (const node of nodes) {
      if (isTag(node) && node.name === 'title') {
        const title = textOf(node.children, depth + 1)
          .replace(/\s+/g, ' ')
          .trim();
        if (title !== '') builder.title ??= title;
      }
    }
  };

  walk(document.children, 0);
  flush();
  return builder.build();
}

function tooDeep(): AppError {
  return new AppError(
    'INVALID_INPUT',
    `The HTML nests elements more than ${MAX_HTML_DEPTH} deep; no page needs that. Flatten the markup or send its text.`,
  );
}
