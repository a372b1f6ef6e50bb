import { describe, expect, it } from 'vitest';
import { checkedFetch as fetch } from './support/openapi-check.js';
import { appendMany, useServers } from './support/server.js';
import { apiEvents, streamsBase } from './support/streams.js';
import { useLogFile } from './support/temp-dir.js';

// The read side's HTTP answers, as a CDN and a client see them (Durable Streams §5, §8, §10).
describe('Durable Streams over HTTP', () => {
  const start = useServers();
  const logFile = useLogFile();
  const paths = (id: string) => ['events', 'sessions', `sessions/${id}/events`];

  it('ends catch-up chunks on fixed positions, cached for good; the tail says up-to-date and is revalidated', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 2500);
    const url = `${streamsBase(server)}/events`;
    const first = await fetch(`${url}?offset=-1`);
    expect(first.headers.get('stream-next-offset')).toBe('0000000000001000');
    expect(first.headers.get('stream-up-to-date')).toBeNull();
    expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(((await first.json()) as unknown[]).length).toBe(1000);
    // From an offset inside a chunk, to the same boundary.
    const inside = await fetch(`${url}?offset=0000000000000500`);
    expect(inside.headers.get('stream-next-offset')).toBe('0000000000001000');
    const tail = await fetch(`${url}?offset=0000000000002000`);
    expect(tail.headers.get('stream-next-offset')).toBe('0000000000002500');
    expect(tail.headers.get('stream-up-to-date')).toBe('true');
    expect(tail.headers.get('cache-control')).toBe('no-cache');
    const etag = tail.headers.get('etag') ?? '';
    const again = await fetch(`${url}?offset=0000000000002000`, {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    await appendMany(server, 1);
    const moved = await fetch(`${url}?offset=0000000000002000`, {
      headers: { 'if-none-match': etag },
    });
    expect(moved.status).toBe(200);
    expect(moved.headers.get('etag')).not.toBe(etag);
    const now = await fetch(`${url}?offset=now`);
    expect(await now.text()).toBe('[]');
    expect(now.headers.get('stream-next-offset')).toBe('0000000000002501');
    expect(now.headers.get('cache-control')).toBe('no-store');
  });

  it('answers writes 405 with Allow, another log 404, and bad offsets 400 naming the parameter', async () => {
    const server = await start({ db: logFile() });
    await appendMany(server, 3, 'session-one');
    for (const path of paths('session-one')) {
      for (const method of ['PUT', 'POST', 'DELETE', 'PATCH']) {
        const response = await fetch(`${streamsBase(server)}/${path}`, { method, body: '[]' });
        expect(response.status, `${method} ${path}`).toBe(405);
        expect(response.headers.get('allow')).toBe('GET, HEAD');
      }
      const other = await fetch(`${server.url}/streams/another-log/${path}`);
      expect(other.status).toBe(404);
      for (const offset of ['abc', '', '12', '0000000000000004', '-2', '0000000000000001,2']) {
        const response = await fetch(`${streamsBase(server)}/${path}?offset=${offset}`);
        expect(response.status, offset).toBe(400);
        expect(await response.json()).toMatchObject({ errors: [{ path: 'offset' }] });
      }
      const twice = await fetch(`${streamsBase(server)}/${path}?offset=-1&offset=-1`);
      expect(twice.status).toBe(400);
      const noOffset = await fetch(`${streamsBase(server)}/${path}?live=long-poll`);
      expect(noOffset.status).toBe(400);
      const badLive = await fetch(`${streamsBase(server)}/${path}?offset=-1&live=yes`);
      expect(await badLive.json()).toMatchObject({ errors: [{ path: 'live' }] });
    }
    expect((await fetch(`${streamsBase(server)}/sessions/session-none/events`)).status).toBe(404);
  });

  it('needs the token when one is set, and then caches chunks as private', async () => {
    const server = await start({ db: logFile(), token: 'secret-token' });
    await appendMany(server, 1001, 'session-one');
    for (const path of paths('session-one')) {
      const url = `${streamsBase(server)}/${path}?offset=-1`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const response = await fetch(url, { headers: { authorization: 'Bearer secret-token' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    }
  });

  it('bounds chunks in bytes too, ending them where every reader ends them: a multiple of 100, 10 or 1', async () => {
    const maxChunkBytes = 8 * 1024;
    const server = await start({ db: logFile(), streams: { maxChunkBytes } });
    const { store } = server.log;
    const changed = (pathLength: number) => ({
      type: 'FileChanged' as const,
      data: { change: 'modified' as const, path: 'p'.repeat(pathLength), kind: 'file' as const },
    });
    const summary = { type: 'SessionUpdated' as const, data: { summary: 's'.repeat(10_000) } };
    await store.append('s', [
      { type: 'SessionStarted', data: { cwd: '/tmp', hostname: 'h', platform: 'linux' } },
    ]);
    // Positions 2–301 of about half a KiB each, 302 larger than a chunk may be, then small ones.
    await store.append(
      's',
      Array.from({ length: 300 }, () => changed(300)),
    );
    await store.append('s', [summary]);
    await store.append(
      's',
      Array.from({ length: 20 }, () => changed(10)),
    );
    const url = `${streamsBase(server)}/events`;
    const chunks: { offset: string; etag: string | null; body: string; end: number }[] = [];
    for (let offset = '-1'; ; ) {
      const response = await fetch(`${url}?offset=${offset}`);
      const body = await response.text();
      const next = response.headers.get('stream-next-offset') ?? '';
      chunks.push({ offset, etag: response.headers.get('etag'), body, end: Number(next) });
      if (response.headers.get('stream-up-to-date') === 'true') break;
      // Every chunk below the tail is cached for good, and within the bound but for a lone
      // message larger than it.
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const messages = JSON.parse(body) as unknown[];
      if (messages.length > 1) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(maxChunkBytes);
      offset = next;
    }
    expect(chunks.flatMap((chunk) => JSON.parse(chunk.body) as unknown[])).toEqual(
      await apiEvents(server),
    );
    const ends = chunks.map((chunk) => chunk.end);
    // Cut at multiples of 10 while 100 positions do not fit; 300 and 301 just before the big
    // one, which goes alone; then the tail.
    expect(ends.slice(0, -4)).toEqual(Array.from({ length: 29 }, (_, i) => (i + 1) * 10));
    expect(ends.slice(-4)).toEqual([300, 301, 302, 322]);
    // The same chunks for a reader that comes later, when the log has grown past them.
    await appendMany(server, 2000, 'session-other');
    for (const chunk of chunks.slice(0, -1)) {
      const again = await fetch(`${url}?offset=${chunk.offset}`);
      expect(again.headers.get('etag')).toBe(chunk.etag);
      expect(await again.text()).toBe(chunk.body);
    }
  });
});
