// Part of `npm run bench -- ingest`: parse + chunk throughput (MB/s of the file as sent) per
// document format, on the same synthetic handbook text written as Markdown, plain text, HTML,
// CSV, JSON, DOCX (docx) and PDF (pdf-lib). Embedding and storage are format-independent and
// measured by the pipeline part; this isolates what each parser costs.
import { Document, HeadingLevel, Packer, Paragraph } from 'docx';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { chunkDocument } from '../../src/ingest/chunker.js';
import { createTokenCounter } from '../../src/ingest/token-counter.js';
import {
  BINARY_MIME_TYPES,
  DOCX_MIME,
  type DocumentMimeType,
} from '../../src/ports/document-store.js';
import type { Measurement } from '../harness.js';

const MB = 1024 * 1024;

interface FormatSample {
  mimeType: DocumentMimeType;
  /** What the file holds, as sent (bytes for binary formats). */
  files: (string | Uint8Array)[];
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function blocksOf(markdown: string): { heading: boolean; text: string }[] {
  return markdown
    .split('\n\n')
    .map((block) => ({ heading: block.startsWith('#'), text: block.replace(/^#+ /, '') }));
}

async function pdfOf(markdown: string): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const lines = markdown
    .replace(/[^\x20-\x7e\n]/g, ' ')
    .split('\n')
    .flatMap((line) => line.match(/.{1,90}(\s|$)/g) ?? ['']);
  for (let i = 0; i < lines.length; i += 45) {
    const page = pdf.addPage();
    lines
      .slice(i, i + 45)
      .forEach((line, j) => page.drawText(line, { x: 40, y: 790 - j * 16, font, size: 10 }));
  }
  return pdf.save();
}

async function samplesOf(corpus: string[]): Promise<FormatSample[]> {
  const blocks = corpus.map(blocksOf);
  return [
    { mimeType: 'text/markdown', files: corpus },
    { mimeType: 'text/plain', files: corpus },
    {
      mimeType: 'text/html',
      files: blocks.map(
        (doc) =>
          `<!doctype html><html><head><title>Handbook</title></head><body><nav><a href="/">Home</a></nav><main>${doc
            .map((b) =>
              b.heading ? `<h2>${escapeHtml(b.text)}</h2>` : `<p>${escapeHtml(b.text)}</p>`,
            )
            .join('\n')}</main><footer>footer</footer></body></html>`,
      ),
    },
    {
      mimeType: 'text/csv',
      files: blocks.map(
        (doc) =>
          `id,text\n${doc.map((b, i) => `${i},"${b.text.replace(/"/g, '""')}"`).join('\n')}\n`,
      ),
    },
    {
      mimeType: 'application/json',
      files: blocks.map((doc) => JSON.stringify(doc.map((b, id) => ({ id, text: b.text })))),
    },
    {
      mimeType: DOCX_MIME,
      files: await Promise.all(
        blocks.map(async (doc) =>
          Packer.toBuffer(
            new Document({
              sections: [
                {
                  children: doc.map((b) =>
                    b.heading
                      ? new Paragraph({ text: b.text, heading: HeadingLevel.HEADING_2 })
                      : new Paragraph(b.text),
                  ),
                },
              ],
            }),
          ),
        ),
      ),
    },
    { mimeType: 'application/pdf', files: await Promise.all(corpus.map(pdfOf)) },
  ];
}

export async function measureFormats(
  corpus: string[],
  log: (message: string) => void,
): Promise<Measurement[]> {
  const options = {
    chunkTokens: 400,
    overlap: 0.15,
    countTokens: createTokenCounter('o200k_base'),
  };
  const measurements: Measurement[] = [];
  for (const sample of await samplesOf(corpus)) {
    const stored = sample.files.map((file) =>
      BINARY_MIME_TYPES.has(sample.mimeType)
        ? Buffer.from(file as Uint8Array).toString('base64')
        : (file as string),
    );
    const bytes = sample.files.reduce(
      (sum, file) => sum + (typeof file === 'string' ? Buffer.byteLength(file) : file.byteLength),
      0,
    );
    await chunkDocument(stored[0]!, sample.mimeType, options); // warm up
    let chunks = 0;
    const started = performance.now();
    for (const content of stored)
      chunks += (await chunkDocument(content, sample.mimeType, options)).chunks.length;
    const seconds = (performance.now() - started) / 1000;
    const note = `${sample.files.length} files, ${(bytes / MB).toFixed(2)} MB, ${chunks} chunks of 400 tokens`;
    log(`parse + chunk ${sample.mimeType}: ${(bytes / MB / seconds).toFixed(2)} MB/s (${note})`);
    measurements.push({
      name: `parse + chunk, ${sample.mimeType}`,
      unit: 'MB/s',
      value: bytes / MB / seconds,
      note,
    });
  }
  return measurements;
}
