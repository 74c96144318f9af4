// The WAL checkpoint thread (wal-checkpoints.ts): its own connection to the store's file, a
// PASSIVE checkpoint at every interval (it neither waits for nor blocks the writer or a reader),
// until it is told to stop. Past `backstopPages` the store's connection checkpoints too, and that
// checkpoint is what lets the log start again (wal-checkpoints.ts): the thread then sits one
// interval out, so as not to hold the checkpoint lock when the connection wants it. A checkpoint
// that fails is reported and the thread stops: the store's own connection then checkpoints
// again, as SQLite does by default.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface CheckpointThreadData {
  path: string;
  intervalMs: number;
  backstopPages: number;
}

export type CheckpointThreadMessage =
  | { type: 'ready' }
  /** A checkpoint that copied pages. */
  | { type: 'checkpointed' }
  | { type: 'failed'; message: string };

const { path, intervalMs, backstopPages } = (workerData as { data: CheckpointThreadData }).data;
const post = (message: CheckpointThreadMessage) => parentPort!.postMessage(message);

const db = new Database(path, { fileMustExist: true });
/** The last checkpoint's figures: one that copied nothing new is not reported. */
let last = { log: 0, checkpointed: 0 };
const timer = setInterval(() => {
  if (last.log >= backstopPages) {
    last = { log: 0, checkpointed: 0 };
    return;
  }
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{
      log: number;
      checkpointed: number;
    }>;
    if (result === undefined) return;
    if (
      result.checkpointed > 0 &&
      (result.log !== last.log || result.checkpointed !== last.checkpointed)
    )
      post({ type: 'checkpointed' });
    last = result;
  } catch (error) {
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    stop();
  }
}, intervalMs);

function stop(): void {
  clearInterval(timer);
  if (db.open) db.close();
  parentPort!.close();
}

parentPort!.on('message', (message: unknown) => {
  if (message === 'stop') stop();
});
post({ type: 'ready' });
