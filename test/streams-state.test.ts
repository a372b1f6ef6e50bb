import { createStateSchema } from '@durable-streams/state';
import { createStreamDB } from '@durable-streams/state/db';
import { expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { describeEachBackend } from './support/backends.js';
import { useServers } from './support/server.js';
import { streamsBase } from './support/streams.js';

type Row = Record<string, unknown> & { id: string };

/** A Standard Schema that takes any row: the test compares rows, it does not validate them. */
const anyRow = {
  '~standard': { version: 1 as const, vendor: 'test', validate: (value: unknown) => ({ value }) },
};

const send = async (server: RunningServer, method: string, path: string, body?: unknown) => {
  const response = await fetch(`${server.url}/api/sessions${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json()) as { session: Row; position: number };
};

describeEachBackend('the sessions table as a state-protocol stream', (log) => {
  const start = useServers();

  it('materializes in TanStack DB equal to GET /api/sessions while sessions are created, changed, ended and deleted', async () => {
    const server = await start({ db: log(), streams: { longPollMs: 1000 } });
    const a = await send(server, 'POST', '', { cwd: '/tmp', name: 'a' });
    const b = await send(server, 'POST', '', { cwd: '/tmp', name: 'b' });
    await send(server, 'PATCH', `/${a.session.id}`, { name: 'a2', summary: 'working' });
    const db = createStreamDB({
      streamOptions: { url: `${streamsBase(server)}/sessions`, contentType: 'application/json' },
      state: createStateSchema({
        sessions: { schema: anyRow, type: 'session', primaryKey: 'id' },
      }),
    });
    try {
      await db.preload();
      const table = async () =>
        ((await (await fetch(`${server.url}/api/sessions`)).json()) as { sessions: Row[] })
          .sessions;
      const materialized = () =>
        [...db.collections.sessions.values()]
          // Without what TanStack DB and StreamDB add to a row ($key, $synced, _seq, …).
          .map(
            (row) =>
              Object.fromEntries(Object.entries(row).filter(([k]) => !/^[$_]/.test(k))) as Row,
          )
          .sort((x, y) => (x.id < y.id ? -1 : 1));
      const same = async () =>
        expect(materialized()).toEqual((await table()).sort((x, y) => (x.id < y.id ? -1 : 1)));
      await same();
      expect(materialized()).toHaveLength(2);
      // Live: each write's position is the txid of the change it made.
      const writes = [
        () => send(server, 'PATCH', `/${b.session.id}`, { status: 'in_progress' }),
        () => send(server, 'PATCH', `/${a.session.id}`, { status: 'completed' }),
        () => send(server, 'POST', '', { cwd: '/tmp', name: 'c' }),
        () => send(server, 'DELETE', `/${b.session.id}`),
      ];
      for (const write of writes) {
        const { position } = await write();
        await db.utils.awaitTxId(String(position), 10_000);
        await same();
      }
      expect(
        materialized()
          .map((row) => row.name)
          .sort(),
      ).toEqual(['a2', 'c']);
    } finally {
      db.close();
    }
  });
});
