// Search and recall playground: one query, sent to POST /v1/search (document chunks) and
// POST /v1/recall (memory); each hit shows its score breakdown as small bars. "Pack as context"
// sends the query to POST /v1/context and shows the packed text token by token.
import { useState } from 'preact/hooks';
import { api } from '../api';
import type {
  PackedContext,
  RecallItem,
  RecallResult,
  SearchHit,
  SearchResult,
} from '../api-types';
import { CiteButton } from '../components/cite-button';
import { ErrorNotice } from '../components/error-notice';
import { PackedContextView } from '../components/packed-context';
import { ScoreBars, termMaxima } from '../components/score-bars';

const K = 10;
const TOKENIZERS = ['o200k_base', 'cl100k_base'];
const DEFAULT_MAX_TOKENS = 200;

function PackAsContext({ query }: { query: string }) {
  const [tokenizer, setTokenizer] = useState(TOKENIZERS[0]!);
  const [maxTokens, setMaxTokens] = useState(DEFAULT_MAX_TOKENS);
  const [packed, setPacked] = useState<{
    context?: PackedContext;
    budget?: number;
    error?: unknown;
  }>({});
  const [busy, setBusy] = useState(false);
  const pack = async () => {
    setBusy(true);
    try {
      const context = await api<PackedContext>('/v1/context', {
        method: 'POST',
        body: { query, tokenizer, maxTokens, tokenOffsets: true },
      });
      setPacked({ context, budget: maxTokens });
    } catch (error) {
      setPacked({ error });
    }
    setBusy(false);
  };
  return (
    <section aria-labelledby="pack-heading">
      <h2 id="pack-heading">Pack as context</h2>
      <form
        class="query"
        onSubmit={(event) => {
          event.preventDefault();
          void pack();
        }}
      >
        <label for="tokenizer">Tokenizer</label>
        <select
          id="tokenizer"
          value={tokenizer}
          onChange={(event) => setTokenizer(event.currentTarget.value)}
        >
          {TOKENIZERS.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <label for="max-tokens">Token budget</label>
        <input
          id="max-tokens"
          type="number"
          min={1}
          value={maxTokens}
          onInput={(event) => setMaxTokens(Number(event.currentTarget.value))}
        />
        <button type="submit" disabled={busy || query.trim() === ''}>
          {busy ? 'Packing…' : 'Pack as context'}
        </button>
      </form>
      <ErrorNotice error={packed.error} />
      {packed.context === undefined ? null : (
        <PackedContextView context={packed.context} maxTokens={packed.budget ?? maxTokens} />
      )}
    </section>
  );
}

function searchTerms(hit: SearchHit): Record<string, number> {
  return {
    text: hit.scores.text?.score ?? 0,
    vector: hit.scores.vector?.similarity ?? 0,
    rrf: hit.scores.rrf,
  };
}

function recallTerms(item: RecallItem): Record<string, number> {
  const { text, vector, base, salience, recency, time, fused } = item.score;
  return { text, vector, base, salience, recency, time, fused };
}

function SearchHits({ result }: { result: SearchResult }) {
  const rows = result.hits.map(searchTerms);
  const maxima = termMaxima(rows);
  if (result.hits.length === 0) return <p>No document chunk matches.</p>;
  return (
    <ol class="hits">
      {result.hits.map((hit, i) => (
        <li key={hit.chunkId}>
          <div class="hit-head">
            <a href={`#/documents/${encodeURIComponent(hit.documentId)}`}>
              {hit.documentTitle ?? hit.documentId}
            </a>{' '}
            · chunk #{hit.ordinal}
          </div>
          <p class="hit-text">{hit.text}</p>
          <ScoreBars
            label={`Score of hit ${i + 1}`}
            terms={Object.entries(rows[i] ?? {}).map(([name, value]) => ({
              name,
              value,
              max: maxima[name] ?? 0,
            }))}
          />
        </li>
      ))}
    </ol>
  );
}

function RecallItems({ result }: { result: RecallResult }) {
  const rows = result.items.map(recallTerms);
  const maxima = termMaxima(rows);
  return (
    <>
      <p class="intent">Intent: {result.intent}</p>
      {result.items.length === 0 ? <p>Nothing recalled.</p> : null}
      <ol class="hits">
        {result.items.map((item, i) => (
          <li key={item.id}>
            <div class="hit-head">
              {item.tier} · {item.kind}
              {item.speaker === null ? '' : ` · ${item.speaker}`} · confidence{' '}
              {item.confidence.toFixed(2)}{' '}
              {item.kind === 'chunk' || item.kind === 'fact' ? null : <CiteButton id={item.id} />}
            </div>
            <p class="hit-text">{item.text}</p>
            <ScoreBars
              label={`Score of memory ${i + 1}`}
              terms={Object.entries(rows[i] ?? {}).map(([name, value]) => ({
                name,
                value,
                max: maxima[name] ?? 0,
              }))}
            />
          </li>
        ))}
      </ol>
    </>
  );
}

const TIERS = ['working', 'episodic', 'semantic'] as const;
type Tier = (typeof TIERS)[number];

interface RecallFilters {
  userId: string;
  sessionId: string;
  tiers: Tier[];
  /** datetime-local values (the browser's time zone); empty: unbounded. */
  from: string;
  to: string;
}

const NO_FILTERS: RecallFilters = {
  userId: '',
  sessionId: '',
  tiers: [...TIERS],
  from: '',
  to: '',
};

/** The filters as POST /v1/recall fields; an empty field filters nothing. */
function recallFields(filters: RecallFilters): Record<string, unknown> {
  const iso = (local: string) => new Date(local).toISOString();
  const timeRange = {
    ...(filters.from === '' ? {} : { from: iso(filters.from) }),
    ...(filters.to === '' ? {} : { to: iso(filters.to) }),
  };
  return {
    ...(filters.userId.trim() === '' ? {} : { userId: filters.userId.trim() }),
    ...(filters.sessionId.trim() === '' ? {} : { sessionId: filters.sessionId.trim() }),
    ...(filters.tiers.length === TIERS.length ? {} : { tiers: filters.tiers }),
    ...(Object.keys(timeRange).length === 0 ? {} : { timeRange }),
  };
}

function RecallFilterFields({
  filters,
  onChange,
}: {
  filters: RecallFilters;
  onChange: (filters: RecallFilters) => void;
}) {
  const text = (field: 'userId' | 'sessionId' | 'from' | 'to') => (event: Event) =>
    onChange({ ...filters, [field]: (event.currentTarget as HTMLInputElement).value });
  const toggle = (tier: Tier) => () =>
    onChange({
      ...filters,
      // At least one tier stays: recall over no tier is a question without an answer.
      tiers: filters.tiers.includes(tier)
        ? filters.tiers.length === 1
          ? filters.tiers
          : filters.tiers.filter((t) => t !== tier)
        : TIERS.filter((t) => t === tier || filters.tiers.includes(t)),
    });
  return (
    <fieldset class="recall-filters">
      <legend>Recall filters</legend>
      <label>
        User id <input value={filters.userId} onInput={text('userId')} />
      </label>
      <label>
        Session id <input value={filters.sessionId} onInput={text('sessionId')} />
      </label>
      {TIERS.map((tier) => (
        <label key={tier}>
          <input type="checkbox" checked={filters.tiers.includes(tier)} onChange={toggle(tier)} />{' '}
          {tier}
        </label>
      ))}
      <label>
        From <input type="datetime-local" value={filters.from} onInput={text('from')} />
      </label>
      <label>
        Until <input type="datetime-local" value={filters.to} onInput={text('to')} />
      </label>
    </fieldset>
  );
}

export function PlaygroundPage() {
  const [query, setQuery] = useState('');
  const [filters, setFilters] = useState<RecallFilters>(NO_FILTERS);
  const [search, setSearch] = useState<{ result?: SearchResult; error?: unknown }>({});
  const [recall, setRecall] = useState<{ result?: RecallResult; error?: unknown }>({});
  const [busy, setBusy] = useState(false);
  // Each run's lists are new elements: Chromium did not renumber an <ol> whose items Preact
  // reordered in place (the first recalled memory showed as "2.").
  const [run, setRun] = useState(0);

  const submit = async () => {
    setBusy(true);
    const [searched, recalled] = await Promise.allSettled([
      api<SearchResult>('/v1/search', { method: 'POST', body: { query, k: K } }),
      api<RecallResult>('/v1/recall', {
        method: 'POST',
        body: { query, k: K, ...recallFields(filters) },
      }),
    ]);
    setSearch(
      searched.status === 'fulfilled' ? { result: searched.value } : { error: searched.reason },
    );
    setRecall(
      recalled.status === 'fulfilled' ? { result: recalled.value } : { error: recalled.reason },
    );
    setRun((n) => n + 1);
    setBusy(false);
  };

  return (
    <>
      <h1>Search and recall</h1>
      <form
        class="query"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <label for="query">Query</label>
        <input
          id="query"
          type="search"
          value={query}
          onInput={(event) => setQuery(event.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Searching…' : 'Search'}
        </button>
        <RecallFilterFields filters={filters} onChange={setFilters} />
      </form>
      <div class="columns">
        <section aria-labelledby="search-heading">
          <h2 id="search-heading">Documents (hybrid search)</h2>
          <ErrorNotice error={search.error} />
          {search.result === undefined ? null : <SearchHits key={run} result={search.result} />}
        </section>
        <section aria-labelledby="recall-heading">
          <h2 id="recall-heading">Memory (recall)</h2>
          <ErrorNotice error={recall.error} />
          {recall.result === undefined ? null : <RecallItems key={run} result={recall.result} />}
        </section>
      </div>
      <PackAsContext query={query} />
    </>
  );
}
