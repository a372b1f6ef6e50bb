import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { subscribe } from '../src/testing/subscribe.js';
import { describeEachBackend } from './support/backends.js';
import { writeConcurrently } from './support/concurrent-writes.js';
import { readThroughCuts as readThroughCutsOver } from './support/read-through-cuts.js';
import { useServers } from './support/server.js';

/** Over the WebSocket: each reconnection asks for `after` = the last position received. */
const readThroughCuts = (url: () => string, until: () => number | undefined) =>
  readThroughCutsOver(
    (after) => subscribe(url(), { after }),
    (client) => client.position,
    until,
  );

describeEachBackend('resuming by position', (logFile, backend) => {
  const start = useServers();

  it('delivers every position exactly once to a client cut off at random moments during 5,000 concurrent appends', async () => {
    const server = await start({ db: logFile() });
    let done: number | undefined;
    const writing = writeConcurrently(() => server, 5000).then(async () => {
      done = await server.log.store.head();
    });
    const { seen, connections } = await readThroughCuts(
      () => server.url,
      () => done,
    );
    await writing;
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    expect(connections).toBeGreaterThan(5);
  }, 60_000);

  it(`delivers every position exactly once across a server restart on the same ${backend.holder}`, async () => {
    let server = await start({ db: logFile() });
    let done: number | undefined;
    const writing = (async () => {
      await writeConcurrently(() => server, 2500);
      const port = server.port;
      await server.close();
      server = await start({ db: logFile(), port });
      await writeConcurrently(() => server, 2500);
      done = await server.log.store.head();
    })();
    const { seen } = await readThroughCuts(
      () => server.url,
      () => done,
    );
    await writing;
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
  }, 60_000);

  it('holds at most a bounded buffer for a client that never reads while 100,000 events flow, then lets it resume', async () => {
    const server = await start({
      db: logFile(),
      durability: 'normal',
      gateway: { limits: { slowClientMs: 1500 } },
    });
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws?after=0`);
    await new Promise((resolve) => socket.once('open', resolve));
    // Stop reading: the kernel buffers fill, then the server's.
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    let maxBuffered = 0;
    const sampler = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, server.gateway.stats().maxBuffered);
    }, 5);
    const { store } = server.log;
    await store.append('s', [
      { type: 'SessionStarted', data: { cwd: '/tmp', hostname: 'h', platform: 'linux' } },
    ]);
    const change = {
      type: 'FileChanged' as const,
      data: { change: 'modified' as const, path: 'a', kind: 'file' as const },
    };
    for (let i = 0; i < 100; i++) {
      await Promise.all(
        Array.from({ length: 10 }, () =>
          store.append(
            's',
            Array.from({ length: 100 }, () => change),
          ),
        ),
      );
    }
    await sleep(2500); // past slowClientMs
    clearInterval(sampler);
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(1024 * 1024);

    const received: number[] = [];
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === 'events')
        received.push(...frame.events.map((e: { position: number }) => e.position));
    });
    (socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).toBe(4408);
    const last = received.at(-1) ?? 0;
    expect(received).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    const resumed = await subscribe(server.url, { after: last });
    await resumed.waitFor(100_001, { timeout: 20_000 });
    expect(resumed.events[0]?.position).toBe(last + 1);
    expect(resumed.events.at(-1)?.position).toBe(100_001);
    expect(resumed.events).toHaveLength(100_001 - last);
    await resumed.close();
  }, 60_000);
});
