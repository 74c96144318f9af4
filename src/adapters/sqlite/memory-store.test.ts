// Runs the MemoryStore contract against the SQLite adapter on a temp file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeMemoryStore } from '../../../test/memory/memory-store.contract.js';
import { openSqlite } from './database.js';
import { ftsQuery, SqliteMemoryStore } from './memory-store.js';
import { describe, expect, it } from 'vitest';

describeMemoryStore('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'engram-memory-'));
  const database = openSqlite({ path: join(dir, 'engram.db') });
  return {
    store: new SqliteMemoryStore(database.db),
    close: async () => {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('ftsQuery', () => {
  it('keeps content words as quoted OR terms and drops stop words and syntax', () => {
    expect(ftsQuery('What did Caroline "research" (NEAR) -x?')).toBe('"caroline" OR "research" OR "near" OR "x"');
    expect(ftsQuery('what is it?')).toBe('');
  });
});
