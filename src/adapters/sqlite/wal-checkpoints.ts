// Checkpoints of the store's write-ahead log in a thread of their own. By default SQLite
// checkpoints from the connection whose commit takes the log past 1,000 pages: on the event
// loop, which then copies those pages into the database file and waits for the disk to sync it.
// In the ingest bench's pipeline that was a fifth of the event loop's time (docs/performance.md).
// Once the log first holds `startPages`, a thread with its own connection checkpoints it every
// `intervalMs` (PASSIVE: it neither waits for nor blocks the writer or a reader). The store's
// connection still checkpoints, past BACKSTOP_PAGES: the log starts again from its beginning only
// after a checkpoint that caught up with it, which the thread's never does while a writer writes
// without pause; the connection's does (the writer is itself), and it finds little left to copy.
// The log then peaks at the backstop and what is written while a checkpoint of the thread holds
// the lock the connection's needs (6,900–8,200 pages at 27,000 pages a second in the test).
// If the thread fails or dies, the connection checkpoints as SQLite does by default again. A
// store that writes little never starts the thread.
import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../domain/logger.js';
import { startWorkerThread } from '../../providers/worker-thread.js';
import type { SqliteHandle } from './database.js';
import type { CheckpointThreadData, CheckpointThreadMessage } from './wal-checkpoint-worker.js';

/** SQLite's own threshold (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT), in pages. */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;
/** Where the store's connection checkpoints while the thread runs: 16 MB at 4 KB pages. */
export const BACKSTOP_PAGES = 4_000;
/** How often the log's size is looked at before the thread starts. */
const WATCH_MS = 250;
/** How long a stopping thread may take before it is terminated. */
const STOP_MS = 5_000;

export interface WalCheckpointStats {
  /** Whether the thread runs (started, its connection open, not failed or gone). */
  running: boolean;
  /** Checkpoints of the thread that copied pages. */
  checkpoints: number;
}

export interface WalCheckpoints {
  stats(): WalCheckpointStats;
  /** Stops the thread (its connection closed) and gives checkpoints back to the connection. */
  close(): Promise<void>;
}

export interface WalCheckpointOptions {
  db: SqliteHandle;
  logger: Logger;
  /** Pages the log holds before the thread starts (0: at once). */
  startPages?: number;
  intervalMs?: number;
  /** The thread's module and whom it is beside (tests give one that fails); this file's own otherwise. */
  thread?: { worker: string; callerUrl: string };
}

/** Undefined for a database in memory, or one not in WAL mode: no log to checkpoint. */
export function startWalCheckpoints(options: WalCheckpointOptions): WalCheckpoints | undefined {
  const { db, logger } = options;
  if (db.memory || db.pragma('journal_mode', { simple: true }) !== 'wal') return undefined;
  const startBytes =
    (options.startPages ?? 512) * (db.pragma('page_size', { simple: true }) as number);
  const data: CheckpointThreadData = {
    path: db.name,
    intervalMs: options.intervalMs ?? 100,
    backstopPages: BACKSTOP_PAGES,
  };
  const stats: WalCheckpointStats = { running: false, checkpoints: 0 };
  let thread: Worker | undefined;
  let threadExit: Promise<void> | undefined;
  let closing = false;
  let failed = false;
  /** The one stop every close() waits for. */
  let closed: Promise<void> | undefined;

  const autocheckpoint = (pages: number) => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${pages}`);
  };
  /** The thread failed or is gone: the connection checkpoints by itself (again). */
  const fallBack = (reason: string, error?: unknown) => {
    if (closing || failed) return;
    failed = true;
    stats.running = false;
    autocheckpoint(DEFAULT_AUTOCHECKPOINT_PAGES);
    logger.warn(
      { err: error },
      `the WAL checkpoint thread ${reason}; the store's connection checkpoints by itself`,
    );
  };

  const start = () => {
    thread = startWorkerThread(
      options.thread?.callerUrl ?? import.meta.url,
      options.thread?.worker ?? './wal-checkpoint-worker',
      'engram-wal-checkpoints',
      data,
    );
    const started = thread;
    threadExit = new Promise((resolve) => started.once('exit', () => resolve()));
    thread.on('message', (message: CheckpointThreadMessage) => {
      if (message.type === 'ready') {
        if (closing || failed) return;
        stats.running = true;
        autocheckpoint(BACKSTOP_PAGES);
      } else if (message.type === 'checkpointed') stats.checkpoints += 1;
      else fallBack(`failed (${message.message})`);
    });
    thread.on('error', (error) => fallBack('failed', error));
    thread.on('exit', () => fallBack('stopped'));
    // After the listeners: on Node 20 a 'message' listener added later holds the process open.
    thread.unref();
  };

  const logBytes = () => {
    try {
      return statSync(`${db.name}-wal`).size;
    } catch {
      return 0; // no log yet, or it was removed
    }
  };
  let watch: NodeJS.Timeout | undefined;
  if (startBytes === 0) start();
  else {
    watch = setInterval(() => {
      if (closing || logBytes() < startBytes) return;
      clearInterval(watch);
      start();
    }, WATCH_MS);
    watch.unref();
  }

  return {
    stats: () => ({ ...stats }),
    close() {
      closed ??= stop();
      return closed;
    },
  };

  async function stop(): Promise<void> {
    closing = true;
    clearInterval(watch);
    stats.running = false;
    autocheckpoint(DEFAULT_AUTOCHECKPOINT_PAGES);
    if (thread === undefined || threadExit === undefined) return;
    const stopping = thread;
    stopping.postMessage('stop');
    const timer = setTimeout(() => {
      logger.warn(`the WAL checkpoint thread did not stop within ${STOP_MS} ms; it was terminated`);
      void stopping.terminate();
    }, STOP_MS);
    await threadExit;
    clearTimeout(timer);
  }
}
