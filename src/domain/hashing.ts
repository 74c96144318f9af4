// Content hashes: SHA-256 hex, the identity of a document, chunk or cached token list.
import { createHash } from 'node:crypto';

export function sha256Hex(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}
