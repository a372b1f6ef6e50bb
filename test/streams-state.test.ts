import { createStateSchema } from '@durable-streams/state';
import { createStreamDB } from '@durable-streams/state/db';
import { expect, it } from 'vitest';
import { sessionRowMemo, sessionsTableSource } from '../src/http/streams/sessions-changes.js';
import { readChunk } from '../src/http/streams/stream-source.js';
import { tailSignal } from '../src/http/streams/tail-signal.js';
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

  it('gives each chunk the same changes whatever was read before it, folding only its own events onto the rows the last one reached', async () => {
    const server = await start({ db: log() });
    const { store } = server.log;
    const ids = ['s-a', 's-b', 's-c', 's-d'];
    const change = {
      type: 'FileChanged' as const,
      data: { change: 'modified' as const, path: 'a.txt', kind: 'file' as const },
    };
    for (const id of ids) {
      await store.append(id, [
        { type: 'SessionStarted', data: { cwd: '/tmp', hostname: 'h', platform: 'linux' } },
      ]);
    }
    // Long histories interleaved, with renames, an end and a deletion between the chunks.
    // (An ended or deleted session takes no more events: the rules would refuse them.)
    const over = new Set<string>();
    for (let round = 0; round < 6; round++) {
      for (const id of ids.filter((one) => !over.has(one))) {
        await store.append(
          id,
          Array.from({ length: 150 + round * 7 }, () => change),
        );
        await store.append(id, [{ type: 'SessionUpdated', data: { name: `${id} ${round}` } }]);
      }
      if (round === 3) {
        await store.append('s-c', [{ type: 'SessionEnded', data: { status: 'completed' } }]);
        over.add('s-c');
      }
      if (round === 4) {
        await store.append('s-d', [{ type: 'SessionDeleted', data: {} }]);
        over.add('s-d');
      }
    }
    const head = await store.head();
    expect(head).toBeGreaterThan(3000);
    // Before: every session met folded from its whole stream (no row remembered).
    const reference = await sessionsTableSource(store, tailSignal(), sessionRowMemo(0)).read(
      0,
      head,
    );
    const url = `${streamsBase(server)}/sessions`;
    const readFrom = async (offset: string) => {
      const messages: unknown[] = [];
      for (;;) {
        const response = await fetch(`${url}?offset=${offset}`);
        messages.push(...((await response.json()) as unknown[]));
        offset = response.headers.get('stream-next-offset') ?? '';
        if (response.headers.get('stream-up-to-date') === 'true') return messages;
      }
    };
    const after = (position: number) =>
      reference
        .filter((message) => message.position > position)
        .map((message) => JSON.parse(String(message.body)));
    // A reader from the middle first (the rows it leaves are ahead of the next reader's), then
    // from the start, then from inside a chunk, then all again.
    expect(await readFrom('0000000000001500')).toEqual(after(1500));
    expect(await readFrom('-1')).toEqual(after(0));
    expect(await readFrom('0000000000000777')).toEqual(after(777));
    expect(await readFrom('-1')).toEqual(after(0));
    // Every event changed a row: one message each.
    expect(after(0).length).toBe(head);
  });

  it("reads a long session's history once, not again in every chunk, with readers at different places", async () => {
    const server = await start({ db: log() });
    const { store } = server.log;
    const started = { cwd: '/tmp', hostname: 'h', platform: 'linux' };
    const change = {
      type: 'FileChanged' as const,
      data: { change: 'modified' as const, path: 'a.txt', kind: 'file' as const },
    };
    await store.append('long', [{ type: 'SessionStarted', data: started }]);
    for (let chunk = 0; chunk < 5; chunk++) {
      await store.append(
        'long',
        Array.from({ length: 999 }, () => change),
      );
      await store.append(`short-${chunk}`, [{ type: 'SessionStarted', data: started }]);
    }
    const head = await store.head();
    // The store as the source uses it, counting the events it reads back from sessions' streams.
    let refolded = 0;
    const counting = {
      logId: store.logId,
      head: () => store.head(),
      read: store.read.bind(store),
      readStream: async (...args: Parameters<typeof store.readStream>) => {
        const events = await store.readStream(...args);
        refolded += events.length;
        return events;
      },
    };
    const source = sessionsTableSource(counting, tailSignal(), sessionRowMemo());
    const reference = await sessionsTableSource(store, tailSignal(), sessionRowMemo(0)).read(
      0,
      head,
    );
    // Two readers, one from the start and one from the middle, a chunk each in turn.
    const readers = [{ after: 0 }, { after: 2500 }].map((reader) => ({
      ...reader,
      messages: [] as unknown[],
    }));
    while (readers.some((reader) => reader.after < head)) {
      for (const reader of readers.filter((one) => one.after < head)) {
        const chunk = await readChunk(source, reader.after, head);
        reader.messages.push(...chunk.messages);
        reader.after = chunk.end;
      }
    }
    for (const [i, from] of [0, 2500].entries()) {
      expect(readers[i]?.messages).toEqual(reference.filter((m) => m.position > from));
    }
    // The reader from the middle folds the long session once, from the row the other reader's
    // first chunk left at 1000 up to 2500; every other chunk starts from the rows its previous
    // chunk left. (Folding the history again in each chunk read about 16,000 events here.)
    expect(refolded).toBeLessThanOrEqual(1500);
  });
});
