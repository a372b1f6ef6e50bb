import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { startServer, subscribe } from '../src/testing/index.js';
import '../src/testing/vitest.js';
import { pgUnavailable, usePgSchemas } from './support/postgres.js';

const cwd = realpathSync(tmpdir());

describe.skipIf(pgUnavailable !== undefined)(
  `sessionlog/testing on PostgreSQL${pgUnavailable ? ` (skipped: ${pgUnavailable})` : ''}`,
  () => {
    const newSchema = usePgSchemas();

    it('starts two nodes of one log, and a subscriber of one sees the other’s writes', async () => {
      const db = newSchema();
      const [a, b] = [await startServer({ db }), await startServer({ db })];
      try {
        expect(a.logId).toBe(b.logId);
        expect(b.db).toBe(db);
        const client = await subscribe(b.url, { after: 0 });
        const created = await a.fetch('/api/sessions', {
          method: 'POST',
          body: JSON.stringify({ cwd, name: 'through a' }),
        });
        expect(created.status).toBe(201);
        const { session, position } = (await created.json()) as {
          session: { id: string };
          position: number;
        };
        await b.fetch(`/api/sessions/${session.id}`, {
          method: 'PATCH',
          body: JSON.stringify({ status: 'completed' }),
        });
        await client.waitFor(position + 1);
        expect(client).toEqualEvents([
          { type: 'SessionStarted', stream: session.id, data: { name: 'through a' } },
          { type: 'SessionEnded', stream: session.id, data: { status: 'completed' } },
        ]);
        await client.close();
      } finally {
        await a.close();
        await b.close();
      }
    });
  },
);
