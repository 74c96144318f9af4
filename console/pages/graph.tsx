// Graph explorer: entity search (GET /v1/entities), and an entity's page (GET /v1/entities/:id)
// with its aliases, its facts (superseded ones struck through with when they stopped holding),
// its mentions with the sentence each was read in (more page by page from
// GET /v1/entities/:id/mentions), and its neighbourhood at depth 1-3
// (GET /v1/graph/neighborhood) drawn as an interactive graph.
import { useState } from 'preact/hooks';
import { api } from '../api';
import type { EntityDetail, EntityList, MentionPage, Neighborhood } from '../api-types';
import { ErrorNotice } from '../components/error-notice';
import { NeighborhoodGraph } from '../components/neighborhood-graph';
import { usePolling } from '../use-polling';

const SEARCH_LIMIT = 50;
const DEPTHS = [1, 2, 3] as const;

function entityHref(id: string): string {
  return `#/graph/${encodeURIComponent(id)}`;
}

function day(iso: string): string {
  return new Date(iso).toLocaleString();
}

function SearchResults({ query }: { query: string }) {
  const { data, error } = usePolling(
    () => api<EntityList>(`/v1/entities?query=${encodeURIComponent(query)}&limit=${SEARCH_LIMIT}`),
    null,
    [query],
  );
  return (
    <>
      <ErrorNotice error={error} />
      {data === undefined ? null : data.entities.length === 0 ? (
        <p>No entity matches “{query}”.</p>
      ) : (
        <div class="table-scroll">
          <table class="documents">
            <thead>
              <tr>
                <th scope="col">Entity</th>
                <th scope="col">Type</th>
                <th scope="col">Mentions</th>
              </tr>
            </thead>
            <tbody>
              {data.entities.map((entity) => (
                <tr key={entity.id}>
                  <td>
                    <a href={entityHref(entity.id)}>{entity.name}</a>
                  </td>
                  <td>{entity.type}</td>
                  <td>{entity.mentionCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function GraphPage() {
  const [draft, setDraft] = useState('');
  const [query, setQuery] = useState<string | null>(null);
  return (
    <>
      <h1>Graph explorer</h1>
      <form
        class="query"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          if (draft.trim() !== '') setQuery(draft.trim());
        }}
      >
        <label for="entity-query">Entity name</label>
        <input
          id="entity-query"
          type="search"
          value={draft}
          onInput={(event) => setDraft(event.currentTarget.value)}
        />
        <button type="submit">Find entities</button>
      </form>
      {query === null ? (
        <p>Find an entity by its name or an alias (case and legal suffixes are ignored).</p>
      ) : (
        <SearchResults key={query} query={query} />
      )}
    </>
  );
}

function Facts({ facts }: { facts: EntityDetail['facts'] }) {
  if (facts.length === 0) return <p>No facts.</p>;
  return (
    <ul class="entity-facts">
      {facts.map((fact) => (
        <li key={fact.id} class={fact.invalidAt === null ? 'current' : 'superseded'}>
          {fact.invalidAt === null ? (
            <span>{fact.text}</span>
          ) : (
            <>
              <s>{fact.text}</s> <span class="muted">superseded {day(fact.invalidAt)}</span>
            </>
          )}
          {fact.sources.map((source) => (
            <blockquote key={source.chunkId} class="source">
              {source.sentence}{' '}
              <a href={`#/documents/${encodeURIComponent(source.documentId)}`}>document</a>
            </blockquote>
          ))}
        </li>
      ))}
    </ul>
  );
}

/** Mentions asked for at a time beyond the detail's first ones. */
const MENTION_PAGE = 50;

function Mentions({ detail }: { detail: EntityDetail }) {
  const [more, setMore] = useState<MentionPage['mentions']>([]);
  const [cursor, setCursor] = useState<string | null>(detail.mentionsNextCursor);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (detail.mentions.length === 0) return <p>No mentions.</p>;
  const loadMore = () => {
    if (cursor === null) return;
    setLoading(true);
    setError(null);
    const path = `/v1/entities/${encodeURIComponent(detail.entity.id)}/mentions`;
    api<MentionPage>(`${path}?limit=${MENTION_PAGE}&cursor=${encodeURIComponent(cursor)}`).then(
      (page) => {
        setMore((shown) => [...shown, ...page.mentions]);
        setCursor(page.nextCursor);
        setLoading(false);
      },
      (failure: unknown) => {
        setError(failure);
        setLoading(false);
      },
    );
  };
  const mentions = [...detail.mentions, ...more];
  return (
    <>
      <p class="muted">
        {mentions.length} of {detail.entity.mentionCount} shown
      </p>
      <ul class="mentions">
        {mentions.map((mention) => (
          <li key={`${mention.documentId}:${mention.chunkId}:${mention.surface}`}>
            <span class="muted">“{mention.surface}” in </span>
            <a href={`#/documents/${encodeURIComponent(mention.documentId)}`}>
              {mention.documentId}
            </a>
            <blockquote class="source">{mention.sentence ?? '(sentence not found)'}</blockquote>
          </li>
        ))}
      </ul>
      <ErrorNotice error={error} />
      {cursor === null ? null : (
        <button type="button" onClick={loadMore} disabled={loading}>
          Show more mentions
        </button>
      )}
    </>
  );
}

function NeighborhoodSection({ id }: { id: string }) {
  const [depth, setDepth] = useState<number>(1);
  const [includeInvalid, setIncludeInvalid] = useState(false);
  const path =
    `/v1/graph/neighborhood?entity=${encodeURIComponent(id)}&depth=${depth}` +
    `&includeInvalid=${includeInvalid}`;
  const { data, error } = usePolling(() => api<Neighborhood>(path), null, [path]);
  return (
    <section aria-labelledby="neighbourhood-heading">
      <h2 id="neighbourhood-heading">Neighbourhood</h2>
      <div class="query">
        <label for="depth">Depth</label>
        <select
          id="depth"
          value={depth}
          onChange={(event) => setDepth(Number(event.currentTarget.value))}
        >
          {DEPTHS.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
        <label>
          <input
            type="checkbox"
            checked={includeInvalid}
            onChange={(event) => setIncludeInvalid(event.currentTarget.checked)}
          />{' '}
          Superseded facts too
        </label>
      </div>
      <ErrorNotice error={error} />
      {data === undefined ? null : (
        <>
          <NeighborhoodGraph data={data} />
          <p class="muted">
            {data.entities.length} entities, {data.relations.length} relations
            {data.truncated ? ' (cut at the size cap)' : ''}. Select an entity to centre on it.
          </p>
        </>
      )}
    </section>
  );
}

export function EntityPage({ id }: { id: string }) {
  const { data, error } = usePolling(
    () => api<EntityDetail>(`/v1/entities/${encodeURIComponent(id)}`),
    null,
    [id],
  );
  return (
    <>
      <p>
        <a href="#/graph">← Graph explorer</a>
      </p>
      <h1>{data?.entity.name ?? id}</h1>
      <ErrorNotice error={error} />
      {data === undefined ? null : (
        <>
          <dl class="facts">
            <dt>Type</dt>
            <dd>{data.entity.type}</dd>
            <dt>Mentions</dt>
            <dd>{data.entity.mentionCount}</dd>
            <dt>Aliases</dt>
            <dd>
              <ul class="aliases" aria-label="Aliases">
                {data.aliases.map((alias) => (
                  <li key={alias.alias}>
                    {alias.alias}{' '}
                    <span class="muted">
                      ({alias.method}
                      {alias.method === 'fuzzy' || alias.method === 'embedding'
                        ? ` ${alias.score.toFixed(2)}`
                        : ''}
                      )
                    </span>
                  </li>
                ))}
              </ul>
            </dd>
          </dl>
          <div class="columns">
            <section aria-labelledby="facts-heading">
              <h2 id="facts-heading">Facts</h2>
              <Facts facts={data.facts} />
              {data.factsTruncated ? <p>Only the newest facts are shown.</p> : null}
            </section>
            <section aria-labelledby="mentions-heading">
              <h2 id="mentions-heading">Mentions</h2>
              <Mentions key={data.entity.id} detail={data} />
            </section>
          </div>
          <NeighborhoodSection key={id} id={id} />
        </>
      )}
    </>
  );
}
