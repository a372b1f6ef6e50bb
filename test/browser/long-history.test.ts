import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import type { Session } from '../../src/sessions/session.js';
import { appendMany, useServers } from '../support/server.js';
import {
  describeInChromium,
  domSize,
  live,
  recordConnectionStates,
  scrollThrough,
  useChromium,
  waitForPosition,
  waitInPage,
} from './support/chromium.js';
import { useProxies } from './support/fixtures.js';

const SESSIONS = 600;
const ACTIVE = 40;
const BUSY_EVENTS = 3000;

/** `session-0042`: ids that sort as they were made, so the expected order is plain. */
const idOf = (n: number) => `session-${String(n).padStart(4, '0')}`;

/**
 * A log with 600 sessions, most of them ended, and one session with 3,000 events, written
 * through the store (seconds, not minutes). Sessions end in the order they started, so the
 * most recently ended is the highest numbered; 3 is the one a search looks for.
 */
async function longHistory(server: RunningServer): Promise<{ busy: string; head: number }> {
  const { store } = server.log;
  const numbers = Array.from({ length: SESSIONS }, (_, i) => i + 1);
  // Appended together, committed together (group commit), in the order they were asked for.
  await Promise.all(
    numbers.map((n) => {
      const name = n === 3 ? 'needle in the haystack' : `session number ${n}`;
      return store.append(idOf(n), [
        { type: 'SessionStarted', data: { cwd: '/tmp', hostname: 'h', platform: 'linux', name } },
      ]);
    }),
  );
  await Promise.all(
    numbers
      .slice(0, SESSIONS - ACTIVE)
      .map((n) => store.append(idOf(n), [{ type: 'SessionEnded', data: { status: 'completed' } }])),
  );
  const busy = idOf(SESSIONS);
  await appendMany(server, BUSY_EVENTS - 1, busy);
  return { busy, head: await store.head() };
}

async function serverPage(server: RunningServer, query: string) {
  const response = await fetch(`${server.url}/api/sessions?${query}`);
  return (await response.json()) as { sessions: Session[]; next?: string; position: number };
}

const rowIds = (page: Page, within = '.sidebar') =>
  page
    .locator(`${within} .session-row`)
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-session'))) as Promise<
    string[]
  >;

/** The dashboard on a long history: it holds a screenful, reads the rest as it is looked at. */
describeInChromium('the dashboard on a long history', () => {
  const chromium = useChromium();
  const startServer = useServers();
  const openProxy = useProxies();

  it('opens on the active sessions and the newest ended ones, and reads older ones on scroll', async () => {
    const server = await startServer({ db: ':memory:' });
    await longHistory(server);
    const context = await chromium.context();
    const page = await context.newPage();
    const reads: string[] = [];
    const encodings: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/api/sessions') reads.push(url.search);
    });
    page.on('response', (response) => {
      const { pathname } = new URL(response.url());
      if (pathname === '/api/sessions' || pathname.startsWith('/assets/')) {
        encodings.push(response.headers()['content-encoding'] ?? 'none');
      }
    });
    await page.goto(server.url);
    await live(page);
    // The browser asks for compression, and the page's script and its reads of the table come
    // compressed (what keeps the first screen of a long history small: issue 15).
    expect(encodings.length).toBeGreaterThanOrEqual(3);
    expect(encodings.every((encoding) => encoding === 'br')).toBe(true);

    // Every active session counted, and the newest ended first; no read of the whole table:
    // the active ones in one answer, the ended ones by pages.
    expect(await page.locator('#active-heading .count').textContent()).toBe(String(ACTIVE));
    expect(await page.locator('#recent-heading .count').textContent()).toBe('50+');
    expect(reads.filter((search) => !/[?&]limit=\d+/.test(search))).toEqual(['?status=active']);
    const recent = await rowIds(page, 'section[aria-labelledby="recent-heading"]');
    const newestEnded = SESSIONS - ACTIVE;
    expect(recent[0]).toBe(idOf(newestEnded));
    // Only the rows on screen are drawn: far fewer than the 90 sessions the page holds.
    expect((await rowIds(page)).length).toBeLessThan(60);
    const openedWith = await domSize(page);
    expect(openedWith).toBeLessThan(800);

    // Scrolling the sidebar to its end reads every older ended session, each listed once.
    const seen = await scrollThrough(page, {
      scroller: '.sidebar',
      rows: '.sidebar .session-row',
      attribute: 'data-session',
      done: `document.querySelector('[data-session="${idOf(1)}"]')`,
    });
    expect(seen.length).toBe(SESSIONS);
    expect(new Set(seen).size).toBe(SESSIONS);
    expect(await page.locator('#recent-heading .count').textContent()).toBe(
      String(SESSIONS - ACTIVE),
    );
    expect((await rowIds(page)).length).toBeLessThan(60);
    // 600 rows drawn would be some 6,000 elements.
    expect(await domSize(page)).toBeLessThan(1000);
    const older = reads.filter((search) => search.includes('cursor='));
    expect(older.length).toBeGreaterThanOrEqual(10);
  });

  it('finds an old session by searching, and opens it', async () => {
    const server = await startServer({ db: ':memory:' });
    await longHistory(server);
    const page = await chromium.open(server.url);
    expect(await page.locator(`[data-session="${idOf(3)}"]`).count()).toBe(0);

    await page.getByLabel('Search sessions').fill('NEEDLE');
    const found = page.locator(
      `section[aria-labelledby="results-heading"] [data-session="${idOf(3)}"]`,
    );
    await found.waitFor();
    expect(await rowIds(page)).toEqual([idOf(3)]);
    await found.click();
    await page.getByRole('heading', { level: 1, name: 'needle in the haystack' }).waitFor();

    // Esc ends the search: the lists come back.
    await page.getByLabel('Search sessions').press('Escape');
    await page.locator('#active-heading').waitFor();
    expect(await page.locator('#active-heading .count').textContent()).toBe(String(ACTIVE));
  });

  it('opens a long timeline at its newest event and reads older events on scroll', async () => {
    const server = await startServer({ db: ':memory:' });
    const { busy, head } = await longHistory(server);
    const page = await chromium.open(`${server.url}/#/sessions/${busy}`);
    const items = page.locator('.timeline-item');
    await items.first().waitFor();
    expect(await items.first().getAttribute('data-position')).toBe(String(head));
    expect(await page.locator('#timeline-heading .count').textContent()).toBe(String(BUSY_EVENTS));
    expect(await items.count()).toBeLessThan(60);
    await page.getByText(`200 of ${BUSY_EVENTS} events loaded`).waitFor();

    // Scrolled to the end of what is loaded: the next page, older, joins below.
    await page.evaluate(`document.getElementById('main').scrollTop = 1e9`);
    await page.getByText(`400 of ${BUSY_EVENTS} events loaded`).waitFor();
    const drawn = (await items.evaluateAll((rows) =>
      rows.map((row) => Number(row.getAttribute('data-position'))),
    )) as number[];
    expect(Math.min(...drawn)).toBeLessThan(head - 150);
    expect(drawn).toEqual([...drawn].sort((a, b) => b - a));
    expect(await items.count()).toBeLessThan(60);
  });

  it('comes back after a long absence with a new snapshot, not a replay, each session once', async () => {
    const server = await startServer({ db: ':memory:' });
    const { busy } = await longHistory(server);
    const proxy = await openProxy(() => server.port);
    const page = await chromium.open(proxy.url);
    const states = await recordConnectionStates(page);
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));

    proxy.cut();
    await page.locator('.connection[data-state="reconnecting"]').waitFor({ timeout: 5000 });
    // More than the bound (10,000 events) while away, and some of every kind of change.
    await appendMany(server, 10_001, busy);
    const { store } = server.log;
    await store.append(idOf(599), [{ type: 'SessionEnded', data: { status: 'failed' } }]);
    await store.append(idOf(550), [{ type: 'SessionDeleted', data: {} }]);
    await store.append('session-9999', [
      {
        type: 'SessionStarted',
        data: { cwd: '/tmp', hostname: 'h', platform: 'linux', name: 'new' },
      },
    ]);
    const head = await store.head();
    proxy.restore();
    await page.evaluate('window.dispatchEvent(new Event("online"))');

    await waitForPosition(page, head, 15_000);
    await live(page);
    expect(await states()).toContain('reloading');
    expect(await states()).not.toContain('replaying');
    // The socket after the new snapshot asked only for what followed it.
    expect(Number(new URL(sockets.at(-1) ?? '').searchParams.get('after'))).toBeGreaterThanOrEqual(
      head,
    );

    // The sidebar is the server's: its active sessions, then its ended ones newest first,
    // each once, as the sidebar is scrolled through.
    const ended = await serverPage(server, 'status=ended&limit=50');
    const shownEnded = await rowIds(page, 'section[aria-labelledby="recent-heading"]');
    expect(shownEnded).toEqual(ended.sessions.map((s) => s.id).slice(0, shownEnded.length));
    expect(shownEnded[0]).toBe(idOf(599));
    const seen = await scrollThrough(page, {
      scroller: '.sidebar',
      rows: '.sidebar .session-row',
      attribute: 'data-session',
      done: `document.querySelector('[data-session="${idOf(1)}"]')`,
    });
    const all = (await (await fetch(`${server.url}/api/sessions`)).json()) as {
      sessions: Session[];
    };
    expect(seen.sort()).toEqual(all.sessions.map((s) => s.id).sort());
    expect(seen).not.toContain(idOf(550));
    await page.evaluate(`document.querySelector('.sidebar').scrollTop = 0`);

    // The busy session's row counts every file change once.
    await page.locator(`[data-session="${busy}"]`).click();
    const { session } = (await (await fetch(`${server.url}/api/sessions/${busy}`)).json()) as {
      session: Session;
    };
    await waitInPage(
      page,
      `[...document.querySelectorAll('.field-pair')].some((pair) => pair.textContent === 'File changes${session.fileChanges}')`,
    );
    expect(session.fileChanges).toBe(BUSY_EVENTS - 1 + 10_001);
  });
});
