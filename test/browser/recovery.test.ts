import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { useServers } from '../support/server.js';
import { useLogFile, useTempDir } from '../support/temp-dir.js';
import {
  describeInChromium,
  live,
  markDocument,
  recordConnectionStates,
  screenshot,
  useChromium,
  waitForPosition,
} from './support/chromium.js';
import { createSession, useProxies } from './support/fixtures.js';

/** The page heals by itself: a cut network, a restarted server, a server on a new log. */
describeInChromium('the dashboard recovering', () => {
  const chromium = useChromium();
  const startServer = useServers();
  const logFile = useLogFile();
  const otherLogFile = useLogFile();
  const workDir = useTempDir();
  const openProxy = useProxies();

  const post = (server: RunningServer, name: string) =>
    createSession(server, { cwd: workDir(), name });

  const names = (page: Page) => page.locator('.sidebar .session-name').allTextContents();
  const state = (page: Page) => page.locator('.connection').getAttribute('data-state');

  it('shows what was created while the network was cut, each once, without a reload', async () => {
    const server = await startServer({ db: ':memory:' });
    await post(server, 'before the cut');
    const proxy = await openProxy(() => server.port);
    const page = await chromium.open(proxy.url);
    const stillThere = await markDocument(page);
    const states = await recordConnectionStates(page);

    proxy.cut();
    await page.locator('.connection[data-state="reconnecting"]').waitFor({ timeout: 5000 });
    expect(await page.locator('.connection-label').textContent()).toMatch(
      /^Reconnecting, attempt \d+$/,
    );
    expect(await page.locator('.connection-detail').textContent()).toMatch(
      /^(next try in \d+ s|trying now)$/,
    );
    await screenshot(page, 'reconnecting');
    const made = [];
    for (const name of ['cut one', 'cut two', 'cut three']) made.push(await post(server, name));
    proxy.restore();

    await waitForPosition(page, made.at(-1)?.position ?? 0, 15_000);
    await live(page);
    expect((await names(page)).sort()).toEqual([
      'before the cut',
      'cut one',
      'cut three',
      'cut two',
    ]);
    for (const { session } of made) {
      expect(await page.locator(`.sidebar [data-session="${session.id}"]`).count()).toBe(1);
    }
    const seen = await states();
    expect(seen[0]).toBe('live');
    // reconnecting → replaying → live, with any number of failed attempts before.
    expect(seen.slice(seen.lastIndexOf('reconnecting'))).toEqual([
      'reconnecting',
      'replaying',
      'live',
    ]);
    expect(await stillThere()).toBe(true);
  });

  it('recovers by itself when the server restarts on the same log', async () => {
    const db = logFile();
    let server = await startServer({ db });
    const before = await post(server, 'before the restart');
    const page = await chromium.open(server.url);
    const stillThere = await markDocument(page);
    const states = await recordConnectionStates(page);

    const { port } = server;
    await server.close();
    await page.locator('.connection[data-state="reconnecting"]').waitFor({ timeout: 5000 });
    server = await startServer({ db, port });
    const after = await post(server, 'after the restart');

    await waitForPosition(page, after.position, 15_000);
    await live(page);
    expect(await names(page)).toEqual(['after the restart', 'before the restart']);
    expect(await page.locator(`.sidebar [data-session="${before.session.id}"]`).count()).toBe(1);
    expect(await states()).not.toContain('reset');
    expect(await stillThere()).toBe(true);
  });

  it('resets and shows the new state when the server comes back on a fresh log', async () => {
    let server = await startServer({ db: logFile() });
    for (const name of ['old one', 'old two', 'old three']) await post(server, name);
    const page = await chromium.open(server.url);
    const stillThere = await markDocument(page);
    const states = await recordConnectionStates(page);

    const { port } = server;
    await server.close();
    await page.locator('.connection[data-state="reconnecting"]').waitFor({ timeout: 5000 });
    server = await startServer({ db: otherLogFile(), port });
    const fresh = await post(server, 'on the fresh log');

    await page
      .locator(`.sidebar [data-session="${fresh.session.id}"]`)
      .waitFor({ timeout: 15_000 });
    await live(page);
    expect(await names(page)).toEqual(['on the fresh log']);
    expect(await states()).toContain('reset');
    expect(await state(page)).toBe('live');
    expect(await stillThere()).toBe(true);
  });
});
