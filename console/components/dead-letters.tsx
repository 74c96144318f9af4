// The tenant's dead letters (events that failed every delivery): when, the error, how many
// deliveries, the event itself, and a replay button per letter and for all of them
// (POST /v1/telemetry/dlq/replay). Replayed letters leave the list and are folded again.
import { useState } from 'preact/hooks';
import { api } from '../api';
import type { DeadLetterPage } from '../api-types';
import { usePolling } from '../use-polling';
import { ErrorNotice } from './error-notice';

const PAGE_SIZE = 50;
const REFRESH_MS = 10_000;

/** "model_call m1" from the stored event JSON; the raw text when it is not JSON. */
function eventLabel(event: string): string {
  try {
    const parsed = JSON.parse(event) as { type?: unknown; eventId?: unknown };
    return `${String(parsed.type)} ${String(parsed.eventId)}`;
  } catch {
    return event.slice(0, 80);
  }
}

export function DeadLetters() {
  const [pages, setPages] = useState(1);
  const [message, setMessage] = useState<string | null>(null);
  const [replayError, setReplayError] = useState<unknown>(null);
  const { data, error, refresh } = usePolling(
    () => api<DeadLetterPage>(`/v1/telemetry/dlq?limit=${PAGE_SIZE * pages}`),
    REFRESH_MS,
    [pages],
  );
  const replay = async (ids?: string[]) => {
    setMessage(null);
    setReplayError(null);
    try {
      const answer = await api<{ replayed: number }>('/v1/telemetry/dlq/replay', {
        method: 'POST',
        body: ids === undefined ? {} : { ids },
      });
      setMessage(`Replayed ${answer.replayed} event${answer.replayed === 1 ? '' : 's'}.`);
      refresh();
    } catch (failure) {
      setReplayError(failure);
    }
  };
  return (
    <section aria-labelledby="dead-letters-heading">
      <h2 id="dead-letters-heading">Dead letters</h2>
      <ErrorNotice error={error} />
      <ErrorNotice error={replayError} />
      {message === null ? null : <p role="status">{message}</p>}
      {data === undefined ? null : data.deadLetters.length === 0 ? (
        <p>No dead letters: every event was folded.</p>
      ) : (
        <>
          <div class="table-scroll">
            <table class="documents">
              <thead>
                <tr>
                  <th scope="col">Failed</th>
                  <th scope="col">Event</th>
                  <th scope="col">Error</th>
                  <th scope="col">Deliveries</th>
                  <th scope="col">
                    <span class="visually-hidden">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.deadLetters.map((letter) => (
                  <tr key={letter.id}>
                    <td>{new Date(letter.failedAt).toLocaleString()}</td>
                    <td>
                      <code title={letter.event}>{eventLabel(letter.event)}</code>
                    </td>
                    <td>{letter.error}</td>
                    <td>{letter.deliveries}</td>
                    <td>
                      <button
                        type="button"
                        aria-label={`Replay ${eventLabel(letter.event)}`}
                        onClick={() => void replay([letter.id])}
                      >
                        Replay
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p>
            <button type="button" onClick={() => void replay()}>
              Replay all
            </button>{' '}
            {data.nextCursor === null ? null : (
              <button type="button" class="link" onClick={() => setPages((n) => n + 1)}>
                Show more
              </button>
            )}
          </p>
        </>
      )}
    </section>
  );
}
