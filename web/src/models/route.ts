import { type ReadonlySignal, signal } from '@preact/signals';

/** What the main area shows; the address bar's hash, so back, forward and links work. */
export type Route =
  | { view: 'home' }
  | { view: 'session'; id: string }
  | { view: 'new' }
  | { view: 'audit' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '/new') return { view: 'new' };
  if (path === '/audit') return { view: 'audit' };
  const session = /^\/sessions\/([^/]+)$/.exec(path);
  if (session?.[1] !== undefined) return { view: 'session', id: decodeURIComponent(session[1]) };
  return { view: 'home' };
}

export function href(route: Route): string {
  switch (route.view) {
    case 'home':
      return '#/';
    case 'new':
      return '#/new';
    case 'audit':
      return '#/audit';
    case 'session':
      return `#/sessions/${encodeURIComponent(route.id)}`;
  }
}

export interface Router {
  readonly route: ReadonlySignal<Route>;
  go(route: Route): void;
}

/** The current route, following the window's hash. */
export function hashRouter(window: Window): Router {
  const route = signal(parseRoute(window.location.hash));
  window.addEventListener('hashchange', () => {
    route.value = parseRoute(window.location.hash);
  });
  return {
    route,
    go(next) {
      window.location.hash = href(next);
    },
  };
}
