// What `engram.ingest(document)` returns: the document as stored (its pipeline runs on the
// server) and `waitUntilDone()`, which polls its status until the pipeline has finished.
import type { Document, SubmittedDocument } from './types.js';

export interface WaitOptions {
  /** Time between status checks; default 500 ms. */
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

export class IngestHandle {
  readonly id: string;
  readonly status: SubmittedDocument['status'];
  /** False when the same content was already in the namespace: this is that document. */
  readonly created: boolean;
  readonly #getDocument: (id: string, signal?: AbortSignal) => Promise<Document>;

  constructor(
    submitted: SubmittedDocument,
    getDocument: (id: string, signal?: AbortSignal) => Promise<Document>,
  ) {
    this.id = submitted.id;
    this.status = submitted.status;
    this.created = submitted.created;
    this.#getDocument = getDocument;
  }

  /** The document once it is `completed` or `failed` (then `stage` and `error` say why). */
  async waitUntilDone(options: WaitOptions = {}): Promise<Document> {
    const pollIntervalMs = options.pollIntervalMs ?? 500;
    for (;;) {
      const document = await this.#getDocument(this.id, options.signal);
      if (document.status === 'completed' || document.status === 'failed') return document;
      await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
      options.signal?.throwIfAborted();
    }
  }
}
