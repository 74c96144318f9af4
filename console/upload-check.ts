// What an upload may be, decided before any byte is sent: a file of a type the server reads (by
// its extension here; the server sniffs the content itself) and within the server's document
// limit. The file goes as multipart/form-data in a part named `file`, so PDFs and Word files
// travel as they are.
import { settings } from './settings';

/** The extensions of the formats POST /v1/documents reads (src/ingest/formats). */
const EXTENSIONS = ['md', 'markdown', 'txt', 'text', 'html', 'htm', 'pdf', 'docx', 'csv', 'json'];

export const ACCEPTED_EXTENSIONS = EXTENSIONS.map((extension) => `.${extension}`);

export type UploadCheck = { ok: true; body: FormData } | { ok: false; reason: string };

function known(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && EXTENSIONS.includes(name.slice(dot + 1).toLowerCase());
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MB`
    : `${Math.ceil(bytes / 1024)} kB`;
}

/** The request body for POST /v1/documents, or why the file is refused. */
export function checkUpload(file: File): UploadCheck {
  if (!known(file.name)) {
    return {
      ok: false,
      reason: `${file.name}: unknown type. The console uploads ${ACCEPTED_EXTENSIONS.join(', ')} files.`,
    };
  }
  const limit = settings.maxDocumentBytes;
  if (file.size > limit) {
    return {
      ok: false,
      reason: `${file.name} is ${size(file.size)}; this server takes documents up to ${size(limit)}.`,
    };
  }
  const body = new FormData();
  body.append('title', file.name);
  body.append('file', file, file.name);
  return { ok: true, body };
}
