import { expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { subscribe } from '../src/testing/index.js';
import '../src/testing/vitest.js';
import { describeEachBackend } from './support/backends.js';
import { appendMany, useServers } from './support/server.js';

const positions = (events: readonly { position: number }[]) => events.map((e) => e.position);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describeEachBackend('the WebSocket gateway', (logFile) => {
  const start = useServers();

  it('replays the whole log from 0 in batches of at most 1000, then goes live', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 2500);
    const client = await subscribe(server.url, { after: 0 });
    await client.waitFor(2500);
    const batches = client.frames.filter((f) => f.type === 'events');
    expect(batches.every((f) => f.type === 'events' && f.events.length <= 1000)).toBe(true);
    expect(client.frames.find((f) => f.type === 'live')).toEqual({ type: 'live', position: 2500 });
    await server.log.commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux' });
    await client.waitFor(2501);
    expect(positions(client.events)).toEqual(range(1, 2501));
    await client.close();
  });

  it('replays from the middle exactly what the client missed', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 1500);
    const client = await subscribe(server.url, { after: 1200 });
    await client.waitFor(1500);
    expect(positions(client.events)).toEqual(range(1201, 1500));
    await client.close();
  });

  it('starts at the head by default and sends only new events', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 10);
    const client = await subscribe(server.url);
    expect(client.frames[0]).toMatchObject({
      type: 'hello',
      head: 10,
      after: 10,
      logId: server.log.store.logId,
    });
    await client.waitFor(
      (events) => events.length === 0 && client.frames.some((f) => f.type === 'live'),
    );
    await appendMany(server, 3);
    await client.waitFor(13);
    expect(positions(client.events)).toEqual([11, 12, 13]);
    await client.close();
  });

  it('filters by type and stream, with watermarks so that a resume need not rescan', async () => {
    const server = await start({ db: logFile() });
    const { commands } = server.log;
    const a = (await commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux', name: 'a' }))
      .session.id;
    await appendMany(server, 3000);
    await commands.end(a, { status: 'completed' });
    const client = await subscribe(server.url, { after: 0, types: ['SessionEnded'], streams: [a] });
    await client.waitFor(await server.log.store.head());
    expect(client).toEqualEvents([{ type: 'SessionEnded', stream: a }]);
    await appendMany(server, 50);
    // The skipped live events move the watermark on, without any event frame.
    await client.waitFor(await server.log.store.head());
    expect(client).toEqualEvents([{ type: 'SessionEnded', stream: a }]);
    expect(client.frames.some((f) => f.type === 'position')).toBe(true);
    await client.close();
  });

  it('tells a client holding another log to reset, and one ahead of the head too', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 5);
    for (const options of [{ logId: 'another-log', after: 2 }, { after: 99 }]) {
      const client = await subscribe(server.url, options);
      expect(await client.closed).toMatchObject({ code: 4409 });
      expect(client.frames.map((f) => f.type)).toEqual(['hello', 'reset']);
      expect(client.frames[1]).toMatchObject({ logId: server.log.store.logId, head: 5 });
    }
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

  it('sends a heartbeat when nothing else happens', async () => {
    const server = await start({ db: logFile(), gateway: { heartbeatMs: 200 } });
    const client = await subscribe(server.url);
    await client.waitFor(() => client.frames.some((f) => f.type === 'heartbeat'), {
      timeout: 3000,
    });
    expect(client.frames.find((f) => f.type === 'heartbeat')).toEqual({
      type: 'heartbeat',
      head: 0,
    });
    await client.close();
  });

  it('closes with 1001 when the server shuts down', async () => {
    const server = await start({ db: logFile() });
    const client = await subscribe(server.url);
    await server.close();
    expect(await client.closed).toMatchObject({ code: 1001 });
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

  it('refuses connections past the limit with 4429', async () => {
    const server = await start({ db: logFile(), gateway: { maxConnections: 2 } });
    const first = await subscribe(server.url);
    const second = await subscribe(server.url);
    await expect(subscribe(server.url)).rejects.toThrow(/4429/);
    await Promise.all([first.close(), second.close()]);
  });
});

describeEachBackend('the gateway’s security', (logFile) => {
  const start = useServers();

  it('refuses a cross-site page’s WebSocket (hijacking) with 4403', async () => {
    const server = await start({ db: logFile() });
    await expect(subscribe(server.url, { origin: 'https://evil.example' })).rejects.toThrow(/4403/);
    const own = await subscribe(server.url, { origin: server.url });
    await own.close();
  });

  it('needs the token when one is set, and refuses a wrong one with 4401', async () => {
    const server = await start({ db: logFile(), token: 's3cret' });
    await expect(subscribe(server.url)).rejects.toThrow(/4401/);
    await expect(subscribe(server.url, { token: 'guess' })).rejects.toThrow(/4401/);
    const client = await subscribe(server.url, { token: 's3cret' });
    await client.close();
  });

  it('refuses an upgrade whose Host is not this server (DNS rebinding) before upgrading', async () => {
    const server = await start({ db: logFile() });
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws`, {
      headers: { host: 'evil.example:80' },
    });
    const status = await new Promise<number | undefined>((resolve) => {
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode));
      socket.on('open', () => resolve(undefined));
      socket.on('error', () => {});
    });
    expect(status).toBe(403);
  });
});
