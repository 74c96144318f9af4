// PDF to structured text with unpdf (Mozilla's pdf.js, serverless build): the text layer of each
// page becomes that page's paragraphs, so every chunk knows the page it starts on. A PDF whose
// pages hold no text (a scan) fails with "no text layer" rather than completing empty.
import { extractText, getDocumentProxy } from 'unpdf';
import { AppError, errorMessage } from '../../domain/errors.js';
import { StructuredTextBuilder, type StructuredText } from './structured-text.js';

export async function parsePdf(bytes: Uint8Array): Promise<StructuredText> {
  let pages: string[];
  try {
    const pdf = await getDocumentProxy(new Uint8Array(bytes), {
      isEvalSupported: false,
      verbosity: 0,
    });
    try {
      pages = (await extractText(pdf, { mergePages: false })).text;
    } finally {
      await pdf.destroy();
    }
  } catch (error) {
    throw new AppError(
      'INVALID_INPUT',
      `The PDF could not be read (${errorMessage(error)}); it may be truncated or damaged. Re-export it and send it again.`,
      { cause: error },
    );
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
