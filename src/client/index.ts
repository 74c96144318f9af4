// `engram/client`: the TypeScript client for an Engram server (Node 20+ and edge runtimes).
export { Engram, type CallOptions, type EngramOptions, type RememberTarget } from './engram.js';
export { EngramError, type EngramErrorCode } from './errors.js';
export { IngestHandle, type WaitOptions } from './ingest-handle.js';
export type * from './types.js';
export type { components, paths } from './generated/api.js';
