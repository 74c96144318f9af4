// Decides a document's type from its bytes, not its name: "%PDF-" is a PDF, a ZIP holding
// word/document.xml is a DOCX, anything else must be UTF-8 text. For text the declared type is
// kept (CSV cannot be told from prose); undeclared text is HTML when it opens like a page, JSON
// when it parses as an object or array, and Markdown otherwise.
import { AppError } from '../../domain/errors.js';
import { zipEntries } from './docx.js';
import { BINARY_MIME_TYPES, DOCX_MIME, type DocumentMimeType } from '../../ports/document-store.js';

export interface SniffedContent {
  mimeType: DocumentMimeType;
  /** The decoded text of text formats; undefined for binary ones. */
  text?: string;
}

export function sniffContent(bytes: Uint8Array, declared?: DocumentMimeType): SniffedContent {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  if (head.includes('%PDF-')) return { mimeType: 'application/pdf' };
  if (head.startsWith('PK\u0003\u0004')) {
    let names: string[];
    try {
      names = zipEntries(bytes).names;
    } catch {
      throw new AppError(
        'INVALID_INPUT',
        'The content is a damaged ZIP archive; send the Word document again.',
      );
    }
    if (names.includes('word/document.xml')) return { mimeType: DOCX_MIME };
    throw new AppError(
      'INVALID_INPUT',
      'The content is a ZIP archive but not a Word document (no word/document.xml). Send DOCX, PDF, HTML, Markdown, text, CSV or JSON.',
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new AppError(
      'INVALID_INPUT',
      'The content is neither PDF, DOCX nor UTF-8 text. Send DOCX, PDF, HTML, Markdown, text, CSV or JSON.',
    );
  }
  return { mimeType: sniffText(text, declared), text };
}

/** The type of text content: the declared text type, else a guess from its first characters. */
export function sniffText(text: string, declared?: DocumentMimeType): DocumentMimeType {
  if (declared !== undefined && BINARY_MIME_TYPES.has(declared)) {
    throw new AppError(
      'INVALID_INPUT',
      `The content was declared ${declared} but is text; send the file's bytes (contentBase64 or a multipart upload).`,
    );
  }
  if (declared !== undefined) return declared;
  const start = text.trimStart().slice(0, 200).toLowerCase();
  if (/^(<!doctype html|<html|<head|<body)/.test(start)) return 'text/html';
  if (start.startsWith('{') || start.startsWith('[')) {
    try {
      JSON.parse(text);
      return 'application/json';
    } catch {
      // Not JSON after all: Markdown may open with a bracket.
    }
  }
  return 'text/markdown';
}
