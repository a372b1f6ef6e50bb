import { effect } from '@preact/signals';
import { render } from 'preact';
import { createApi } from './api/client.js';
import { browserSocket } from './browser-socket.js';
import { tickingNow } from './models/clock.js';
import { hashRouter } from './models/route.js';
import { fetchEventStream } from './sync/event-stream.js';
import { createSyncEngine } from './sync/sync-engine.js';
import { forgetToken, takeToken } from './token.js';
import { App } from './ui/app.js';
import './styles/base.css';
import './styles/shell.css';
import './styles/session.css';
import './styles/audit.css';

// The page's composition root: the browser's fetch, WebSocket, clock and address bar,
// handed to the parts that need them.
const token = takeToken(window.location, window.history);
const baseUrl = window.location.origin;
const fetchJson = (url: string, init: RequestInit) => window.fetch(url, init);
const engine = createSyncEngine({
  baseUrl,
  token,
  fetch: fetchJson,
  openSocket: browserSocket,
  // The fallback when the WebSocket keeps failing (a proxy that breaks upgrades, say).
  openEventStream: fetchEventStream((url, init) => window.fetch(url, init)),
});
const api = createApi({ baseUrl, token, fetch: fetchJson });
const router = hashRouter(window);
const now = tickingNow();

effect(() => {
  if (engine.connection.value.state === 'unauthorized') forgetToken();
});
// Back online, or back to a tab that slept in the background: no reason to wait out a backoff.
window.addEventListener('online', () => engine.retryNow());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') engine.retryNow();
});

engine.start();
const root = document.getElementById('app');
if (root !== null) render(<App api={api} engine={engine} router={router} now={now} />, root);
