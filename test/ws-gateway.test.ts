import { expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { subscribe } from '../src/testing/index.js';
import { describeEachBackend } from './support/backends.js';
import { appendMany, useServers } from './support/server.js';

// What only the WebSocket does: event frames in batches, its error frames and close codes,
// pings. What both transports do is in gateway.test.ts.
describeEachBackend('the WebSocket gateway', (logFile) => {
  const start = useServers();

  it('replays the log in batches of at most 1000 events a frame', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 2500);
    const client = await subscribe(server.url, { after: 0 });
    await client.waitFor(2500);
    const batches = client.frames.filter((f) => f.type === 'events');
    expect(batches.every((f) => f.type === 'events' && f.events.length <= 1000)).toBe(true);
    await client.close();
  });

  it('refuses bad parameters with an error frame and 4400', async () => {
    const server = await start({ db: logFile() });
    for (const query of ['after=-1', 'after=abc', 'types=NoSuchType']) {
      const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws?${query}`);
      const frames: unknown[] = [];
      socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
      const [code] = await new Promise<[number]>((resolve) =>
        socket.on('close', (c) => resolve([c])),
      );
      expect(code, query).toBe(4400);
      expect(frames[0]).toMatchObject({ type: 'error', code: 4400 });
    }
  });

  it('ends a connection whose peer stopped answering pings', async () => {
    const server = await start({ db: logFile(), gateway: { pingMs: 100 } });
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws`, { autoPong: false });
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await new Promise((resolve) => socket.once('open', resolve));
    expect(server.gateway.stats().connections).toBe(1);
    expect(await closed).toBe(1006); // terminated, no close handshake
    await vi.waitFor(() => expect(server.gateway.stats().connections).toBe(0));
  });

  it('closes a connection whose client sends more than a small message (1009)', async () => {
    const server = await start({ db: logFile() });
    const client = await subscribe(server.url);
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws`);
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.send('x'.repeat(64 * 1024));
    expect(await closed).toBe(1009);
    await appendMany(server, 1);
    await client.waitFor(1); // the others are unaffected
    await client.close();
  });
});
