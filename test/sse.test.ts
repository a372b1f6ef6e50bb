import { request } from 'node:http';
import { expect, it } from 'vitest';
import { subscribe, subscribeSse } from '../src/testing/index.js';
import '../src/testing/vitest.js';
import { describeEachBackend } from './support/backends.js';
import { appendMany, useServers } from './support/server.js';

const positions = (events: readonly { position: number }[]) => events.map((e) => e.position);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A response body's text up to the first `until`. */
async function readUntil(response: Response, until: string): Promise<string> {
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (reader !== undefined && !text.includes(until)) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader?.cancel();
  return text;
}

describeEachBackend('the event stream (Server-Sent Events)', (logFile) => {
  const start = useServers();

  it('answers text/event-stream: a retry hint, hello without an id, then each event with its position as id and its type as event', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 2);
    const response = await fetch(`${server.url}/api/events/stream?after=0`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const text = await readUntil(response, 'event: live');
    const [event1] = await server.log.store.read({ after: 0, limit: 1 });
    const hello = { type: 'hello', logId: server.log.store.logId, head: 2, after: 0 };
    expect(text).toMatch(
      new RegExp(
        `^retry: 2000\n\nevent: hello\ndata: ${literal(JSON.stringify(hello))}\n\n` +
          `id: 1\nevent: SessionStarted\ndata: ${literal(JSON.stringify(event1))}\n\n` +
          'id: 2\nevent: FileChanged\ndata: \\{[^\n]*\\}\n\n' +
          `id: 2\nevent: live\ndata: ${literal('{"type":"live","position":2}')}\n\n`,
      ),
    );
  });

  it('replays the whole log from 0, then goes live', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 2500);
    const client = await subscribeSse(server.url, { after: 0 });
    await client.waitFor(2500);
    expect(client.frames.find((f) => f.type === 'live')).toEqual({ type: 'live', position: 2500 });
    await server.log.commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux' });
    await client.waitFor(2501);
    expect(positions(client.events)).toEqual(range(1, 2501));
    expect(client.lastEventId).toBe('2501');
    await client.close();
  });

  it('replays from the middle exactly what the client missed', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 1500);
    const client = await subscribeSse(server.url, { after: 1200 });
    await client.waitFor(1500);
    expect(positions(client.events)).toEqual(range(1201, 1500));
    await client.close();
  });

  it('starts at the head by default and sends only new events', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 10);
    const client = await subscribeSse(server.url);
    expect(client.frames[0]).toMatchObject({ type: 'hello', head: 10, after: 10 });
    await client.waitFor(() => client.frames.some((f) => f.type === 'live'));
    await appendMany(server, 3);
    await client.waitFor(13);
    expect(positions(client.events)).toEqual([11, 12, 13]);
    await client.close();
  });

  it('resumes from Last-Event-ID rather than after, as a reconnecting EventSource asks', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 1500);
    const client = await subscribeSse(server.url, { after: 0, lastEventId: '1200' });
    expect(client.frames[0]).toMatchObject({ type: 'hello', after: 1200 });
    await client.waitFor(1500);
    expect(positions(client.events)).toEqual(range(1201, 1500));
    await client.close();
    // Not a position: ignored (a refusal would be retried forever with the same header).
    const other = await subscribeSse(server.url, { after: 1490, lastEventId: 'abc' });
    await other.waitFor(1500);
    expect(positions(other.events)).toEqual(range(1491, 1500));
    await other.close();
  });

  it('filters by type and stream, with watermarks that carry the position as id', async () => {
    const server = await start({ db: logFile() });
    const { commands } = server.log;
    const a = (await commands.start({ cwd: '/tmp', hostname: 'h', platform: 'linux', name: 'a' }))
      .session.id;
    await appendMany(server, 3000);
    await commands.end(a, { status: 'completed' });
    const client = await subscribeSse(server.url, {
      after: 0,
      types: ['SessionEnded'],
      streams: [a],
    });
    await client.waitFor(await server.log.store.head());
    expect(client).toEqualEvents([{ type: 'SessionEnded', stream: a }]);
    await appendMany(server, 50);
    // The skipped live events move the watermark, and with it Last-Event-ID, without an event.
    const head = await server.log.store.head();
    await client.waitFor(head);
    expect(client).toEqualEvents([{ type: 'SessionEnded', stream: a }]);
    expect(client.frames).toContainEqual({ type: 'position', position: head });
    expect(client.lastEventId).toBe(String(head));
    await client.close();
  });

  it('tells a client holding another log to reset, and one ahead of the head too, then ends', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 5);
    for (const options of [{ logId: 'another-log', after: 2 }, { after: 99 }]) {
      const client = await subscribeSse(server.url, options);
      expect(await client.closed).toEqual({ by: 'server' });
      expect(client.frames.map((f) => f.type)).toEqual(['hello', 'reset']);
      expect(client.frames[1]).toMatchObject({ logId: server.log.store.logId, head: 5 });
      expect(client.lastEventId).toBeUndefined();
    }
    expect(server.hub.stats().connections).toBe(0);
  });

  it('refuses bad parameters with 400 problem+json before streaming', async () => {
    const server = await start({ db: logFile() });
    for (const query of ['after=-1', 'after=abc', 'types=NoSuchType', 'logId=']) {
      const response = await fetch(`${server.url}/api/events/stream?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(((await response.json()) as { errors: unknown[] }).errors).toHaveLength(1);
    }
  });

  it('sends a heartbeat comment when nothing else happens', async () => {
    const server = await start({ db: logFile(), gateway: { heartbeatMs: 200 } });
    const client = await subscribeSse(server.url);
    await client.waitFor(() => client.frames.some((f) => f.type === 'heartbeat'), {
      timeout: 5000,
    });
    expect(client.frames.find((f) => f.type === 'heartbeat')).toEqual({
      type: 'heartbeat',
      head: 0,
    });
    await client.close();
  });

  it('ends every stream when the server shuts down', async () => {
    const server = await start({ db: logFile() });
    const clients = await Promise.all([subscribeSse(server.url), subscribeSse(server.url)]);
    await server.close();
    for (const client of clients) expect(await client.closed).toEqual({ by: 'server' });
  });

  it('counts event streams and WebSockets against one connection limit (429)', async () => {
    const server = await start({ db: logFile(), gateway: { maxConnections: 2 } });
    const socket = await subscribe(server.url);
    const stream = await subscribeSse(server.url);
    await expect(subscribeSse(server.url)).rejects.toThrow(/429/);
    await expect(subscribe(server.url)).rejects.toThrow(/4429/);
    await Promise.all([socket.close(), stream.close()]);
  });

  it('feeds event streams and WebSockets the same commits', async () => {
    const server = await start({ db: logFile() });
    const socket = await subscribe(server.url, { after: 0 });
    const stream = await subscribeSse(server.url, { after: 0 });
    await appendMany(server, 700);
    await Promise.all([socket.waitFor(700), stream.waitFor(700)]);
    expect(stream.events).toEqual(socket.events);
    await Promise.all([socket.close(), stream.close()]);
  });
});

describeEachBackend('the event stream’s security', (logFile) => {
  const start = useServers();

  it('needs the token when one is set: as a bearer, or as ?token= on this route alone', async () => {
    const server = await start({ db: logFile(), token: 's3cret' });
    await expect(subscribeSse(server.url)).rejects.toThrow(/401/);
    await expect(subscribeSse(server.url, { token: 'guess' })).rejects.toThrow(/401/);
    await expect(subscribeSse(server.url, { token: 'guess', tokenIn: 'query' })).rejects.toThrow(
      /401/,
    );
    for (const tokenIn of ['header', 'query'] as const) {
      const client = await subscribeSse(server.url, { token: 's3cret', tokenIn });
      await client.close();
    }
    // The exception is narrow: the rest of the API still wants the header.
    expect((await fetch(`${server.url}/api/events?token=s3cret`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/health?token=s3cret`)).status).toBe(401);
  });

  it('refuses a cross-site page (403), and takes its own origin and allowed ones', async () => {
    const server = await start({ db: logFile(), allowedOrigins: ['https://ok.example'] });
    await expect(subscribeSse(server.url, { origin: 'https://evil.example' })).rejects.toThrow(
      /403/,
    );
    for (const origin of [server.url, 'https://ok.example']) {
      const client = await subscribeSse(server.url, { origin });
      await client.close();
    }
  });

  it('refuses a Host that is not this server (DNS rebinding)', async () => {
    const server = await start({ db: logFile() });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        `${server.url}/api/events/stream`,
        { headers: { host: 'evil.example:80' } },
        (response) => {
          resolve(response.statusCode);
          response.resume();
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    expect(server.hub.stats().connections).toBe(0);
  });
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
