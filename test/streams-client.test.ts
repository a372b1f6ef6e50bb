import { stream } from '@durable-streams/client';
import { expect, it, vi } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { describeEachBackend } from './support/backends.js';
import { scrape } from './support/scrape.js';
import { appendMany, useServers } from './support/server.js';
import { apiEvents, follow, streamsBase } from './support/streams.js';

const newSession = async (server: RunningServer, name: string) => {
  const response = await fetch(`${server.url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ cwd: '/tmp', name }),
  });
  return ((await response.json()) as { session: { id: string } }).session.id;
};
const rename = (server: RunningServer, id: string, name: string) =>
  fetch(`${server.url}/api/sessions/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });

describeEachBackend('Durable Streams read by the official client', (log) => {
  const start = useServers();

  it('reads the log and a session stream from -1 to up-to-date in chunks, exactly what /api/events gives', async () => {
    const server = await start({ db: log() });
    const id = await newSession(server, 'a');
    // Over two chunk boundaries (1000 positions each), another session's events between.
    await appendMany(server, 2400);
    await rename(server, id, 'b');
    // json() reads until Stream-Up-To-Date. (`live: false` makes this client stop after the
    // first response, chunk or not: it is not how to catch up on a chunked stream.)
    const whole = await stream<unknown>({ url: `${streamsBase(server)}/events` });
    expect(await whole.json()).toEqual(await apiEvents(server));
    const one = await stream<unknown>({
      url: `${streamsBase(server)}/sessions/${id}/events`,
    });
    expect(await one.json()).toEqual(await apiEvents(server, `&streams=${id}`));
  });

  for (const live of ['long-poll', 'sse'] as const) {
    it(`follows the log live over ${live}, and resumes by its offset after a restart: each event once`, async () => {
      const db = log();
      let server = await start({ db, streams: { longPollMs: 1000 } });
      const id = await newSession(server, 'a');
      await appendMany(server, 1200);
      const all = await follow(`${streamsBase(server)}/events`, '-1', live);
      const mine = await follow(`${streamsBase(server)}/sessions/${id}/events`, '-1', live);
      await all.until(1201);
      await rename(server, id, 'live 1');
      await appendMany(server, 5);
      await rename(server, id, 'live 2');
      await all.until(1208);
      await mine.until(3);
      all.stop();
      mine.stop();
      // A new server on the same log, on another port: each reader resumes by its offset.
      await server.close();
      server = await start({ db, streams: { longPollMs: 1000 } });
      const allAgain = await follow(`${streamsBase(server)}/events`, all.offset, live);
      const mineAgain = await follow(
        `${streamsBase(server)}/sessions/${id}/events`,
        mine.offset,
        live,
      );
      await rename(server, id, 'after restart');
      await appendMany(server, 3);
      await allAgain.until(4);
      await mineAgain.until(1);
      allAgain.stop();
      mineAgain.stop();
      expect([...all.items, ...allAgain.items]).toEqual(await apiEvents(server));
      expect([...mine.items, ...mineAgain.items]).toEqual(
        await apiEvents(server, `&streams=${id}`),
      );
    });
  }

  for (const live of ['long-poll', 'sse'] as const) {
    it(`stops reading a deleted session's stream over ${live}: closed at its SessionDeleted, live readers at the tail end too`, async () => {
      // A long wait: a reader that did not stop by itself would hang past the test's timeout.
      const server = await start({ db: log(), streams: { longPollMs: 60_000, sseMs: 60_000 } });
      const id = await newSession(server, 'a');
      await appendMany(server, 1100);
      await rename(server, id, 'b');
      const url = `${streamsBase(server)}/sessions/${id}/events`;
      // One reader at the tail, waiting, when the session is deleted.
      const waiting = await stream<unknown>({ url, offset: 'now', live });
      const waited: unknown[] = [];
      const waitedDone = waiting.subscribeJson((batch) => {
        waited.push(...batch.items);
      });
      // Waiting for real: the server holds its live read (its offset taken before the delete),
      // else a first read arriving after the delete would start there, with nothing to say.
      await vi.waitFor(async () => {
        const open = (await scrape(server.url)).value('sessionlog_subscriptions_open', {
          transport: `streams-${live}`,
        });
        expect(open).toBe(1);
      });
      const deleted = await fetch(`${server.url}/api/sessions/${id}`, { method: 'DELETE' });
      expect(deleted.status).toBe(200);
      // The log goes on; the deleted session's stream does not.
      await appendMany(server, 50);
      // A reader from the start, live: it reads everything, then stops by itself.
      const whole = await stream<unknown>({ url, offset: '-1', live });
      const items: unknown[] = [];
      for await (const item of whole.jsonStream()) items.push(item);
      expect(whole.streamClosed).toBe(true);
      expect(items).toEqual(await apiEvents(server, `&streams=${id}`));
      expect((items.at(-1) as { type: string }).type).toBe('SessionDeleted');
      await waiting.closed;
      waitedDone();
      expect(waiting.streamClosed).toBe(true);
      expect(waited).toEqual([items.at(-1)]);
      // HEAD says where it ended; a read there is the protocol's EOF.
      const head = await fetch(url, { method: 'HEAD' });
      const end = head.headers.get('stream-next-offset');
      expect(head.headers.get('stream-closed')).toBe('true');
      expect(Number(end)).toBe((items.at(-1) as { position: number }).position);
      const eof = await fetch(`${url}?offset=${end}`);
      expect(await eof.json()).toEqual([]);
      expect(eof.headers.get('stream-closed')).toBe('true');
      const poll = await fetch(`${url}?offset=${end}&live=long-poll`);
      expect(poll.status).toBe(204);
      expect(poll.headers.get('stream-closed')).toBe('true');
    });
  }
});
