// One entry point from a stored document to structured text: picks the parser for its type.
// Binary formats are stored as base64 and decoded here.
import { parseDocx } from './docx.js';
import { parseHtml } from './html.js';
import { parseMarkdown } from './markdown.js';
import { DOCX_MIME, type DocumentMimeType } from '../../ports/document-store.js';
import { parsePdf } from './pdf.js';
import { parsePlainText } from './plain-text.js';
import { parseCsvRecords, parseJsonRecords } from './records.js';
import type { StructuredText } from './structured-text.js';

export async function toStructuredText(
  storedContent: string,
  mimeType: DocumentMimeType,
  parseTimeoutMs?: number,
): Promise<StructuredText> {
  switch (mimeType) {
    case 'text/markdown':
      return parseMarkdown(storedContent);
    case 'text/html':
      return parseHtml(storedContent);
    case 'text/plain':
      return parsePlainText(storedContent);
    case 'text/csv':
      return parseCsvRecords(storedContent);
    case 'application/json':
      return parseJsonRecords(storedContent);
    case 'application/pdf':
      return parsePdf(Buffer.from(storedContent, 'base64'), parseTimeoutMs);
    case DOCX_MIME:
      return parseDocx(Buffer.from(storedContent, 'base64'));
  }
}
