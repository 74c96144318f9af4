// Heartbeat store port: where every node's background loops report that they are alive, so any
// node's /ready sees the workers of the whole deployment, not only its own.
// Adapter: Redis (distributed deployments); embedded mode reads its in-process heartbeats.

export interface SharedBeat {
  /** The loop, e.g. "worker:ingest". */
  name: string;
  /** When a node last vouched for the loop, ms since epoch (that node's clock). */
  lastBeatMs: number;
}

export interface HeartbeatStore {
  /** Records this node's latest beat of each loop (newer replaces older). */
  publish(nodeId: string, beats: SharedBeat[]): Promise<void>;
  /** Forgets this node's beats (a graceful stop, so nobody mistakes it for a dead worker). */
  withdraw(nodeId: string, names: string[]): Promise<void>;
  /** Per loop, the newest beat any node published; beats older than `forgetBeforeMs` are dropped. */
  latest(forgetBeforeMs: number): Promise<SharedBeat[]>;
}
