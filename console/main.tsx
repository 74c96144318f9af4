// The console's shell: the key gate, the navigation, the server banner and the hash router
// (#/, #/documents[/ID], #/playground, #/graph[/ID], #/sessions[/ID],
// #/telemetry), so the server serves one page.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onApiKeyChange, setApiKey, storedApiKey } from './api';
import { KeyForm } from './components/key-form';
import { ServerBanner } from './components/server-banner';
import { DocumentPage, DocumentsPage } from './pages/documents';
import { EntityPage, GraphPage } from './pages/graph';
import { OverviewPage } from './pages/overview';
import { PlaygroundPage } from './pages/playground';
import { SessionPage, SessionsPage } from './pages/sessions';
import { TelemetryPage } from './pages/telemetry';
import { settings } from './settings';
import './styles.css';

const PAGES = [
  { href: '#/', label: 'Overview' },
  { href: '#/documents', label: 'Documents' },
  { href: '#/playground', label: 'Search and recall' },
  { href: '#/graph', label: 'Graph' },
  { href: '#/sessions', label: 'Sessions' },
  { href: '#/telemetry', label: 'Telemetry' },
];

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash || '#/');
  useEffect(() => {
    const update = () => setHash(window.location.hash || '#/');
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return hash;
}

function Page({ hash }: { hash: string }) {
  const document = /^#\/documents\/(.+)$/.exec(hash);
  if (document?.[1] !== undefined) return <DocumentPage id={decodeURIComponent(document[1])} />;
  if (hash === '#/documents') return <DocumentsPage />;
  if (hash === '#/playground') return <PlaygroundPage />;
  const entity = /^#\/graph\/(.+)$/.exec(hash);
  if (entity?.[1] !== undefined) return <EntityPage id={decodeURIComponent(entity[1])} />;
  if (hash === '#/graph') return <GraphPage />;
  const session = /^#\/sessions\/(.+)$/.exec(hash);
  if (session?.[1] !== undefined) return <SessionPage id={decodeURIComponent(session[1])} />;
  if (hash === '#/sessions') return <SessionsPage />;
  if (hash === '#/telemetry') return <TelemetryPage />;
  return <OverviewPage />;
}

function Console() {
  const hash = useHash();
  const [key, setKey] = useState(storedApiKey());
  const [reason, setReason] = useState<string | null>(null);
  useEffect(
    () =>
      onApiKeyChange((why) => {
        setKey(storedApiKey());
        setReason(why);
      }),
    [],
  );
  if (settings.authRequired && key === null) {
    return (
      <main>
        <KeyForm reason={reason} />
      </main>
    );
  }
  const current = /^#\/[a-z]*/.exec(hash)?.[0] ?? '#/';
  return (
    <>
      <ServerBanner />
      <header>
        <span class="brand">Engram</span>
        <nav aria-label="Console pages">
          {PAGES.map((page) => (
            <a
              key={page.href}
              href={page.href}
              aria-current={current === page.href ? 'page' : undefined}
            >
              {page.label}
            </a>
          ))}
        </nav>
        {settings.authRequired ? (
          <button type="button" class="link" onClick={() => setApiKey(null)}>
            Forget key
          </button>
        ) : null}
      </header>
      <main>
        <Page hash={hash} />
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root === null) throw new Error('The page has no #app element.');
render(<Console />, root);
