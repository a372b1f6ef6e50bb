import { expect, it } from 'vitest';
import { subscribe, subscribeSse } from '../src/testing/index.js';
import '../src/testing/vitest.js';
import { describeEachBackend } from './support/backends.js';
import { appendMany, useServers } from './support/server.js';
import { describeEachTransport, transports } from './support/transports.js';

const positions = (events: readonly { position: number }[]) => events.map((e) => e.position);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

// What both transports promise alike, written once. What only one of them does (WebSocket
// frames and close codes, the event stream's text and Last-Event-ID) is in ws-gateway.test.ts
// and sse.test.ts.
describeEachTransport('the gateway', (transport, logFile) => {
  const start = useServers();

  it('replays the whole log from 0, then goes live', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 2500);
    const client = await transport.subscribe(server.url, { after: 0 });
    await client.waitFor(2500);
    expect(client.frames.find((f) => f.type === 'live')).toEqual({ type: 'live', position: 2500 });
    await server.log.commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux' });
    await client.waitFor(2501);
    expect(positions(client.events)).toEqual(range(1, 2501));
    expect(transport.resumePoint(client)).toBe('2501');
    await client.close();
  });

  it('replays from the middle exactly what the client missed', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 1500);
    const client = await transport.subscribe(server.url, { after: 1200 });
    await client.waitFor(1500);
    expect(positions(client.events)).toEqual(range(1201, 1500));
    await client.close();
  });

  it('starts at the head by default and sends only new events', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 10);
    const client = await transport.subscribe(server.url);
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
    const client = await transport.subscribe(server.url, {
      after: 0,
      types: ['SessionEnded'],
      streams: [a],
    });
    await client.waitFor(await server.log.store.head());
    expect(client).toEqualEvents([{ type: 'SessionEnded', stream: a }]);
    await appendMany(server, 50);
    // The skipped live events move the watermark, and with it the resume point, without an event.
    const head = await server.log.store.head();
    await client.waitFor(head);
    expect(client).toEqualEvents([{ type: 'SessionEnded', stream: a }]);
    expect(client.frames).toContainEqual({ type: 'position', position: head });
    expect(transport.resumePoint(client)).toBe(String(head));
    await client.close();
  });

  it('tells a client holding another log to reset, and one ahead of the head too, then ends', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 5);
    for (const options of [{ logId: 'another-log', after: 2 }, { after: 99 }]) {
      const client = await transport.subscribe(server.url, options);
      expect(await client.closed).toEqual(transport.endedBy(4409));
      expect(client.frames.map((f) => f.type)).toEqual(['hello', 'reset']);
      expect(client.frames[1]).toMatchObject({ logId: server.log.store.logId, head: 5 });
    }
    expect(server.hub.stats().connections).toBe(0);
  });

  it('sends a heartbeat when nothing else happens', async () => {
    const server = await start({ db: logFile(), gateway: { heartbeatMs: 200 } });
    const client = await transport.subscribe(server.url);
    await client.waitFor(() => client.frames.some((f) => f.type === 'heartbeat'), {
      timeout: 5000,
    });
    expect(client.frames.find((f) => f.type === 'heartbeat')).toEqual({
      type: 'heartbeat',
      head: 0,
    });
    await client.close();
  });

  it('ends every subscription when the server shuts down (1001)', async () => {
    const server = await start({ db: logFile() });
    const clients = await Promise.all([
      transport.subscribe(server.url),
      transport.subscribe(server.url),
    ]);
    await server.close();
    for (const client of clients) expect(await client.closed).toEqual(transport.endedBy(1001));
  });

  it('refuses connections past the limit, counting both transports against it (429)', async () => {
    const server = await start({ db: logFile(), gateway: { maxConnections: 2 } });
    const others = transports.filter((t) => t !== transport);
    const open = await Promise.all([transport, ...others].map((t) => t.subscribe(server.url)));
    for (const t of [transport, ...others])
      await expect(t.subscribe(server.url)).rejects.toThrow(t.refusal(429));
    await Promise.all(open.map((client) => client.close()));
  });
});

describeEachTransport('the gateway’s security', (transport, logFile) => {
  const start = useServers();

  it('refuses a cross-site page (hijacking, 403), and takes its own origin and allowed ones', async () => {
    const server = await start({ db: logFile(), allowedOrigins: ['https://ok.example'] });
    await expect(
      transport.subscribe(server.url, { origin: 'https://evil.example' }),
    ).rejects.toThrow(transport.refusal(403));
    for (const origin of [server.url, 'https://ok.example']) {
      const client = await transport.subscribe(server.url, { origin });
      await client.close();
    }
  });

  it('needs the token when one is set, and refuses a wrong one (401)', async () => {
    const server = await start({ db: logFile(), token: 's3cret' });
    await expect(transport.subscribe(server.url)).rejects.toThrow(transport.refusal(401));
    await expect(transport.subscribe(server.url, { token: 'guess' })).rejects.toThrow(
      transport.refusal(401),
    );
    const client = await transport.subscribe(server.url, { token: 's3cret' });
    await client.close();
  });

  it('refuses a Host that is not this server (DNS rebinding) before subscribing', async () => {
    const server = await start({ db: logFile() });
    expect(await transport.statusForHost(server.url, 'evil.example:80')).toBe(403);
    expect(server.hub.stats().connections).toBe(0);
  });
});

describeEachBackend('both transports', (logFile) => {
  const start = useServers();

  it('feed event streams and WebSockets the same commits', async () => {
    const server = await start({ db: logFile() });
    const socket = await subscribe(server.url, { after: 0 });
    const stream = await subscribeSse(server.url, { after: 0 });
    await appendMany(server, 700);
    await Promise.all([socket.waitFor(700), stream.waitFor(700)]);
    expect(stream.events).toEqual(socket.events);
    await Promise.all([socket.close(), stream.close()]);
  });
});
