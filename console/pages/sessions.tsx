// Sessions: a user's sessions, most recently active first (pages of 50), and a session's page
// with its working memory (its last turns, each of which can be cited), how far it has been
// distilled, and the episodes distilled from it with their salience and promotion state (pages
// of 50 from GET /v1/sessions/:id/episodes).
import { useState } from 'preact/hooks';
import { api } from '../api';
import type { EpisodePage, SessionDetail, SessionList } from '../api-types';
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
        <div class="table-scroll">
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
        </div>
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

function Episodes({ id }: { id: string }) {
  const path = `/v1/sessions/${encodeURIComponent(id)}/episodes?limit=${PAGE_SIZE}`;
  const first = usePolling(() => api<EpisodePage>(path), REFRESH_MS, [path]);
  const [more, setMore] = useState<EpisodePage['episodes']>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const next = cursor === undefined ? (first.data?.nextCursor ?? null) : cursor;
  const loadMore = () => {
    if (next === null) return;
    setError(null);
    api<EpisodePage>(`${path}&cursor=${encodeURIComponent(next)}`).then(
      (page) => {
        setMore((shown) => [...shown, ...page.episodes]);
        setCursor(page.nextCursor);
      },
      (failure: unknown) => setError(failure),
    );
  };
  const episodes = [...(first.data?.episodes ?? []), ...more];
  return (
    <section aria-labelledby="episodes-heading">
      <h2 id="episodes-heading">Episodes distilled</h2>
      <ErrorNotice error={first.error} />
      {first.data === undefined ? null : episodes.length === 0 ? (
        <p>No episodes yet: turns are distilled once they leave working memory.</p>
      ) : (
        <ol class="hits">
          {episodes.map((episode) => (
            <li key={episode.id}>
              <div class="hit-head">
                {new Date(episode.occurredAt).toLocaleString()} · citation id {episode.id}
              </div>
              <p class="hit-text">{episode.text}</p>
              <div class="episode-state">
                <span class="bar-cell" title="salience">
                  salience
                  <span class="bar" aria-hidden="true">
                    <span class="fill" style={{ width: `${episode.salience * 100}%` }} />
                  </span>
                  <span class="value">{episode.salience.toFixed(3)}</span>
                </span>
                <span class={episode.promotedId === null ? 'status' : 'status status-completed'}>
                  {episode.promotedId === null
                    ? 'episodic'
                    : `promoted to semantic memory as ${episode.promotedId}`}
                </span>
              </div>
              <CiteButton id={episode.id} onCited={first.refresh} />
            </li>
          ))}
        </ol>
      )}
      <ErrorNotice error={error} />
      {next === null ? null : (
        <button type="button" onClick={loadMore}>
          Show more episodes
        </button>
      )}
    </section>
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
          <section aria-labelledby="working-heading">
            <h2 id="working-heading">Working memory</h2>
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
          </section>
        </>
      )}
      <Episodes key={id} id={id} />
    </>
  );
}
