// HTML to chunkable text: drops scripts, styles and markup, keeps every visible word, and writes
// headings as Markdown (`## Title`) and list items as `- item`, so the Markdown block parser
// then sees the page's structure. Chunk offsets of an HTML document point into this text.

const DROPPED = /<(script|style|head|noscript|template|svg)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const COMMENT = /<!--[\s\S]*?-->/g;
const BLOCK_TAGS = new Set([
  'p',
  'div',
  'section',
  'article',
  'aside',
  'header',
  'footer',
  'nav',
  'main',
  'blockquote',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'tr',
  'ul',
  'ol',
  'dl',
  'dt',
  'dd',
  'figure',
  'figcaption',
  'form',
  'fieldset',
  'address',
  'hr',
  'details',
  'summary',
  'body',
  'html',
  'caption',
]);
const CELL_TAGS = new Set(['td', 'th']);

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  middot: '·',
  bull: '•',
  laquo: '«',
  raquo: '»',
  times: '×',
  deg: '°',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code =
        body[1] === 'x' || body[1] === 'X'
          ? Number.parseInt(body.slice(2), 16)
          : Number.parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff
        ? String.fromCodePoint(code)
        : whole;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

export function htmlToText(html: string): string {
  const source = html.replace(COMMENT, ' ').replace(DROPPED, ' ');
  const out: string[] = [];
  let preDepth = 0;
  let headingLevel = 0;
  let last = 0;
  const emitText = (raw: string) => {
    const text = decodeEntities(raw);
    out.push(preDepth > 0 ? text : text.replace(/\s+/g, ' '));
  };
  for (const match of source.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*>/g)) {
    emitText(source.slice(last, match.index));
    last = match.index + match[0].length;
    const tag = match[1]!.toLowerCase();
    const closing = match[0][1] === '/';
    if (/^h[1-6]$/.test(tag)) {
      if (closing) {
        headingLevel = 0;
        out.push('\n\n');
      } else {
        headingLevel = Number(tag[1]);
        out.push(`\n\n${'#'.repeat(headingLevel)} `);
      }
    } else if (tag === 'pre') {
      preDepth = Math.max(0, preDepth + (closing ? -1 : 1));
      out.push('\n\n');
    } else if (tag === 'li') {
      if (!closing) out.push('\n- ');
    } else if (tag === 'br') {
      out.push(headingLevel > 0 ? ' ' : '\n');
    } else if (BLOCK_TAGS.has(tag)) {
      out.push('\n\n');
    } else if (CELL_TAGS.has(tag)) {
      out.push(' ');
    }
  }
  emitText(source.slice(last));
  return out
    .join('')
    .split('\n')
    .map((line) =>
      line
        .replace(/[ \t]+$/, '')
        .replace(/^ (?=\S)/, '')
        .replace(/^(#{1,6}|-) {2,}/, '$1 '),
    )
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
