import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Session } from '../../src/sessions/session.js';
import { pgUnavailable, usePgSchemas } from '../support/postgres.js';
import { useServers } from '../support/server.js';
import { useTempDir } from '../support/temp-dir.js';
import { describeInChromium, useChromium, waitForPosition } from './support/chromium.js';

/** The dashboard on two serve nodes of one PostgreSQL log, in real Chromium. */
describeInChromium('the dashboard across two nodes', () => {
  const chromium = useChromium();
  const startServer = useServers();
  const workDir = useTempDir();
  const newSchema = usePgSchemas();

  const sidebarRow = (page: Page, id: string) =>
    page.locator(`.sidebar .session-row[data-session="${id}"]`);

  describe.skipIf(pgUnavailable !== undefined)(
    `on one PostgreSQL log${pgUnavailable ? ` (skipped: ${pgUnavailable})` : ''}`,
    () => {
      it('shows what a tab on node A does in a tab on node B, live, each once', async () => {
        const db = newSchema();
        const nodeA = await startServer({ db });
        const nodeB = await startServer({ db });
        const onA = await chromium.open(nodeA.url);
        const onB = await chromium.open(nodeB.url);

        await onA.getByRole('link', { name: 'New session' }).first().click();
        await onA.getByLabel('Directory').fill(workDir());
        await onA.getByLabel('Name').fill('started on A');
        const answer = onA.waitForResponse(
          (response) =>
            response.url().endsWith('/api/sessions') && response.request().method() === 'POST',
        );
        await onA.getByRole('button', { name: 'Start session' }).click();
        const { session, position } = (await (await answer).json()) as {
          session: Session;
          position: number;
        };

        // Node B heard of A's commit through the log: the row appears without a reload.
        await sidebarRow(onB, session.id).getByText('started on A').waitFor({ timeout: 3000 });
        await waitForPosition(onB, position);
        expect(await onB.locator('.sidebar .session-row').count()).toBe(1);

        // And back: renamed from B's tab, A's tab follows.
        await sidebarRow(onB, session.id).click();
        await onB.getByRole('button', { name: 'Rename' }).click();
        await onB.getByLabel('New name').fill('renamed on B');
        await onB.getByLabel('New name').press('Enter');
        await sidebarRow(onA, session.id).getByText('renamed on B').waitFor({ timeout: 3000 });
        expect(await onA.locator('.sidebar .session-row').count()).toBe(1);
      });
    },
  );
});
