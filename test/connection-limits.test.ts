import { existsSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { connectionBudget, openFilesLimit } from '../src/http/gateway/connection-budget.js';
import { checkedFetch } from './support/openapi-check.js';
import { scrape } from './support/scrape.js';
import { appendMany, useServers } from './support/server.js';
import { freePort, send, serveChild } from './support/server-child.js';
import { streamsBase } from './support/streams.js';
import { useLogFile } from './support/temp-dir.js';
import { type Attempt, attempt, closeAll } from './support/ws-attempt.js';

const OPEN_FILES = 256;
const prlimit = ['/usr/bin/prlimit', '/bin/prlimit'].find((path) => existsSync(path));

/** `count` WebSockets from `localAddress`, `at` a time: each open, refused or failed. */
async function openMany(port: number, count: number, at = 8): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  while (attempts.length < count) {
    const group = Math.min(at, count - attempts.length);
    attempts.push(...(await Promise.all(Array.from({ length: group }, () => attempt(port)))));
  }
  return attempts;
}

const kinds = (attempts: readonly Attempt[]) => {
  const count = { open: 0, refused: 0, failed: 0 };
  for (const a of attempts) count[a.kind]++;
  return count;
};

describe('the connection budget', () => {
  it('is the soft limit on open files of /proc/self/limits, or 1024 where there is none', () => {
    const limits = `Limit                     Soft Limit           Hard Limit           Units
Max processes             63704                63704                processes
Max open files            1024                 524288               files
`;
    expect(openFilesLimit(limits)).toBe(1024);
    expect(openFilesLimit('')).toBe(1024);
  });

  it('keeps descriptors for the log and a quarter of the sockets for HTTP', () => {
    expect(connectionBudget(1024)).toEqual({
      openFiles: 1024,
      sockets: 960,
      subscriptions: 720,
      perClient: 360,
    });
    expect(connectionBudget(1_048_576).subscriptions).toBe(20_000);
  });
});

describe.skipIf(prlimit === undefined)(
  `a serve process allowed ${OPEN_FILES} open files${prlimit ? '' : ' (skipped: no prlimit)'}`,
  () => {
    const logFile = useLogFile();

    it('refuses the WebSockets past its limit with 4429, and its HTTP API keeps answering', async () => {
      const port = await freePort();
      const server = await serveChild(
        logFile(),
        port,
        [],
        [prlimit as string, `--nofile=${OPEN_FILES}:${OPEN_FILES}`],
      );
      // More than the process could hold at all: without a limit under its descriptors, the
      // last ones are cut (and so is HTTP).
      const attempts = await openMany(port, OPEN_FILES);
      try {
        const count = kinds(attempts);
        expect(count.failed, JSON.stringify(attempts.find((a) => a.kind === 'failed'))).toBe(0);
        expect(count.open).toBeGreaterThan(0);
        expect(count.open).toBeLessThanOrEqual(connectionBudget(OPEN_FILES).subscriptions);
        for (const a of attempts.filter((a) => a.kind === 'refused')) {
          expect(a).toMatchObject({ frame: { type: 'error', code: 4429 }, code: 4429 });
        }
        // All of them still open: a burst of requests is answered.
        const answers = await Promise.all(
          Array.from({ length: 16 }, () => send(port, 'GET', '/api/health')),
        );
        expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      } finally {
        await closeAll(attempts);
        await server.stop();
      }
    });
  },
);

describe('the per-client connection limit', () => {
  const start = useServers();
  const logFile = useLogFile();

  it('counts every loopback address as one client', async () => {
    const server = await start({
      db: logFile(),
      gateway: { maxConnections: 10, maxConnectionsPerClient: 3 },
    });
    const attempts = [
      await attempt(server.port, '127.0.0.1'),
      await attempt(server.port, '127.0.0.2'),
      await attempt(server.port, '127.0.0.3'),
      await attempt(server.port, '127.0.0.4'),
    ];
    try {
      expect(attempts.slice(0, 3).map((a) => a.kind)).toEqual(['open', 'open', 'open']);
      expect(attempts[3]).toMatchObject({
        kind: 'refused',
        frame: { type: 'error', code: 4429, message: expect.stringMatching(/this client/) },
        code: 4429,
      });
      const stream = await fetch(`${server.url}/api/events/stream`);
      expect(stream.status).toBe(429);
      await stream.body?.cancel();
    } finally {
      await closeAll(attempts);
    }
    // Closed connections give their places back.
    const again = await attempt(server.port, '127.0.0.5');
    expect(again.kind).toBe('open');
    await closeAll([again]);
  });
});

describe('Durable Streams live reads', () => {
  const start = useServers();
  const logFile = useLogFile();

  it('hold places in the same budget as WebSockets and event streams, refused 429 past it, given back when they end', async () => {
    const server = await start({
      db: logFile(),
      gateway: { maxConnections: 10, maxConnectionsPerClient: 2 },
      streams: { longPollMs: 30_000 },
    });
    await appendMany(server, 3);
    const events = `${streamsBase(server)}/events`;
    const open = async (mode: 'long-poll' | 'sse') =>
      (await scrape(server.url)).value('sessionlog_subscriptions_open', {
        transport: `streams-${mode}`,
      });
    // An SSE read, then a long-poll waiting at the tail: the client's two places.
    const sseAbort = new AbortController();
    const sse = await fetch(`${events}?offset=-1&live=sse`, { signal: sseAbort.signal });
    expect(sse.status).toBe(200);
    const reader = sse.body?.getReader();
    await reader?.read();
    const waiting = fetch(`${events}?offset=now&live=long-poll`);
    await vi.waitFor(async () => expect(await open('long-poll')).toBe(1));
    expect(await open('sse')).toBe(1);

    // Checked against the OpenAPI document: the 429 is a documented answer of the route.
    const refusedRead = await checkedFetch(`${events}?offset=now&live=long-poll`);
    expect(refusedRead.status).toBe(429);
    expect(refusedRead.headers.get('retry-after')).toBe('1');
    expect(await refusedRead.json()).toMatchObject({
      type: 'urn:sessionlog:problem:too-many-connections',
      detail: expect.stringMatching(/this client/),
    });
    const refusedSse = await fetch(`${events}?offset=-1&live=sse`);
    expect(refusedSse.status).toBe(429);
    await refusedSse.body?.cancel();
    const ws = await attempt(server.port);
    expect(ws).toMatchObject({ kind: 'refused', code: 4429 });
    const stream = await fetch(`${server.url}/api/events/stream`);
    expect(stream.status).toBe(429);
    await stream.body?.cancel();
    // A catch-up read is no live read: it takes no place.
    expect((await fetch(`${events}?offset=-1`)).status).toBe(200);

    // The SSE reader hangs up: its place is free again.
    sseAbort.abort();
    await vi.waitFor(async () => expect(await open('sse')).toBe(0));
    const socket = await attempt(server.port);
    expect(socket.kind).toBe('open');
    // A commit ends the long-poll: its place is free too.
    await appendMany(server, 1);
    expect((await waiting).status).toBe(200);
    await vi.waitFor(async () => expect(await open('long-poll')).toBe(0));
    const another = await attempt(server.port);
    expect(another.kind).toBe('open');
    await closeAll([socket, another]);
  });
});
