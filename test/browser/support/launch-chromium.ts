import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`): `npx playwright install` cannot work here. */
export const CHROMIUM = '/usr/bin/chromium';

export interface LaunchedChromium {
  browser: Browser;
  /** Closes the browser and removes its scratch directory. */
  close(): Promise<void>;
}

/**
 * Chromium headless, as the browser tests and the bench run it: no sandbox, GPU, background
 * networking, updates or sync, its crash dumps in a scratch directory of its own. Free of
 * vitest, so that the bench launches it the same way.
 */
export async function launchChromium(): Promise<LaunchedChromium> {
  const profile = await mkdtemp(join(tmpdir(), 'sessionlog-chromium-'));
  try {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--crash-dumps-dir=${profile}`,
      ],
    });
    return {
      browser,
      async close() {
        await browser.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}
