// PDF to structured text with unpdf (Mozilla's pdf.js, serverless build): the text layer of each
// page becomes that page's paragraphs, so every chunk knows the page it starts on. A PDF whose
// pages hold no text (a scan) fails with "no text layer" rather than completing empty; one whose
// parse outlasts its deadline (ENGRAM_PARSE_TIMEOUT_MS) fails saying so, and pdf.js is stopped.
import { extractText, getDocumentProxy } from 'unpdf';
import { AppError, errorMessage } from '../../domain/errors.js';
import { StructuredTextBuilder, type StructuredText } from './structured-text.js';

export const DEFAULT_PARSE_TIMEOUT_MS = 60_000;

type PdfProxy = Awaited<ReturnType<typeof getDocumentProxy>>;

export async function parsePdf(
  bytes: Uint8Array,
  timeoutMs = DEFAULT_PARSE_TIMEOUT_MS,
): Promise<StructuredText> {
  const loaded: { pdf?: PdfProxy } = {};
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const work = (async () => {
    const pdf = await getDocumentProxy(new Uint8Array(bytes), {
      isEvalSupported: false,
      verbosity: 0,
    });
    loaded.pdf = pdf;
    // Loaded after the deadline: nobody will destroy it but us.
    if (settled) await pdf.destroy();
    return (await extractText(pdf, { mergePages: false })).text;
  })();
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new AppError(
            'INVALID_INPUT',
            `The PDF took longer than ${timeoutMs} ms to parse (ENGRAM_PARSE_TIMEOUT_MS) and was given up; it may be malformed or built to be slow. Re-export it, or split it into smaller files.`,
            { details: { timeoutMs } },
          ),
        ),
      timeoutMs,
    );
  });
  let pages: string[];
  try {
    pages = await Promise.race([work, deadline]);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError(
      'INVALID_INPUT',
      `The PDF could not be read (${errorMessage(error)}); it may be truncated or damaged. Re-export it and send it again.`,
      { cause: error },
    );
  } finally {
    settled = true;
    clearTimeout(timer);
    // Stops pdf.js mid-way after a timeout; what it still had running then rejects, unheard.
    work.catch(() => undefined);
    await loaded.pdf?.destroy();
  }
  const builder = new StructuredTextBuilder();
  pages.forEach((page, index) => {
    for (const paragraph of page.split(/\n[ \t]*\n/))
      builder.block('paragraph', paragraph, index + 1);
  });
  const structured = builder.build();
  if (structured.blocks.length === 0) {
    throw new AppError(
      'INVALID_INPUT',
      `The PDF has ${pages.length} page(s) but no text layer (a scanned image?). Run OCR on it and send the result.`,
    );
  }
  return structured;
}
