// What an upload may be, decided before any byte is sent: a known text type, within the
// server's document limit, and a request body within its body limit.
import { jsonBody } from './api';
import { settings } from './settings';

const TYPES: Record<string, 'text/markdown' | 'text/plain' | 'text/html'> = {
  md: 'text/markdown',
  markdown: 'text/markdown',
  txt: 'text/plain',
  text: 'text/plain',
  html: 'text/html',
  htm: 'text/html',
};

export const ACCEPTED_EXTENSIONS = Object.keys(TYPES).map((extension) => `.${extension}`);

export type UploadCheck = { ok: true; body: string } | { ok: false; reason: string };

function typeOf(name: string): (typeof TYPES)[string] | undefined {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : TYPES[name.slice(dot + 1).toLowerCase()];
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MB`
    : `${Math.ceil(bytes / 1024)} kB`;
}

/** The request body for POST /v1/documents, or why the file is refused. Reads the file only if its type and size pass. */
export async function checkUpload(file: File): Promise<UploadCheck> {
  const mimeType = typeOf(file.name);
  if (mimeType === undefined) {
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
  const content = await file.text();
  const contentBytes = new TextEncoder().encode(content).length;
  if (contentBytes > limit) {
    return {
      ok: false,
      reason: `${file.name} is ${size(contentBytes)} as text; this server takes documents up to ${size(limit)}.`,
    };
  }
  const body = jsonBody({ content, title: file.name, mimeType });
  const bodyBytes = new TextEncoder().encode(body).length;
  if (bodyBytes > settings.bodyLimitBytes) {
    return {
      ok: false,
      reason: `${file.name} makes a request of ${size(bodyBytes)}; this server reads requests up to ${size(settings.bodyLimitBytes)}.`,
    };
  }
  return { ok: true, body };
}
