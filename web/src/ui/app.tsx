import type { ReadonlySignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import type { Api } from '../api/client.js';
import type { Router } from '../models/route.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import { AuditView } from './audit-view.js';
import { ConnectionIndicator } from './connection-indicator.js';
import { NewSessionView } from './new-session-view.js';
import { SessionView } from './session-view.js';
import { Sidebar } from './sidebar.js';

export interface AppProps {
  api: Api;
  engine: SyncEngine;
  router: Router;
  now: ReadonlySignal<number>;
}

/** The page: a header with the connection, the sessions beside whatever view is open. */
export function App({ api, engine, router, now }: AppProps) {
  const route = router.route.value;
  const selected = route.view === 'session' ? route.id : undefined;

  // A new view takes the focus to its heading, so that keyboard and screen reader users
  // land where the page changed; not on the first load, where the page starts at its top
  // (and the skip link comes first).
  const loaded = useRef(false);
  useEffect(() => {
    if (loaded.current) document.getElementById('view-heading')?.focus();
    loaded.current = true;
  }, [route.view, selected]);

  return (
    <div class="app" data-view={route.view}>
      {/* A button, not a link to #main: the address's hash is the route. */}
      <button
        type="button"
        class="skip-link"
        onClick={() => document.getElementById('view-heading')?.focus()}
      >
        Skip to content
      </button>
      <header class="topbar">
        <a class="brand" href="#/">
          <span class="brand-mark" aria-hidden="true" />
          sessionlog
        </a>
        <nav class="topnav" aria-label="Views">
          <a href="#/" aria-current={route.view !== 'audit' ? 'page' : undefined}>
            Sessions
          </a>
          <a href="#/audit" aria-current={route.view === 'audit' ? 'page' : undefined}>
            Audit log
          </a>
        </nav>
        <ConnectionIndicator engine={engine} now={now} />
      </header>
      {engine.connection.value.state === 'unauthorized' && (
        <div class="banner" role="alert">
          This server needs its token. Open the link <code>sessionlog serve</code> printed (it ends
          in <code>?token=…</code>); the dashboard keeps the token from then on.
        </div>
      )}
      <div class="layout">
        <Sidebar engine={engine} now={now} selected={selected} />
        <main id="main" class="main">
          {route.view !== 'home' && (
            <a class="back-link" href="#/">
              ← All sessions
            </a>
          )}
          {route.view === 'session' ? (
            <SessionView
              key={route.id}
              api={api}
              engine={engine}
              id={route.id}
              now={now}
              deleted={() => router.go({ view: 'home' })}
            />
          ) : route.view === 'new' ? (
            <NewSessionView
              api={api}
              engine={engine}
              opened={(id) => router.go({ view: 'session', id })}
            />
          ) : route.view === 'audit' ? (
            <AuditView api={api} engine={engine} now={now} />
          ) : (
            <Welcome engine={engine} />
          )}
        </main>
      </div>
    </div>
  );
}

function Welcome({ engine }: { engine: SyncEngine }) {
  const count = engine.sessions.value.size;
  return (
    <section class="view welcome" aria-labelledby="view-heading">
      <h1 id="view-heading" tabIndex={-1}>
        {count === 0 ? 'No sessions yet' : 'Pick a session'}
      </h1>
      <p class="lede">
        {count === 0
          ? 'Sessions appear here the moment they start, from this page or any tool using the API.'
          : 'Choose a session on the left to see its details and its events as they happen.'}
      </p>
      <p>
        <a class="button button-primary" href="#/new">
          New session
        </a>
      </p>
    </section>
  );
}
