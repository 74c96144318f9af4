// DOCX to structured text with mammoth, which maps Word's styles to HTML (headings, lists,
// tables); the HTML parser does the rest. Before mammoth unzips anything, the archive's declared
// sizes are summed (fflate reads the central directory without inflating) and a document that
// would expand past MAX_DOCX_EXPANDED_BYTES is refused: a zip bomb fails alone, cheaply.
import mammoth from 'mammoth';
import { unzipSync } from 'fflate';
import { AppError, errorMessage } from '../../domain/errors.js';
import { parseHtml } from './html.js';
import type { StructuredText } from './structured-text.js';

export const MAX_DOCX_EXPANDED_BYTES = 64 * 1024 * 1024;

/** The archive's entry names and total declared uncompressed size, read without inflating. */
export function zipEntries(bytes: Uint8Array): { names: string[]; expandedBytes: number } {
  const names: string[] = [];
  let expandedBytes = 0;
  unzipSync(bytes, {
    filter(file) {
      names.push(file.name);
      expandedBytes += file.originalSize;
      return false;
    },
  });
  return { names, expandedBytes };
}

export async function parseDocx(bytes: Uint8Array): Promise<StructuredText> {
  let expandedBytes: number;
  try {
    expandedBytes = zipEntries(bytes).expandedBytes;
  } catch (error) {
    throw unreadable(error);
  }
  if (expandedBytes > MAX_DOCX_EXPANDED_BYTES) {
    throw new AppError(
      'INPUT_TOO_LARGE',
      `The DOCX would expand to ${expandedBytes} bytes; the limit is ${MAX_DOCX_EXPANDED_BYTES}. It may be a zip bomb; if it is a real document, split it.`,
      { details: { limit: MAX_DOCX_EXPANDED_BYTES, actual: expandedBytes } },
    );
  }
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: Buffer.from(bytes) })).value;
  } catch (error) {
    throw unreadable(error);
  }
  return parseHtml(html);
}

function unreadable(error: unknown): AppError {
  return new AppError(
    'INVALID_INPUT',
    `The DOCX could not be read (${errorMessage(error)}); it may be truncated or damaged. Re-save it in Word and send it again.`,
    { cause: error },
  );
}
