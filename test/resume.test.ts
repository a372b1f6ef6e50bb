import { expect, it, vi } from 'vitest';
import { writeConcurrently } from './support/concurrent-writes.js';
import { readThroughCuts as readThroughCutsOver } from './support/read-through-cuts.js';
import { appendMany, useServers } from './support/server.js';
import { describeEachTransport, type Transport } from './support/transports.js';

/** Each reconnection resumes as the transport's clients do: `after`, or `Last-Event-ID`. */
const readThroughCuts = (
  transport: Transport,
  url: () => string,
  until: () => number | undefined,
) =>
  readThroughCutsOver(
    (from) => transport.resume(url(), from),
    (client, from) => Number(transport.resumePoint(client) ?? from),
    until,
  );

describeEachTransport('resuming by position', (transport, logFile, backend) => {
  const start = useServers();

  it('delivers every position exactly once to a client cut off at random moments during 5,000 concurrent appends', async () => {
    const server = await start({ db: logFile() });
    let done: number | undefined;
    const writing = writeConcurrently(() => server, 5000).then(async () => {
      done = await server.log.store.head();
    });
    const { seen, connections } = await readThroughCuts(
      transport,
      () => server.url,
      () => done,
    );
    await writing;
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    expect(connections).toBeGreaterThan(5);
  }, 120_000);

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
      transport,
      () => server.url,
      () => done,
    );
    await writing;
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
  }, 120_000);

  it('holds at most a bounded buffer for a client that never reads while 100,000 events flow, then lets it resume', async () => {
    const slowClientMs = 1500;
    const server = await start({
      db: logFile(),
      durability: 'normal',
      gateway: { limits: { slowClientMs } },
    });
    const unread = await transport.openUnread(server.url);
    let maxBuffered = 0;
    const sampler = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, transport.stats(server).maxBuffered);
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
    await transport.givenUp(server, slowClientMs);
    clearInterval(sampler);
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(1024 * 1024);

    const { received, end } = await unread.readAll();
    expect(end).toBe(transport.slowEnd);
    const last = received.at(-1) ?? 0;
    expect(received).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    const resumed = await transport.resume(server.url, last);
    await resumed.waitFor(100_001, { timeout: 30_000 });
    expect(resumed.events[0]?.position).toBe(last + 1);
    expect(resumed.events.at(-1)?.position).toBe(100_001);
    expect(resumed.events).toHaveLength(100_001 - last);
    await resumed.close();
  }, 120_000);

  it('frees the subscription when the client goes away, mid-replay or while live', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 20_000);
    const replaying = await transport.subscribe(server.url, { after: 0 });
    const live = await transport.subscribe(server.url);
    await live.waitFor(() => live.frames.some((f) => f.type === 'live'));
    expect(server.hub.stats().connections).toBe(2);
    replaying.cut();
    await live.close();
    await vi.waitFor(() => expect(server.hub.stats().connections).toBe(0), { timeout: 10_000 });
    expect(replaying.events.length).toBeLessThan(20_000);
    // The commits that follow reach nobody, and nothing is left waiting on them.
    await appendMany(server, 10);
    expect(server.hub.stats()).toEqual({ connections: 0, buffered: 0, maxBuffered: 0 });
  });
});
