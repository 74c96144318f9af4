// What `engram.ingest(document)` and `engram.updateDocument(id, …)` return: the document and the
// version the content went to (its pipeline runs on the server), and `waitUntilDone()`, which
// polls until that version has completed or failed.
import { versionSettled } from '../domain/version-settled.js';
import type { Document, SubmittedDocument } from './types.js';

export interface WaitOptions {
  /** Time between status checks; default 500 ms. */
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

export class IngestHandle {
  readonly id: string;
  /** The version holding the content sent, and its status when it was stored. */
  readonly version: number;
  readonly status: SubmittedDocument['status'];
  /** True: a new document. */
  readonly created: boolean;
  /** False: the content was already the document's (or its next version's); nothing was queued. */
  readonly changed: boolean;
  readonly #getDocument: (id: string, signal?: AbortSignal) => Promise<Document>;

  constructor(
    submitted: SubmittedDocument,
    getDocument: (id: string, signal?: AbortSignal) => Promise<Document>,
  ) {
    this.id = submitted.id;
    this.version = submitted.version;
    this.status = submitted.status;
    this.created = submitted.created;
    this.changed = submitted.changed;
    this.#getDocument = getDocument;
  }

  /**
   * The document once this version is done: live (`version` reached), failed (`status`, or
   * `nextVersion.status`, is `failed`; `stage` and `error` say why), or replaced by a newer
   * submission before it completed.
   */
  async waitUntilDone(options: WaitOptions = {}): Promise<Document> {
    const pollIntervalMs = options.pollIntervalMs ?? 500;
    for (;;) {
      const document = await this.#getDocument(this.id, options.signal);
      if (versionSettled(document, this.version)) return document;
      await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
      options.signal?.throwIfAborted();
    }
  }
}
