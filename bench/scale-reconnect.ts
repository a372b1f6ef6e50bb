import type { Browser } from 'playwright-core';
import type { Session } from '../src/sessions/session.js';
import { cuttableProxy } from '../test/browser/support/tcp-proxy.js';
import { liveAt } from './scale-browser.js';
import { extendLog } from './scale-log.js';
import { type ServerChild, startSessionlogChild } from './server-children.js';

/** One client's return after missing `missed` events. */
export interface Return {
  /** From the line restored (and the page told it is online) to Live at the new head, ms. */
  liveMs: number;
  /** Every state the indicator went through, from before the cut to Live, with when it began. */
  states: string[];
  /** How long writing the missed events took (offline, through the store). */
  extendMs: number;
}

/**
 * A dashboard open on `file` through a TCP proxy; the line is cut, `serve` stopped, the log
 * extended by `missed` events offline (1,000 sessions' worth, every other one ended), `serve`
 * started again (on another port: the proxy points at it, so the page sees the same address),
 * the line restored and the page told it is online (as the browser tells it when the network
 * comes back, sparing the back-off wait, which is not the server's cost). Timed until the
 * indicator says Live at the new head. Then the page's table is checked against the server's:
 * its active count and its newest ended sessions, in order; a mismatch throws.
 */
export async function timeReturn(
  browser: Browser,
  file: string,
  { missed, round, cpuProfileDir }: { missed: number; round: number; cpuProfileDir?: string },
): Promise<Return> {
  const startServer = () =>
    startSessionlogChild({ db: file, durability: 'normal', watch: false, cpuProfileDir });
  let server: ServerChild | undefined = await startServer();
  let port = Number(new URL(server.url).port);
  const proxy = await cuttableProxy(() => port);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await page.goto(proxy.url);
    await page.locator('.connection[data-state="live"]').waitFor({ timeout: 60_000 });
    await page.evaluate(`(() => {
      const stateNow = () => document.querySelector('.connection')?.getAttribute('data-state') ?? '';
      const states = [{ state: stateNow(), at: performance.now() }];
      window.__states = states;
      new MutationObserver(() => {
        const state = stateNow();
        if (states.at(-1).state !== state) states.push({ state, at: performance.now() });
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
    })()`);

    proxy.cut();
    await page.locator('.connection[data-state="reconnecting"]').waitFor({ timeout: 10_000 });
    await server.stop();
    server = undefined;
    const extending = performance.now();
    const head = await extendLog(file, { events: missed, sessions: 1000, prefix: `away-${round}` });
    const extendMs = performance.now() - extending;
    server = await startServer();
    port = Number(new URL(server.url).port);

    proxy.restore();
    const back = performance.now();
    const online = (await page.evaluate(
      '(() => { const at = performance.now(); window.dispatchEvent(new Event("online")); return at; })()',
    )) as number;
    await liveAt(page, head, 120_000);
    const liveMs = performance.now() - back;
    const seen = (await page.evaluate('window.__states')) as { state: string; at: number }[];
    // Each state with when it began, from the page's "online" (ms; before it: negative).
    const states = seen.map(({ state, at }) => `${state} ${Math.round(at - online)}`);
    await checkTable(page, server.url);
    return { liveMs, states, extendMs };
  } finally {
    await context.close();
    await proxy.close();
    await server?.stop();
  }
}

type Page = Awaited<ReturnType<Awaited<ReturnType<Browser['newContext']>>['newPage']>>;

/** The page's sidebar against the server's table: active count, newest ended in order. */
async function checkTable(page: Page, url: string): Promise<void> {
  let active = 0;
  for (let cursor: string | undefined; ; ) {
    const query = `status=active&limit=1000${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const answer = (await (await fetch(`${url}/api/sessions?${query}`)).json()) as {
      sessions: Session[];
      next?: string;
    };
    active += answer.sessions.length;
    cursor = answer.next;
    if (cursor === undefined) break;
  }
  const shownActive = await page.locator('#active-heading .count').textContent();
  if (shownActive !== String(active)) {
    throw new Error(`the page shows ${shownActive} active sessions, the server has ${active}`);
  }
  const ended = (await (await fetch(`${url}/api/sessions?status=ended&limit=50`)).json()) as {
    sessions: Session[];
  };
  const shown = (await page
    .locator('section[aria-labelledby="recent-heading"] .session-row')
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-session')))) as string[];
  const expected = ended.sessions.map((s) => s.id).slice(0, shown.length);
  if (shown.length === 0 || shown.join() !== expected.join()) {
    throw new Error(`the page's newest ended sessions differ from the server's: ${shown.join()}`);
  }
}
