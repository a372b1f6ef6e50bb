import { describe, expect, it } from 'vitest';
import type { SessionStatus } from '../src/sessions/session.js';
import { openPgSessionlog } from '../src/stores/postgres/open-postgres.js';
import { sessionsAsOf } from '../src/stores/postgres/sessions-table.js';
import { runCli } from './support/cli.js';
import { pgUnavailable, usePgSchemas } from './support/postgres.js';

const title = (what: string) => (pgUnavailable ? `${what} (skipped: ${pgUnavailable})` : what);
const statuses: Array<SessionStatus | undefined> = [
  undefined,
  'pending',
  'in_progress',
  'completed',
];

describe.skipIf(pgUnavailable !== undefined)(title('asOf on a PostgreSQL log'), () => {
  const newSchema = usePgSchemas();

  it('answers every past position as a fold of the log would, from two nodes, and after a rebuild', async () => {
    const url = newSchema();
    const a = await openPgSessionlog({ url, durability: 'normal' });
    const b = await openPgSessionlog({ url, durability: 'normal' });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const node = i % 2 === 0 ? a : b;
        const { session } = await node.commands.start({
          cwd: `/tmp/${i}`,
          hostname: 'h',
          platform: 'linux',
        });
        ids.push(session.id);
      }
      const [s0, s1, s2, s3, s4] = ids as [string, string, string, string, string];
      // Concurrent writes through both nodes land in shared batches; one append holds
      // several events of one session (each version is kept at its own position).
      await Promise.all([
        a.commands.update(s0, { name: 'zero', status: 'in_progress' }),
        b.commands.recordFileChange(s1, { change: 'created', path: 'a.txt', kind: 'file' }),
        a.store.append(s2, [
          { type: 'FileChanged', data: { change: 'created', path: 'x', kind: 'file' } },
          { type: 'FileChanged', data: { change: 'modified', path: 'x', kind: 'file' } },
          { type: 'SessionUpdated', data: { summary: 'two changes' } },
        ]),
        b.commands.patch(s3, { name: 'three', status: 'completed' }),
      ]);
      await b.commands.delete(s4);
      await a.commands.end(s0, { status: 'failed' });
      // Appends that change no row (an unknown stream) are in the log but not in the table.
      await a.store.append('not-a-session', [
        { type: 'FileChanged', data: { change: 'deleted', path: 'y', kind: 'file' } },
      ]);
      const head = await a.store.head();
      expect(head).toBeGreaterThan(14);

      const expectAllPositions = async () => {
        for (let position = 0; position <= head; position++) {
          for (const status of statuses) {
            const fold = await sessionsAsOf(a.store, position, status);
            const byHistory = await b.listSessions({
              asOf: position,
              ...(status ? { status } : {}),
            });
            expect(byHistory, `asOf ${position} ${status ?? ''}`).toEqual({
              sessions: fold,
              position,
            });
          }
        }
      };
      await expectAllPositions();
      // Byte for byte what the table answers (keys in the same order), not only deep-equal.
      expect(JSON.stringify((await a.listSessions({ asOf: head })).sessions)).toBe(
        JSON.stringify((await a.listSessions()).sessions),
      );

      await a.close();
      await b.close();
      const rebuilt = await runCli('rebuild', '--db', url);
      expect(rebuilt.code).toBe(0);
      const again = await openPgSessionlog({ url });
      try {
        for (const position of [0, 3, 7, head]) {
          expect((await again.listSessions({ asOf: position })).sessions).toEqual(
            await sessionsAsOf(again.store, position),
          );
        }
      } finally {
        await again.close();
      }
    } finally {
      await a.close().catch(() => {});
      await b.close().catch(() => {});
    }
  });
});
