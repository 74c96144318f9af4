// The write-ahead log checkpointed in a thread of its own: the thread starts once the log holds
// its start pages (not before), copies the log into the file while the connection writes (the
// connection itself checkpoints only past the backstop), stops on close so that the last
// connection's close removes the log, gives checkpoints back to the connection when it fails or
// cannot start, and a process killed while its thread checkpoints loses no committed row.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../domain/logger.js';
import {
  BACKSTOP_PAGES,
  DEFAULT_AUTOCHECKPOINT_PAGES,
  startWalCheckpoints,
  type WalCheckpoints,
} from './wal-checkpoints.js';

const WRITER = fileURLToPath(
  new URL('../../../test/foundation/fixtures/wal-writer-child.ts', import.meta.url),
);
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function openWal(): Database.Database {
  const dir = mkdtempSync(join(tmpdir(), 'engram-wal-'));
  dirs.push(dir);
  const db = new Database(join(dir, 'engram.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE rows (body BLOB NOT NULL)');
  return db;
}

/** Writes about `pages` pages of rows, in transactions of 50. */
function write(db: Database.Database, pages: number): void {
  const insert = db.prepare('INSERT INTO rows (body) VALUES (randomblob(3000))');
  const batch = db.transaction(() => {
    for (let i = 0; i < 50; i++) insert.run();
  });
  for (let written = 0; written < pages; written += 50) batch();
}

/** What a checkpoint from another connection finds: the log's frames and those in the file. */
function logState(path: string): { log: number; checkpointed: number } {
  const other = new Database(path);
  try {
    return (
      other.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>
    )[0]!;
  } finally {
    other.close();
  }
}

const autocheckpoint = (db: Database.Database) => db.pragma('wal_autocheckpoint', { simple: true });

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('WAL checkpoints in a thread', () => {
  it('start once the log holds the start pages, then copy it into the file as the connection writes', async () => {
    const db = openWal();
    const checkpoints = startWalCheckpoints({
      db,
      logger: createSilentLogger(),
      startPages: 300,
      intervalMs: 10,
    })!;
    try {
      write(db, 100);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(checkpoints.stats().running).toBe(false);
      expect(autocheckpoint(db)).toBe(DEFAULT_AUTOCHECKPOINT_PAGES);

      write(db, 400);
      await until(() => checkpoints.stats().running, 'the thread to start');
      expect(autocheckpoint(db)).toBe(BACKSTOP_PAGES);
      // Three times SQLite's own threshold: the thread copies it as the connection writes.
      for (let round = 0; round < 6; round++) {
        write(db, 500);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await until(() => checkpoints.stats().checkpoints > 0, 'a checkpoint by the thread');
      await until(() => {
        const { log, checkpointed } = logState(db.name);
        return log === checkpointed;
      }, 'the whole log to be in the file');
      expect(db.prepare('SELECT count(*) AS n FROM rows').get()).toEqual({ n: 3500 });
    } finally {
      await checkpoints.close();
      db.close();
    }
  });

  it('stop on close, so that the last connection to close checkpoints and removes the log', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const db = openWal();
    const checkpoints = startWalCheckpoints({ db, logger, startPages: 0 })!;
    await until(() => checkpoints.stats().running, 'the thread to start');
    write(db, 2000);
    await checkpoints.close();
    expect(lines).toEqual([]); // it stopped when asked, not terminated
    expect(checkpoints.stats().running).toBe(false);
    expect(autocheckpoint(db)).toBe(DEFAULT_AUTOCHECKPOINT_PAGES);
    const path = db.name;
    db.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    const again = new Database(path);
    expect(again.prepare('SELECT count(*) AS n FROM rows').get()).toEqual({ n: 2000 });
    again.close();
  });

  for (const [name, prepare] of [
    [
      'dies after it said it was ready',
      (db: Database.Database) => ({
        thread: {
          callerUrl: import.meta.url,
          worker: '../../../test/foundation/fixtures/failing-checkpoint-worker',
        },
        db,
      }),
    ],
    [
      'cannot open the file',
      (db: Database.Database) => {
        // The connection keeps its file open; the thread finds nothing at its path.
        renameSync(db.name, `${db.name}.moved`);
        return { db };
      },
    ],
  ] as const) {
    it(`give checkpoints back to the connection, and say so, when the thread ${name}`, async () => {
      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
      const options = prepare(openWal());
      const { db } = options;
      let checkpoints: WalCheckpoints | undefined;
      try {
        checkpoints = startWalCheckpoints({ ...options, logger, startPages: 0 })!;
        await until(() => lines.length > 0, 'a warning');
        expect(lines.join('')).toContain('the WAL checkpoint thread');
        expect(checkpoints.stats().running).toBe(false);
        expect(autocheckpoint(db)).toBe(DEFAULT_AUTOCHECKPOINT_PAGES);
        write(db, 200);
        expect(db.prepare('SELECT count(*) AS n FROM rows').get()).toEqual({ n: 200 });
      } finally {
        await checkpoints?.close();
        db.close();
      }
    });
  }

  it('keep the log within the backstop while a writer never pauses', async () => {
    const db = openWal();
    const checkpoints = startWalCheckpoints({ db, logger: createSilentLogger(), startPages: 0 })!;
    try {
      await until(() => checkpoints.stats().running, 'the thread to start');
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      let largest = 0;
      // 30,000 pages in transactions of 50, the loop let turn between them (as a busy server's).
      for (let written = 0; written < 30_000; written += 100) {
        write(db, 100);
        largest = Math.max(largest, statSync(`${db.name}-wal`).size / pageSize);
        await new Promise((resolve) => setImmediate(resolve));
      }
      // The backstop, and what the writer adds while the thread's checkpoint holds the lock the
      // connection's own needs: 6,900–8,200 pages on a quiet machine, 12,428 once in CI, where
      // the thread's checkpoint ran on a busy core. Without the connection's checkpoint the log
      // only grows, to 30,000.
      expect(largest).toBeLessThan(5 * BACKSTOP_PAGES);
    } finally {
      await checkpoints.close();
      db.close();
    }
  });

  it('let the process end without a close, and close once however often asked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-wal-end-'));
    dirs.push(dir);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WRITER, join(dir, 'engram.db'), 'then-end'],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0); // 3 when it was still alive after a minute

    const db = openWal();
    const checkpoints = startWalCheckpoints({ db, logger: createSilentLogger(), startPages: 0 })!;
    expect(checkpoints.close()).toBe(checkpoints.close());
    await checkpoints.close();
    db.close();
  });

  it('none for a database in memory', () => {
    const db = new Database(':memory:');
    expect(startWalCheckpoints({ db, logger: createSilentLogger() })).toBeUndefined();
    db.close();
  });

  it('lose no committed row when the process is killed while its thread checkpoints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-wal-kill-'));
    dirs.push(dir);
    const path = join(dir, 'engram.db');
    for (const killAfter of [150, 400, 900]) {
      const process_ = spawn(process.execPath, ['--import', 'tsx', WRITER, path], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let committed = 0;
      let checkpointed = 0;
      let buffered = '';
      process_.stdout.on('data', (data: Buffer) => {
        buffered += data.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const [what, n] = line.split(' ');
          if (what === 'committed') committed = Number(n);
          else if (what === 'checkpoints') checkpointed = Number(n);
        }
      });
      const exited = new Promise((resolve) => process_.once('exit', resolve));
      await until(
        () => committed >= killAfter && checkpointed > 0,
        'commits and a checkpoint',
        30_000,
      );
      process_.kill('SIGKILL');
      await exited;
      const db = new Database(path);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const { last, txns, rows } = db
        .prepare('SELECT max(txn) AS last, count(DISTINCT txn) AS txns, count(*) AS rows FROM rows')
        .get() as { last: number; txns: number; rows: number };
      // Every commit the process reported is there, and every transaction whole (the one after
      // the last reported, if any, whole or not at all).
      expect(last).toBeGreaterThanOrEqual(committed);
      expect(txns).toBe(last);
      expect(rows).toBe(20 * txns);
      db.close();
    }
  }, 120_000);
});
