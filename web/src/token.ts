const KEY = 'sessionlog.token';

/**
 * The token, taken from `?token=` once and then kept (SPEC, "Security defaults"): removed
 * from the address bar at once, so it does not linger in the history, a bookmark or a
 * screenshot. Kept in localStorage rather than sessionStorage because the dashboard is meant
 * to be open in several tabs, and a tab opened from a bookmark or by typing the address has
 * no sessionStorage of its own; the token is no more secret on this machine than the
 * terminal that printed it.
 */
export function takeToken(location: Location, history: History): string | undefined {
  const url = new URL(location.href);
  const given = url.searchParams.get('token');
  if (given === null) return read();
  url.searchParams.delete('token');
  history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
  if (given === '') {
    forgetToken();
    return undefined;
  }
  write(given);
  return given;
}

/** Drops a kept token the server refused, so that it does not outlive its use. */
export function forgetToken(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Storage disabled: nothing was kept.
  }
}

function read(): string | undefined {
  try {
    return localStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function write(token: string): void {
  try {
    localStorage.setItem(KEY, token);
  } catch {
    // Storage disabled: the token lasts as long as the page.
  }
}
