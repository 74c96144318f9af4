// What a submission does to the document it found: nothing, replace a first version that never
// completed, or stage a next version beside the live one. Shared by the SQLite and PostgreSQL
// document stores, which run it inside their submission transaction.
import { AppError } from '../domain/errors.js';
import type { DocumentRecord, NewDocument } from '../ports/document-store.js';

export type SubmissionPlan =
  | { action: 'none'; dropStaged?: string }
  | { action: 'replace-first'; metadata: Record<string, unknown>; dropStaged?: undefined }
  | { action: 'stage'; version: number; metadata: Record<string, unknown>; dropStaged?: string };

export function planSubmission(target: DocumentRecord, input: NewDocument): SubmissionPlan {
  // A keyless submission found its document by this very content.
  if (input.key == null && input.documentId === undefined) return { action: 'none' };
  const staged = target.nextVersion;
  if (target.contentHash === input.contentHash) {
    // Back to the live content: a staged version in between is no longer wanted.
    return staged === null ? { action: 'none' } : { action: 'none', dropStaged: staged.id };
  }
  if (staged?.contentHash === input.contentHash) return { action: 'none' };
  // Metadata sent with a new version is merged over the document's, so a sync sending content
  // alone keeps what was set before.
  const metadata = { ...target.metadata, ...input.metadata };
  if (target.status !== 'completed') {
    if (target.status === 'processing') {
      throw new AppError(
        'CONFLICT',
        `Document ${target.id} has no completed version yet and its version ${target.version} is being processed; send the new content once it completes or fails (or delete the document).`,
        { retryable: true, details: { documentId: target.id, version: target.version } },
      );
    }
    return { action: 'replace-first', metadata };
  }
  const version = Math.max(target.version, staged?.version ?? 0) + 1;
  return staged === null
    ? { action: 'stage', version, metadata }
    : { action: 'stage', version, metadata, dropStaged: staged.id };
}
