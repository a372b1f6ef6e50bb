import type { Browser, Page } from 'playwright-core';
import { staleReason } from '../scripts/build-web.mjs';
import { type LaunchedChromium, launchChromium } from '../test/browser/support/launch-chromium.js';

/**
 * Chromium for the bench, launched as the browser tests launch it; refuses a stale dashboard
 * build (timing it would prove nothing).
 */
export async function launchBenchChromium(): Promise<LaunchedChromium> {
  const stale = staleReason();
  if (stale !== undefined)
    throw new Error(`the dashboard build is not current (${stale}): npm run build`);
  return launchChromium();
}

/** What one open of the dashboard cost, as the browser saw it. */
export interface DashboardOpen {
  /** From navigation to the first session row in the sidebar, ms. */
  firstRowsMs: number;
  /** From navigation to the indicator saying Live, ms. */
  liveMs: number;
  /** Bytes over the wire (CDP encodedDataLength: headers and bodies, every request). */
  bytes: number;
  /** Response bodies once decoded (what the bytes would be without compression). */
  decodedBytes: number;
  /** Each request, its bytes over the wire, and when it began and ended (ms from the first). */
  requests: { url: string; bytes: number; startMs: number; endMs: number }[];
  /** After a full collection (CDP Performance.getMetrics). */
  jsHeapBytes: number;
  /** DOM nodes, CDP's count (text nodes included), and elements alone. */
  domNodes: number;
  elements: number;
  /** From asking for the busy session's page to its newest event drawn, ms. */
  busyNewestMs: number;
}

/**
 * Opens the dashboard at `url` in a fresh context (a first visit: no cache), measures it, then
 * opens the busy session from the page (as a click on its row does: the hash changes) and
 * times its newest event, `.timeline-item[data-position=busyHead]`, onto the screen.
 */
export async function openDashboard(
  browser: Browser,
  url: string,
  busy: { id: string; head: number },
): Promise<DashboardOpen> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Performance.enable');
    const sent = new Map<string, { url: string; at: number }>();
    const requests: DashboardOpen['requests'] = [];
    let decodedBytes = 0;
    // CDP timestamps are seconds on a clock of their own: the document's request is time 0.
    let zero: number | undefined;
    cdp.on('Network.requestWillBeSent', (event) => {
      zero ??= event.timestamp;
      sent.set(event.requestId, { url: event.request.url, at: event.timestamp });
    });
    cdp.on('Network.dataReceived', (event) => {
      decodedBytes += event.dataLength;
    });
    cdp.on('Network.loadingFinished', (event) => {
      const request = sent.get(event.requestId);
      const since = (at: number) => (at - (zero ?? at)) * 1000;
      requests.push({
        url: request?.url ?? '?',
        bytes: event.encodedDataLength,
        startMs: since(request?.at ?? event.timestamp),
        endMs: since(event.timestamp),
      });
    });
    const started = performance.now();
    await page.goto(url, { waitUntil: 'commit' });
    await page.locator('.sidebar .session-row').first().waitFor({ timeout: 60_000 });
    const firstRowsMs = performance.now() - started;
    await page.locator('.connection[data-state="live"]').waitFor({ timeout: 60_000 });
    const liveMs = performance.now() - started;
    const bytes = requests.reduce((sum, request) => sum + request.bytes, 0);
    const opened = [...requests];
    const decodedAtOpen = decodedBytes;

    await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
    const elements = (await page.evaluate(`document.querySelectorAll('*').length`)) as number;

    const asked = performance.now();
    await page.evaluate(`location.hash = ${JSON.stringify(`#/sessions/${busy.id}`)}`);
    await page.locator(`.timeline-item[data-position="${busy.head}"]`).waitFor({ timeout: 60_000 });
    const busyNewestMs = performance.now() - asked;
    return {
      firstRowsMs,
      liveMs,
      bytes,
      decodedBytes: decodedAtOpen,
      requests: opened,
      jsHeapBytes: metric('JSHeapUsedSize'),
      domNodes: metric('Nodes'),
      elements,
      busyNewestMs,
    };
  } finally {
    await context.close();
  }
}

/** Waits until the page's connection indicator says Live and shows `position` or later. */
export async function liveAt(page: Page, position: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await page.evaluate(`(() => {
      const indicator = document.querySelector('.connection');
      const detail = document.querySelector('.connection-detail')?.textContent ?? '';
      return indicator?.getAttribute('data-state') === 'live' &&
        Number(/position (\\d+)/.exec(detail)?.[1]) >= ${position};
    })()`);
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`not live at position ${position} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
