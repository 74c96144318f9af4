// An API error where it happened: the server's message, its code and the request id to quote.
import { ApiError } from '../api';

export function ErrorNotice({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const api = error instanceof ApiError ? error : null;
  const message = error instanceof Error ? error.message : JSON.stringify(error);
  return (
    <div class="error" role="alert">
      <strong>{api?.code ?? 'Error'}</strong> {message}
      {api?.requestId ? <span class="request-id"> (request id {api.requestId})</span> : null}
    </div>
  );
}
