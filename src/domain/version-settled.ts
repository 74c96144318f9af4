// When a submitted version of a document is settled: live (the document reached it), failed
// (the first version, or the next version, failed), or replaced by a newer submission. Shared by
// the TypeScript client's waitUntilDone and `engram ingest`, which both poll a document.

export interface VersionedState {
  version: number;
  status: string;
  nextVersion: { version: number; status: string } | null;
}

export function versionSettled(document: VersionedState, version: number): boolean {
  if (document.version > version) return true;
  const next = document.nextVersion;
  if (next !== null)
    return next.version > version || (next.version === version && next.status === 'failed');
  // At this version, or its staged version was dropped (the live content was sent again).
  return document.status === 'completed' || document.status === 'failed';
}
