import { stream } from '@durable-streams/client';
import { expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import { describeEachBackend } from './support/backends.js';
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
});
