// DOCX to structured text with mammoth, which maps Word's styles to HTML (headings, lists,
// tables); the HTML parser does the rest. Before mammoth unzips anything, the archive's declared
// sizes are summed (fflate reads the central directory without inflating), then the entries are
// inflated in small steps and counted, because declared sizes can lie: a document that expands
// past MAX_DOCX_EXPANDED_BYTES is refused either way, and a zip bomb fails alone.
import mammoth from 'mammoth';
import { Unzip, UnzipInflate, unzipSync } from 'fflate';
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

/** Compressed bytes inflated per step: deflate expands at most ~1,032:1, so a step stays small. */
const INFLATE_STEP_BYTES = 16 * 1024;

/**
 * Inflates every entry in steps, keeping nothing, and returns the real expanded size; stops as
 * soon as it passes `limitBytes` (returning what it had counted, more than the limit).
 */
export function inflatedSize(bytes: Uint8Array, limitBytes: number): number {
  let total = 0;
  const read: { failure: Error | null } = { failure: null };
  const unzip = new Unzip((file) => {
    file.ondata = (error, chunk) => {
      if (error !== null) read.failure = error;
      else total += chunk.byteLength;
      if (total > limitBytes) file.terminate();
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  for (let at = 0; at < bytes.byteLength && total <= limitBytes; at += INFLATE_STEP_BYTES) {
    const end = Math.min(at + INFLATE_STEP_BYTES, bytes.byteLength);
    unzip.push(bytes.subarray(at, end), end === bytes.byteLength);
    if (read.failure !== null) throw read.failure;
  }
  return total;
}

export async function parseDocx(bytes: Uint8Array): Promise<StructuredText> {
  let expandedBytes: number;
  try {
    expandedBytes = zipEntries(bytes).expandedBytes;
    if (expandedBytes <= MAX_DOCX_EXPANDED_BYTES)
      expandedBytes = inflatedSize(bytes, MAX_DOCX_EXPANDED_BYTES);
  } catch (error) {
    throw unreadable(error);
  }
  if (expandedBytes > MAX_DOCX_EXPANDED_BYTES) {
    throw new AppError(
      'INPUT_TOO_LARGE',
      `The DOCX expands to more than ${MAX_DOCX_EXPANDED_BYTES} bytes (the limit for a DOCX's unzipped content). It may be a zip bomb; if it is a real document, split it.`,
      { details: { limit: MAX_DOCX_EXPANDED_BYTES, atLeast: expandedBytes } },
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
