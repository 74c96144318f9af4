// SHA-256 of recently seen texts: hashing is the largest cost of a warm request (≈5 µs a
// kilobyte here), and the same memories come back request after request. The memo is bounded in
// bytes, not entries: it keeps the texts themselves as keys, and a few hundred long documents
// would otherwise hold hundreds of megabytes. Texts longer than a quarter of the budget are
// hashed every time instead of being kept.
import { LRUCache } from 'lru-cache';
import { sha256Hex } from '../domain/hashing.js';

/** What one entry costs: the key's UTF-16 code units, the 64-character hex hash, and overhead. */
function entryBytes(text: string): number {
  return text.length * 2 + 64 * 2 + 96;
}

export interface ContentHashMemo {
  of(text: string): string;
  /** Bytes the memo accounts for now. */
  readonly bytes: number;
  readonly maxBytes: number;
}

export function createContentHashMemo(maxBytes = 16 * 1024 * 1024): ContentHashMemo {
  const memo = new LRUCache<string, string>({
    maxSize: maxBytes,
    maxEntrySize: Math.floor(maxBytes / 4),
    sizeCalculation: (_hash, text) => entryBytes(text),
  });
  return {
    of(text) {
      let hash = memo.get(text);
      if (hash === undefined) {
        hash = sha256Hex(text);
        memo.set(text, hash);
      }
      return hash;
    },
    get bytes() {
      return memo.calculatedSize;
    },
    maxBytes,
  };
}
