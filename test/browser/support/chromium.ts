import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { staleReason } from '../../../scripts/build-web.mjs';
import { CHROMIUM, type LaunchedChromium, launchChromium } from './launch-chromium.js';

export { CHROMIUM };

/** Debian's Chromium; `.ci/run` installs it. */
export const hasChromium = existsSync(CHROMIUM);

const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');

/**
 * A describe block that runs in real Chromium, or is skipped, saying why, when Chromium is
 * not installed. The dashboard build must be current: testing a stale one proves nothing.
 */
export function describeInChromium(name: string, body: () => void): void {
  if (!hasChromium) {
    console.warn(`sessionlog: skipping "${name}": Chromium is not installed at ${CHROMIUM}`);
    describe(name, () => {
      it.skip(`SKIPPED: Chromium not installed at ${CHROMIUM}`, () => {});
    });
    return;
  }
  describe(name, () => {
    beforeAll(() => {
      const stale = staleReason();
      if (stale !== undefined) {
        throw new Error(`the dashboard build is not current (${stale}): run npm run build`);
      }
    });
    body();
  });
}

/**
 * One Chromium for the file, a fresh context (cookies, storage) for each test, and every
 * page error collected: a test fails on an uncaught exception in the page.
 */
export function useChromium() {
  let browser: Browser | undefined;
  let launched: LaunchedChromium | undefined;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    launched = await launchChromium();
    browser = launched.browser;
  }, 60_000);
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    const errors = pageErrors.splice(0);
    if (errors.length > 0) throw new Error(`errors in the page:\n${errors.join('\n')}`);
  });
  afterAll(async () => {
    await launched?.close();
  });

  return {
    /** A fresh browser context (its own storage), as a new browser profile would have. */
    async context(viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
      if (browser === undefined) throw new Error('Chromium is not running');
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      return context;
    },
    /** A tab in `context` (a fresh one if none given) showing `url`, once the page is live. */
    async open(url: string, context?: BrowserContext): Promise<Page> {
      const page = await (context ?? (await this.context())).newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(url);
      await live(page);
      return page;
    },
  };
}

/** Waits until the page's connection indicator says Live. */
export async function live(page: Page, timeout = 10_000): Promise<void> {
  await page.locator('.connection[data-state="live"]').waitFor({ timeout });
}

/** The position the indicator shows while live. */
export async function shownPosition(page: Page): Promise<number> {
  const text = (await page.locator('.connection-detail').textContent()) ?? '';
  return Number(/position (\d+)/.exec(text)?.[1] ?? Number.NaN);
}

/**
 * Polls `expression` in the page until it is truthy. (Playwright's waitForFunction compiles
 * its predicate in the page, which the dashboard's Content-Security-Policy rightly forbids.)
 */
export async function waitInPage(page: Page, expression: string, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms: ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until the indicator shows `position` or later: the page has applied the log so far. */
export async function waitForPosition(page: Page, position: number, timeout = 10_000) {
  await waitInPage(
    page,
    `Number(/position (\\d+)/.exec(document.querySelector('.connection-detail')?.textContent ?? '')?.[1]) >= ${position}`,
    timeout,
  );
}

/** Saves a screenshot into test-results/screenshots/ (looked at by people, not compared). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

// The two functions below run in the page. They are strings because this project is
// type-checked without the DOM library; each is small enough to read as it is.

/**
 * Records every state the connection indicator goes through, from now on, in the page:
 * transitions last milliseconds, too short to catch by polling.
 */
export async function recordConnectionStates(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(`(() => {
    const stateNow = () => document.querySelector('.connection')?.getAttribute('data-state') ?? '';
    const states = [stateNow()];
    window.__states = states;
    new MutationObserver(() => {
      const state = stateNow();
      if (states.at(-1) !== state) states.push(state);
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  })()`);
  return () => page.evaluate('window.__states') as Promise<string[]>;
}

/** Marks the document, so that a test can tell whether the page reloaded since. */
export async function markDocument(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate('window.__marked = true');
  return async () => (await page.evaluate('window.__marked === true')) as boolean;
}

/**
 * Scrolls `scroller` (a selector) from its top down a screenful at a time until `done` (an expression)
 * holds at its bottom, and returns the `attribute` of every `rows` element drawn on the way:
 * what a person scrolling through a list that draws only the rows on screen would have seen.
 * Throws if a step draws the same row twice.
 */
export async function scrollThrough(
  page: Page,
  {
    scroller,
    rows,
    attribute,
    done,
  }: { scroller: string; rows: string; attribute: string; done: string },
  timeout = 20_000,
): Promise<string[]> {
  const seen = new Set<string>();
  const deadline = Date.now() + timeout;
  await page.evaluate(`document.querySelector(${JSON.stringify(scroller)}).scrollTop = 0`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (;;) {
    const step = (await page.evaluate(`(() => {
      const scroller = document.querySelector(${JSON.stringify(scroller)});
      const drawn = [...document.querySelectorAll(${JSON.stringify(rows)})].map((row) => row.getAttribute(${JSON.stringify(attribute)}));
      const bottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2;
      scroller.scrollTop += scroller.clientHeight * 0.8;
      return { drawn, end: bottom && Boolean(${done}) };
    })()`)) as { drawn: string[]; end: boolean };
    // A list that drew a row twice would show a session twice: never, at any step.
    if (new Set(step.drawn).size !== step.drawn.length) {
      throw new Error(`${rows} drew a row twice: ${step.drawn.join(', ')}`);
    }
    for (const value of step.drawn) seen.add(value);
    if (step.end) return [...seen];
    if (Date.now() > deadline) throw new Error(`timed out scrolling ${scroller} to ${done}`);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}

/** How many elements the page's document holds: what a list that draws only some rows keeps small. */
export async function domSize(page: Page): Promise<number> {
  return (await page.evaluate(`document.querySelectorAll('*').length`)) as number;
}
