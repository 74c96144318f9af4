// Gathers recall page by page for a token budget, then packs. Recall answers at most `pageSize`
// items a call, so a large budget reads further pages (offset, k) until the packed context is
// full (the packer left an item out for the budget) or recall has nothing more. Pages are read
// ahead by characters (about CHARS_PER_TOKEN a token) so the usual budget packs once; when that
// guess falls short the target doubles and the context is packed again (token IDs then come
// from the cache). Items are de-duplicated by id, in case the ranking shifts between pages.
import type { PackedContext, PackItem } from './packer.js';

export interface RecallPagesInput {
  maxTokens: number;
  pageSize: number;
  recallPage: (offset: number, k: number) => Promise<Array<{ id: string; text: string }>>;
  pack: (items: PackItem[]) => Promise<PackedContext>;
}

export interface RecallPagesResult {
  packed: PackedContext;
  /** Items recall returned (after de-duplication), and the pages it took. */
  recalled: number;
  pages: number;
  recallMs: number;
  packMs: number;
}

/** Characters of recalled text to gather per token of budget before the first pack. */
const CHARS_PER_TOKEN = 6;
/** The first page: enough short memories to fill the budget, without asking small budgets for 100. */
const FIRST_PAGE_TOKENS_PER_ITEM = 40;
const MIN_FIRST_PAGE = 10;
/** A ranking that never ends still stops. */
const MAX_PAGES = 1_000;

export async function packFromRecallPages(input: RecallPagesInput): Promise<RecallPagesResult> {
  const items: PackItem[] = [];
  const seen = new Set<string>();
  let chars = 0;
  let offset = 0;
  let pages = 0;
  let exhausted = false;
  let recallMs = 0;
  let packMs = 0;
  let targetChars = input.maxTokens * CHARS_PER_TOKEN;
  let k = Math.min(
    input.pageSize,
    Math.max(MIN_FIRST_PAGE, Math.ceil(input.maxTokens / FIRST_PAGE_TOKENS_PER_ITEM)),
  );
  for (;;) {
    while (!exhausted && chars < targetChars && pages < MAX_PAGES) {
      const started = performance.now();
      const page = await input.recallPage(offset, k);
      recallMs += performance.now() - started;
      pages += 1;
      offset += k;
      let added = 0;
      for (const item of page) {
        if (seen.has(item.id)) continue;
        seen.add(item.id);
        items.push({ id: item.id, text: item.text });
        chars += item.text.length;
        added += 1;
      }
      // A short page ends the ranking; so does a page of nothing new (a recall that ignores offset).
      if (page.length < k || added === 0) exhausted = true;
      k = input.pageSize;
    }
    const started = performance.now();
    const packed = await input.pack(items);
    packMs += performance.now() - started;
    const full = packed.dropped.some((entry) => entry.reason === 'budget');
    if (full || exhausted || pages >= MAX_PAGES) {
      // Items recall still had were left out for the budget as surely as dropped ones.
      const truncated = packed.truncated || !exhausted;
      return {
        packed: { ...packed, truncated },
        recalled: items.length,
        pages,
        recallMs,
        packMs,
      };
    }
    targetChars = Math.max(targetChars * 2, chars * 2);
  }
}
