import type { Page } from 'playwright-core';
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
  useChromium,
  waitForPosition,
} from './support/chromium.js';
import { createSession, useProxies } from './support/fixtures.js';

/** Behind a proxy that refuses WebSockets, the page stays live over SSE. */
describeInChromium('the dashboard behind a proxy that refuses WebSockets', () => {
  const chromium = useChromium();
  const startServer = useServers();
  const workDir = useTempDir();
  const openProxy = useProxies();

  const post = (server: RunningServer, name: string) =>
    createSession(server, { cwd: workDir(), name });
  const names = (page: Page) => page.locator('.sidebar .session-name').allTextContents();
  const each = async (page: Page, made: { session: Session }[]) => {
    for (const { session } of made) {
      expect(await page.locator(`.sidebar [data-session="${session.id}"]`).count()).toBe(1);
    }
  };

  it('shows sessions live over SSE, each once, then moves back to the WebSocket', async () => {
    const server = await startServer({ db: ':memory:' });
    const before = await post(server, 'before');
    const proxy = await openProxy(() => server.port);
    proxy.refuseWebSockets(true);

    // Three refused upgrades, then the event stream: live all the same.
    const page = await chromium.open(proxy.url);
    const stillThere = await markDocument(page);
    await page
      .locator('.connection[data-state="live"][data-transport="sse"]')
      .waitFor({ timeout: 20_000 });
    expect(await page.locator('.connection-label').textContent()).toBe('Live · SSE fallback');

    const states = await recordConnectionStates(page);
    const overSse = [];
    for (const name of ['over SSE one', 'over SSE two', 'over SSE three']) {
      overSse.push(await post(server, name));
    }
    await waitForPosition(page, overSse.at(-1)?.position ?? 0, 15_000);
    expect((await names(page)).sort()).toEqual([
      'before',
      'over SSE one',
      'over SSE three',
      'over SSE two',
    ]);
    await each(page, [before, ...overSse]);
    await screenshot(page, 'live-over-sse');

    // The proxy lets WebSockets through again; a network change makes the page try at once
    // (otherwise its next probe would, within 30 s).
    proxy.refuseWebSockets(false);
    await page.evaluate(`window.dispatchEvent(new Event('online'))`);
    await page
      .locator('.connection[data-state="live"][data-transport="websocket"]')
      .waitFor({ timeout: 15_000 });
    expect(await page.locator('.connection-label').textContent()).toBe('Live');
    const overWs = await post(server, 'over the WebSocket');
    await waitForPosition(page, overWs.position, 15_000);
    await live(page);
    expect(await names(page)).toHaveLength(5);
    await each(page, [before, ...overSse, overWs]);
    // Live all along: the socket took over before the stream was closed.
    expect(await states()).not.toContain('reconnecting');
    expect(await stillThere()).toBe(true);
  }, 90_000);
});
