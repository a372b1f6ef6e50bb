import { expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { describeEachBackend } from './support/backends.js';
import { type Write, writeAtOnce } from './support/concurrent-writes.js';
import { useServers } from './support/server.js';
import { send } from './support/server-child.js';

/** Starts a session through `server`; returns its path. */
async function startSession(server: RunningServer): Promise<string> {
  const created = await send(server.port, 'POST', '/api/sessions', {
    body: { cwd: '/tmp', name: 'raced' },
  });
  expect(created.status).toBe(201);
  const { session } = created.body as { session: { id: string } };
  return `/api/sessions/${encodeURIComponent(session.id)}`;
}

/** The statuses of `writes` sent all at once, each to the next of `servers` in turn. */
function race(
  servers: readonly RunningServer[],
  writes: ReadonlyArray<Omit<Write, 'port'>>,
): Promise<number[]> {
  return writeAtOnce(
    writes.map((write, i) => ({
      ...write,
      port: (servers[i % servers.length] as RunningServer).port,
    })),
  );
}

const renames = (path: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    method: 'PATCH' as const,
    path,
    body: { name: `name ${i}` },
  }));

describeEachBackend('writes racing on one session without If-Match', (log, backend) => {
  const startServer = useServers();
  // On PostgreSQL, two nodes on one log: a node's commit can lose to the other node's.
  const nodes = async () => {
    const first = await startServer({ db: log() });
    if (backend.name === 'SQLite') return [first];
    return [first, await startServer({ db: log() })];
  };

  it('applies 50 concurrent renames, each once, in some order', async () => {
    const servers = await nodes();
    const path = await startSession(servers[0] as RunningServer);
    const statuses = await race(servers, renames(path, 50));
    expect(statuses).toEqual(statuses.map(() => 200));
    const after = await send(servers[0]?.port as number, 'GET', path);
    expect(after.body).toMatchObject({ session: { version: 1 + 50 } });
  });

  it('deletes the session for a DELETE among 30 renames: each rename applies or answers 410, none 409', async () => {
    const servers = await nodes();
    const path = await startSession(servers[0] as RunningServer);
    const writes: Array<Omit<Write, 'port'>> = renames(path, 30);
    writes.splice(15, 0, { method: 'DELETE' as const, path });
    const statuses = await race(servers, writes);
    expect(statuses[15]).toBe(200);
    const renamed = statuses.filter((status, i) => i !== 15 && status === 200).length;
    expect(statuses.filter((status) => status !== 200 && status !== 410)).toEqual([]);
    expect((await send(servers[0]?.port as number, 'GET', path)).status).toBe(410);
    // The renames that applied came before the deletion; none came after it.
    const { events } = (await send(servers[0]?.port as number, 'GET', `${path}/events`)).body as {
      events: Array<{ type: string }>;
    };
    expect(events.map((event) => event.type)).toEqual([
      'SessionStarted',
      ...Array.from({ length: renamed }, () => 'SessionUpdated'),
      'SessionDeleted',
    ]);
  });

  it('ends the session for an ending PATCH among 30 renames: the renames after it answer 409', async () => {
    const servers = await nodes();
    const path = await startSession(servers[0] as RunningServer);
    const writes: Array<Omit<Write, 'port'>> = renames(path, 30);
    writes.splice(15, 0, { method: 'PATCH', path, body: { status: 'completed' } });
    const statuses = await race(servers, writes);
    expect(statuses[15]).toBe(200);
    expect(statuses.filter((status) => status !== 200 && status !== 409)).toEqual([]);
    const renamed = statuses.filter((status, i) => i !== 15 && status === 200).length;
    const { events } = (await send(servers[0]?.port as number, 'GET', `${path}/events`)).body as {
      events: Array<{ type: string }>;
    };
    expect(events.map((event) => event.type)).toEqual([
      'SessionStarted',
      ...Array.from({ length: renamed }, () => 'SessionUpdated'),
      'SessionEnded',
    ]);
  });
});
