// Sessions: a user's sessions, most recently active first (pages of 50), and a session's page
// with its working memory (its last turns, each of which can be cited) and how far it has been
// distilled.
import { useState } from 'preact/hooks';
import { api } from '../api';
import type { SessionDetail, SessionList } from '../api-types';
import { CiteButton } from '../components/cite-button';
import { ErrorNotice } from '../components/error-notice';
import { usePolling } from '../use-polling';

const PAGE_SIZE = 50;
const REFRESH_MS = 5_000;

function SessionTable({ userId }: { userId: string }) {
  const [pages, setPages] = useState(1);
  const query = `limit=${PAGE_SIZE * pages}${userId === '' ? '' : `&userId=${encodeURIComponent(userId)}`}`;
  const { data, error } = usePolling(() => api<SessionList>(`/v1/sessions?${query}`), REFRESH_MS, [
    query,
  ]);
  return (
    <>
      <ErrorNotice error={error} />
      {data === undefined ? null : data.sessions.length === 0 ? (
        <p>No sessions {userId === '' ? 'without a user' : `for ${userId}`}.</p>
      ) : (
        <table class="documents">
          <thead>
            <tr>
              <th scope="col">Session</th>
              <th scope="col">Agent</th>
              <th scope="col">Turns</th>
              <th scope="col">Last active</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {data.sessions.map((session) => (
              <tr key={session.id}>
                <td>
                  <a href={`#/sessions/${encodeURIComponent(session.id)}`}>{session.id}</a>
                </td>
                <td>{session.agentId ?? '—'}</td>
                <td>{session.turnCount}</td>
                <td>{new Date(session.lastActiveAt).toLocaleString()}</td>
                <td>{new Date(session.expiresAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data?.nextCursor == null ? null : (
        <button type="button" onClick={() => setPages((n) => n + 1)}>
          Show more
        </button>
      )}
    </>
  );
}

export function SessionsPage() {
  const [draft, setDraft] = useState('');
  const [userId, setUserId] = useState<string | null>(null);
  return (
    <>
      <h1>Sessions</h1>
      <form
        class="query"
        onSubmit={(event) => {
          event.preventDefault();
          setUserId(draft.trim());
        }}
      >
        <label for="user-id">User id</label>
        <input
          id="user-id"
          value={draft}
          onInput={(event) => setDraft(event.currentTarget.value)}
        />
        <button type="submit">Show sessions</button>
      </form>
      {userId === null ? (
        <p>Sessions are listed per user: enter a user id (empty: sessions without a user).</p>
      ) : (
        <SessionTable key={userId} userId={userId} />
      )}
    </>
  );
}

export function SessionPage({ id }: { id: string }) {
  const path = `/v1/sessions/${encodeURIComponent(id)}`;
  const { data, error } = usePolling(() => api<SessionDetail>(path), REFRESH_MS, [path]);
  return (
    <>
      <p>
        <a href="#/sessions">← Sessions</a>
      </p>
      <h1>Session {id}</h1>
      <ErrorNotice error={error} />
      {data === undefined ? null : (
        <>
          <dl class="facts">
            <dt>User</dt>
            <dd>{data.session.userId ?? '—'}</dd>
            <dt>Turns</dt>
            <dd>{data.session.turnCount}</dd>
            <dt>Distilled through turn</dt>
            <dd>{data.session.distilledThrough}</dd>
            <dt>Expires</dt>
            <dd>{new Date(data.session.expiresAt).toLocaleString()}</dd>
          </dl>
          <h2>Working memory</h2>
          <ol class="hits">
            {data.workingMemory.map((turn) => (
              <li key={turn.id}>
                <div class="hit-head">
                  {turn.speaker ?? '—'} · {turn.tier} · citation id {turn.id}
                </div>
                <p class="hit-text">{turn.text}</p>
                <CiteButton id={turn.id} />
              </li>
            ))}
          </ol>
        </>
      )}
    </>
  );
}
