import type { Page, Request } from 'playwright-core';
import { expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import type { Session } from '../../src/sessions/session.js';
import { useServers } from '../support/server.js';
import { useTempDir } from '../support/temp-dir.js';
import {
  describeInChromium,
  live,
  markDocument,
  recordConnectionStates,
  screenshot,
  scrollThrough,
  shownPosition,
  useChromium,
  waitForPosition,
  waitInPage,
} from './support/chromium.js';
import { createSession } from './support/fixtures.js';

/** What a person does with the dashboard, in real Chromium against a real server. */
describeInChromium('the dashboard', () => {
  const chromium = useChromium();
  const startServer = useServers();
  const workDir = useTempDir();

  const post = createSession;
  const head = async (server: RunningServer) =>
    ((await (await fetch(`${server.url}/api/health`)).json()) as { head: number }).head;

  const sidebarRows = (page: Page, id: string) =>
    page.locator(`.sidebar .session-row[data-session="${id}"]`);

  async function startFromTheForm(page: Page, cwd: string, name?: string) {
    await page.getByRole('link', { name: 'New session' }).first().click();
    await page.getByLabel('Directory').fill(cwd);
    if (name !== undefined) await page.getByLabel('Name').fill(name);
    const answer = page.waitForResponse(
      (response) =>
        response.url().endsWith('/api/sessions') && response.request().method() === 'POST',
    );
    await page.getByRole('button', { name: 'Start session' }).click();
    return answer;
  }

  it('shows a new session in the sidebar at once, pending, selected, without a reload', async () => {
    const server = await startServer({ db: ':memory:' });
    const page = await chromium.open(server.url);
    const stillThere = await markDocument(page);
    const requests: Request[] = [];
    page.on('request', (request) => requests.push(request));

    const response = await startFromTheForm(page, workDir(), 'first flow');
    expect(response.status()).toBe(201);
    const { session, position } = (await response.json()) as { session: Session; position: number };

    const row = sidebarRows(page, session.id);
    await row.waitFor({ timeout: 1000 });
    expect(await row.locator('.session-name').textContent()).toBe('first flow');
    expect(await row.locator('.session-status').textContent()).toBe('pending');
    expect(await row.getAttribute('aria-current')).toBe('page');
    await page.getByRole('heading', { level: 1, name: 'first flow' }).waitFor({ timeout: 1000 });

    // Once the log's own SessionStarted has arrived too, the session is still listed once.
    await waitForPosition(page, position);
    expect(await sidebarRows(page, session.id).count()).toBe(1);
    expect(await page.locator('.sidebar .session-row').count()).toBe(1);
    // Selected from the POST's answer: no second request for the session it described.
    const apiCalls = requests
      .map((request) => `${request.method()} ${new URL(request.url()).pathname}`)
      .filter((call) => call.includes('/api/'));
    expect(apiCalls.filter((call) => call.startsWith('GET /api/sessions'))).toEqual([
      `GET /api/sessions/${session.id}/events`,
    ]);
    expect(apiCalls.filter((call) => call === 'POST /api/sessions')).toHaveLength(1);
    expect(await stillThere()).toBe(true);
  });

  it('shows a session created in one tab in the other within a second', async () => {
    const server = await startServer({ db: ':memory:' });
    const context = await chromium.context();
    const first = await chromium.open(server.url, context);
    const second = await chromium.open(server.url, context);

    const response = await startFromTheForm(first, workDir(), 'made in the first tab');
    const { session } = (await response.json()) as { session: Session };
    const started = Date.now();
    await sidebarRows(second, session.id).waitFor({ timeout: 1000 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await sidebarRows(second, session.id).locator('.session-name').textContent()).toBe(
      'made in the first tab',
    );
  });

  it('explains a refused directory at the field, and appends nothing', async () => {
    const server = await startServer({ db: ':memory:' });
    const page = await chromium.open(`${server.url}/#/new`);
    const before = await head(server);
    const directory = page.getByLabel('Directory');
    const fieldError = page.locator('#new-cwd-error');

    const refusals: [string, string][] = [
      [`${workDir()}/not/there`, 'No directory exists at this path on the server.'],
      ['projects/relative', 'Enter an absolute path: one that starts with /.'],
      ['/etc', '/etc is a system directory: sessions cannot run there.'],
    ];
    for (const [cwd, message] of refusals) {
      await directory.fill(cwd);
      const answered = page.waitForResponse((r) => r.url().endsWith('/api/sessions'));
      await page.getByRole('button', { name: 'Start session' }).click();
      expect((await answered).status()).toBeGreaterThanOrEqual(400);
      await page.getByText(message).waitFor({ timeout: 2000 });
      expect(await fieldError.textContent()).toBe(message);
      // At the field for assistive technology too: invalid, described by the message, focused.
      expect(await directory.getAttribute('aria-invalid')).toBe('true');
      expect(await directory.getAttribute('aria-describedby')).toContain('new-cwd-error');
      // Focus moves after the message is drawn (an effect of that render): waited for, not raced.
      await expect
        .poll(() => directory.evaluate((input) => input === input.ownerDocument.activeElement))
        .toBe(true);
    }
    await screenshot(page, 'new-session-error');

    expect(await head(server)).toBe(before);
    expect(await page.locator('.sidebar .session-row').count()).toBe(0);
    // An empty directory is caught before it is sent.
    await directory.fill('');
    await page.getByRole('button', { name: 'Start session' }).click();
    expect(await fieldError.textContent()).toBe('Enter the directory the session runs in.');
    expect(await head(server)).toBe(before);
  });

  it('renames, ends and deletes a session, and shows its file changes as they happen', async () => {
    const server = await startServer({ db: ':memory:' });
    const { session } = await post(server, { cwd: workDir(), name: 'to work on' });
    await post(server, { cwd: workDir(), name: 'another one' });
    const page = await chromium.open(`${server.url}/#/sessions/${session.id}`);
    const heading = page.getByRole('heading', { level: 1 });
    expect(await heading.textContent()).toBe('to work on');

    await server.log.store.append(session.id, [
      { type: 'FileChanged', data: { change: 'created', path: 'src/new-file.ts', kind: 'file' } },
    ]);
    await page.getByText('Created src/new-file.ts').waitFor({ timeout: 1000 });

    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('New name').fill('renamed from the page');
    await page.getByLabel('New name').press('Enter');
    await page.getByRole('heading', { level: 1, name: 'renamed from the page' }).waitFor();
    await sidebarRows(page, session.id).getByText('renamed from the page').waitFor();
    await screenshot(page, 'session-view');

    await page.getByRole('button', { name: 'Mark completed' }).click();
    await page.locator('.view-header .status-label', { hasText: 'completed' }).waitFor();
    // Ended: it moves from Active to Recent, and cannot be renamed any more.
    await page
      .locator('section[aria-labelledby="recent-heading"]')
      .getByText('renamed from the page')
      .waitFor();
    expect(await page.getByRole('button', { name: 'Rename' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.waitForURL(/#\/$/);
    await sidebarRows(page, session.id).waitFor({ state: 'detached' });
    expect(await page.locator('.sidebar .session-row').count()).toBe(1);
  });

  it('keeps relative times ticking and shows an empty state', async () => {
    const server = await startServer({ db: ':memory:' });
    const context = await chromium.context();
    const page = await context.newPage();
    // The page's clock, moved by hand: no test waits for minutes to pass.
    await page.clock.install();
    await page.goto(server.url);
    await live(page);
    await page.getByText('No session is running.').waitFor();
    await page.getByText('Ended sessions will show here.').waitFor();
    const { session } = await post(server, { cwd: workDir(), name: 'ticking' });
    const when = sidebarRows(page, session.id).locator('time');
    await when.waitFor();
    expect(await when.textContent()).toBe('just now');
    // From the session's own start: the page's clock stood still while the test set up, for
    // as long as a loaded machine took. The page redraws once a second, so 12 s later it shows
    // 11 or 12 s.
    await page.clock.setSystemTime(new Date(session.startedAt));
    await page.clock.runFor(12_000);
    expect(await when.textContent()).toMatch(/^1[12] s ago$/);
    await page.clock.runFor(3 * 60_000);
    expect(await when.textContent()).toBe('3 min ago');
  });

  it('reconnects by itself after the computer slept', async () => {
    const server = await startServer({ db: ':memory:' });
    const context = await chromium.context();
    const page = await context.newPage();
    await page.clock.install();
    await page.goto(server.url);
    await live(page);
    const states = await recordConnectionStates(page);
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));

    // The lid closes for ten minutes: the page's timers find the clock jumped.
    await page.clock.fastForward('10:00');
    await page.locator('.connection[data-state="reconnecting"]').waitFor({ timeout: 5000 });
    expect(await page.locator('.connection').getAttribute('title')).toMatch(/clock jumped/);
    const { position } = await post(server, { cwd: workDir(), name: 'made during the sleep' });
    await page.clock.runFor(1000);
    await waitForPosition(page, position);
    await live(page);
    expect(await page.locator('.sidebar .session-name').allTextContents()).toEqual([
      'made during the sleep',
    ]);
    expect(sockets).toHaveLength(1);
    expect(new URL(sockets[0] ?? '').searchParams.get('after')).toBe('0');
    expect(await states()).toEqual(['live', 'reconnecting', 'replaying', 'live']);
  });

  it('pages through the audit log, filters it, and shows the table as of a position', async () => {
    const server = await startServer({ db: ':memory:' });
    const first = await post(server, { cwd: workDir(), name: 'audited' });
    const changes = Array.from({ length: 520 }, (_, i) => ({
      type: 'FileChanged' as const,
      data: { change: 'modified' as const, path: `file-${i}.txt`, kind: 'file' as const },
    }));
    await server.log.store.append(first.session.id, changes);
    const second = await post(server, { cwd: workDir(), name: 'later' });
    await fetch(`${server.url}/api/sessions/${first.session.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'failed' }),
    });
    const page = await chromium.open(`${server.url}/#/audit`);
    const rows = page.locator('.event-row');
    await rows.first().waitFor();
    const positions = async () =>
      (await rows.evaluateAll((all) =>
        all.map((row) => Number(row.getAttribute('data-position'))),
      )) as number[];

    // Newest first, a page at a time: a screenful drawn, the next page read by the button
    // (for the keyboard) or by scrolling to the end, down to the start of the log.
    const firstPage = await positions();
    expect(firstPage[0]).toBe(523);
    expect(firstPage).toEqual([...firstPage].sort((a, b) => b - a));
    expect(firstPage.length).toBeLessThan(100);
    await page.getByText('Positions 324 to 523').waitFor();
    // Clicked where it is, without scrolling to it (which would read the page by itself).
    await page.getByRole('button', { name: 'Load older' }).dispatchEvent('click');
    await page.getByText('Positions 124 to 523').waitFor();
    const seen = await scrollThrough(page, {
      scroller: '#main',
      rows: '.event-row',
      attribute: 'data-position',
      done: `document.querySelector('.event-row[data-position="1"]')`,
    });
    expect(seen.map(Number).sort((a, b) => b - a)).toEqual(
      Array.from({ length: 523 }, (_, i) => 523 - i),
    );
    await page.getByText('The start of the log.').waitFor();
    expect(await rows.count()).toBeLessThan(100);
    await page.evaluate(`document.getElementById('main').scrollTop = 0`);

    // Live: a new event joins at the top.
    await post(server, { cwd: workDir(), name: 'while watching' });
    await page.locator('.event-row[data-position="524"]').waitFor({ timeout: 1000 });

    // Filters: by type, then by stream (from a row).
    await page.getByLabel('Started').check();
    await waitInPage(page, `document.querySelectorAll('.event-row').length === 3`);
    await page
      .locator('.event-row', { hasText: 'Started' })
      .filter({ has: page.getByRole('button', { name: second.session.id }) })
      .getByRole('button', { name: second.session.id })
      .click();
    await waitInPage(page, `document.querySelectorAll('.event-row').length === 1`);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await waitInPage(page, `document.querySelectorAll('.event-row').length > 3`);

    // The table as of position 1: one session, pending, no file changes yet.
    await page.getByLabel('Position', { exact: true }).fill('1');
    await page.getByRole('button', { name: 'Show table' }).click();
    const table = page.locator('.as-of-table');
    await table.waitFor();
    expect(await table.locator('tbody tr').count()).toBe(1);
    expect(await table.locator('tbody tr td').allTextContents()).toEqual([
      'audited',
      ' pending',
      workDir(),
      '0',
      '1',
    ]);
    await page.locator('.event-row[data-position="523"] .event-position button').click();
    await page.getByText('2 sessions right after position 523:').waitFor();
    await screenshot(page, 'audit-view');
  });

  it('is usable at 390 px: the list, then one session with a way back', async () => {
    const server = await startServer({ db: ':memory:' });
    const { session } = await post(server, { cwd: workDir(), name: 'on a phone' });
    await server.log.store.append(session.id, [
      { type: 'SessionUpdated', data: { status: 'in_progress' } },
      { type: 'FileChanged', data: { change: 'modified', path: 'README.md', kind: 'file' } },
    ]);
    await post(server, { cwd: workDir(), name: 'a second session with a rather long name' });
    const context = await chromium.context({ width: 390, height: 844 });
    const page = await chromium.open(server.url, context);
    const overflow = () =>
      page.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      ) as Promise<number>;

    await sidebarRows(page, session.id).waitFor();
    expect(await overflow()).toBe(0);
    await screenshot(page, 'narrow-sessions');

    await sidebarRows(page, session.id).click();
    await page.getByRole('heading', { level: 1, name: 'on a phone' }).waitFor();
    expect(await page.locator('.sidebar').isVisible()).toBe(false);
    await page.getByText('Modified README.md').waitFor();
    expect(await overflow()).toBe(0);
    await screenshot(page, 'narrow-session');

    await page.getByRole('link', { name: '← All sessions' }).click();
    await sidebarRows(page, session.id).waitFor();
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('.event-row').first().waitFor();
    expect(await overflow()).toBe(0);
    await screenshot(page, 'narrow-audit');
  });

  it('can be driven from the keyboard alone', async () => {
    const server = await startServer({ db: ':memory:' });
    const page = await chromium.open(`${server.url}/#/audit`);
    const focused = () =>
      page.evaluate('document.activeElement?.textContent?.trim()') as Promise<string | undefined>;
    const focusedId = () => page.evaluate('document.activeElement?.id') as Promise<string>;
    // The skip link comes first, and takes the focus to the view without changing it.
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await focusedId()).toBe('view-heading');
    expect(page.url()).toBe(`${server.url}/#/audit`);
    // Back from the view into the sidebar, to New session.
    for (let tab = 0; tab < 10 && (await focused()) !== 'New session'; tab++) {
      await page.keyboard.press('Shift+Tab');
    }
    expect(await focused()).toBe('New session');
    await page.keyboard.press('Enter');
    await page.getByLabel('Directory').waitFor();
    // The new view takes the focus to its heading once it has rendered: wait for that, or a
    // Tab typed before it (a loaded machine) would start from the button instead.
    await page.waitForFunction("document.activeElement?.id === 'view-heading'");
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('new-cwd');
    await page.keyboard.type(workDir());
    await page.keyboard.press('Tab');
    await page.keyboard.type('typed, not clicked');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'typed, not clicked' }).waitFor();
    // The new view's heading takes the focus (once rendered): a screen reader announces where
    // the user is. A wait, not a snapshot, so a loaded machine does not fail it.
    await page.waitForFunction("document.activeElement?.id === 'view-heading'", undefined, {
      timeout: 5000,
    });
    expect(await focusedId()).toBe('view-heading');
  });

  it('takes the token from the address once, hides it, and keeps it', async () => {
    const server = await startServer({ db: ':memory:', token: 'secret-token' });
    const context = await chromium.context();
    const page = await chromium.open(`${server.url}/?token=secret-token`, context);
    expect(page.url()).toBe(`${server.url}/`);
    const { session } = await (async () => {
      const response = await fetch(`${server.url}/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer secret-token' },
        body: JSON.stringify({ cwd: workDir(), name: 'behind a token' }),
      });
      return (await response.json()) as { session: Session };
    })();
    await sidebarRows(page, session.id).waitFor();
    // Another tab, opened without the token in the address: the kept token still works.
    const other = await chromium.open(server.url, context);
    await sidebarRows(other, session.id).waitFor();
    expect(await shownPosition(other)).toBe(1);

    // A browser without the token is told what to do.
    const stranger = await (await chromium.context()).newPage();
    await stranger.goto(server.url);
    await stranger.getByText('This server needs its token.').waitFor();
    expect(await stranger.locator('.connection').getAttribute('data-state')).toBe('unauthorized');
    await live(page);
  });
});
