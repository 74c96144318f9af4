// Documents: the list with status and stage (filter by status, pages of 50), upload by file
// picker or drag and drop, and a document's page with its stage timings, the entities it produced,
// its chunks, and retry (a failed document) and delete buttons.
import { useState } from 'preact/hooks';
import { api } from '../api';
import type {
  ChunkPage,
  Deleted,
  Document,
  DocumentList,
  DocumentStatus,
  EntityList,
  RetriedDocument,
  Submitted,
} from '../api-types';
import { ErrorNotice } from '../components/error-notice';
import { ACCEPTED_EXTENSIONS, checkUpload } from '../upload-check';
import { usePolling } from '../use-polling';

const PAGE_SIZE = 50;
/** A list with documents in progress refreshes this often, so their stage is seen moving. */
const REFRESH_MS = 2_000;
const STATUSES: DocumentStatus[] = ['pending', 'processing', 'completed', 'failed'];

function StatusBadge({ document }: { document: Document }) {
  return (
    <span class={`status status-${document.status}`}>
      {document.status}
      {document.stage === null ? '' : ` · ${document.stage}`}
    </span>
  );
}

function Upload({ onUploaded }: { onUploaded: () => void }) {
  const [message, setMessage] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [dragging, setDragging] = useState(false);

  const upload = async (files: FileList | null) => {
    setMessage(null);
    setRefusal(null);
    setError(null);
    for (const file of Array.from(files ?? [])) {
      const checked = checkUpload(file);
      if (!checked.ok) {
        setRefusal(checked.reason);
        continue;
      }
      try {
        const submitted = await api<Submitted>('/v1/documents', {
          method: 'POST',
          body: checked.body,
        });
        setMessage(
          submitted.created
            ? `${file.name} uploaded: ${submitted.status}.`
            : `${file.name} is already here (same content).`,
        );
        onUploaded();
      } catch (failure) {
        setError(failure);
      }
    }
  };

  return (
    <section
      class={dragging ? 'dropzone dragging' : 'dropzone'}
      aria-labelledby="upload-heading"
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(event) => {
        event.preventDefault();
        setDragging(false);
        void upload(event.dataTransfer?.files ?? null);
      }}
    >
      <h2 id="upload-heading">Upload</h2>
      <label for="upload-file">
        Drop a file here or choose one ({ACCEPTED_EXTENSIONS.join(', ')})
      </label>
      <input
        id="upload-file"
        type="file"
        accept={ACCEPTED_EXTENSIONS.join(',')}
        onChange={(event) => {
          const input = event.currentTarget;
          void upload(input.files).then(() => (input.value = ''));
        }}
      />
      {message === null ? null : <p role="status">{message}</p>}
      {refusal === null ? null : (
        <div class="error" role="alert">
          Not uploaded: {refusal}
        </div>
      )}
      <ErrorNotice error={error} />
    </section>
  );
}

export function DocumentsPage() {
  const [status, setStatus] = useState<DocumentStatus | ''>('');
  const [pages, setPages] = useState(1);
  const query = `limit=${PAGE_SIZE * pages}${status === '' ? '' : `&status=${status}`}`;
  const { data, error, refresh } = usePolling(
    () => api<DocumentList>(`/v1/documents?${query}`),
    REFRESH_MS,
    [query],
  );
  return (
    <>
      <h1>Documents</h1>
      <Upload onUploaded={refresh} />
      <section aria-labelledby="list-heading">
        <h2 id="list-heading">All documents</h2>
        <label for="status-filter">Status </label>
        <select
          id="status-filter"
          value={status}
          onChange={(event) => {
            setStatus(event.currentTarget.value as DocumentStatus | '');
            setPages(1);
          }}
        >
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <ErrorNotice error={error} />
        {data === undefined ? null : data.documents.length === 0 ? (
          <p>No documents yet.</p>
        ) : (
          <div class="table-scroll">
            <table class="documents">
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Status</th>
                  <th scope="col">Chunks</th>
                  <th scope="col">Entities</th>
                  <th scope="col">Size</th>
                  <th scope="col">Added</th>
                </tr>
              </thead>
              <tbody>
                {data.documents.map((document) => (
                  <tr key={document.id}>
                    <td>
                      <a href={`#/documents/${encodeURIComponent(document.id)}`}>
                        {document.title ?? document.id}
                      </a>
                    </td>
                    <td>
                      <StatusBadge document={document} />
                    </td>
                    <td>{document.counts.chunks}</td>
                    <td>{document.counts.entities}</td>
                    <td>{document.sizeBytes} B</td>
                    <td>{new Date(document.createdAt).toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {data?.nextCursor == null ? null : (
          <button type="button" onClick={() => setPages((n) => n + 1)}>
            Show more
          </button>
        )}
      </section>
    </>
  );
}

export function DocumentPage({ id }: { id: string }) {
  const path = `/v1/documents/${encodeURIComponent(id)}`;
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState(false);
  const [inProgress, setInProgress] = useState(true);
  // Refreshed while the pipeline runs, so the stage is seen moving; still once it is done.
  const interval = inProgress && !deleting ? REFRESH_MS : null;
  const document = usePolling(
    async () => {
      const answer = await api<Document>(path);
      setInProgress(answer.status === 'pending' || answer.status === 'processing');
      return answer;
    },
    interval,
    [path],
  );
  const chunks = usePolling(() => api<ChunkPage>(`${path}/chunks?limit=200`), interval, [
    path,
    inProgress,
  ]);
  const entities = usePolling(
    () => api<EntityList>(`/v1/entities?documentId=${encodeURIComponent(id)}&limit=100`),
    interval,
    [id, inProgress],
  );
  const [retryError, setRetryError] = useState<unknown>(null);
  const retry = () => {
    setRetryError(null);
    api<RetriedDocument>(`${path}/retry`, { method: 'POST' }).then(
      () => {
        setInProgress(true);
        document.refresh();
      },
      (failure: unknown) => setRetryError(failure),
    );
  };
  const doc = document.data;
  return (
    <>
      <p>
        <a href="#/documents">← Documents</a>
      </p>
      <h1>{doc?.title ?? id}</h1>
      <ErrorNotice error={document.error} />
      {doc === undefined ? null : (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge document={doc} />
            </dd>
            <dt>Type</dt>
            <dd>{doc.mimeType}</dd>
            <dt>Chunks / entities / relations</dt>
            <dd>
              {doc.counts.chunks} / {doc.counts.entities} / {doc.counts.relations}
            </dd>
            <dt>Stage timings</dt>
            <dd>
              {Object.entries(doc.timings)
                .map(([stage, value]) => `${stage} ${value} ms`)
                .join(', ') || '—'}
            </dd>
            {doc.error === null ? null : (
              <>
                <dt>Error</dt>
                <dd>{doc.error}</dd>
              </>
            )}
          </dl>
          {doc.status === 'failed' ? (
            <>
              <button type="button" onClick={retry}>
                Retry
              </button>{' '}
            </>
          ) : null}
          <button
            type="button"
            class="danger"
            onClick={() => {
              if (!window.confirm(`Delete ${doc.title ?? doc.id} with its chunks and vectors?`))
                return;
              setDeleting(true);
              api<Deleted>(path, { method: 'DELETE' }).then(
                () => (window.location.hash = '#/documents'),
                (failure: unknown) => {
                  setDeleting(false);
                  setDeleteError(failure);
                },
              );
            }}
          >
            Delete document
          </button>
          <ErrorNotice error={deleteError} />
          <ErrorNotice error={retryError} />
        </>
      )}
      <h2>Entities</h2>
      <ErrorNotice error={entities.error} />
      {entities.data === undefined ? null : entities.data.entities.length === 0 ? (
        <p>No entities (yet).</p>
      ) : (
        <ul class="entity-list" aria-label="Entities in this document">
          {entities.data.entities.map((entity) => (
            <li key={entity.id}>
              <a href={`#/graph/${encodeURIComponent(entity.id)}`}>{entity.name}</a>{' '}
              <span class="muted">{entity.type}</span>
            </li>
          ))}
        </ul>
      )}
      <h2>Chunks</h2>
      <ErrorNotice error={chunks.error} />
      <ol class="chunks">
        {(chunks.data?.chunks ?? []).map((chunk) => (
          <li key={chunk.id}>
            <div class="chunk-meta">
              #{chunk.ordinal} · {chunk.tokenCount} tokens
              {chunk.headingPath.length > 0 ? ` · ${chunk.headingPath.join(' › ')}` : ''}
            </div>
            <pre>{chunk.text}</pre>
          </li>
        ))}
      </ol>
      {chunks.data?.nextCursor == null ? null : <p>Only the first 200 chunks are shown.</p>}
    </>
  );
}
