import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { sessionEventTypes } from '../src/events/schemas.js';
import type { RunningServer } from '../src/server.js';
import { useServers } from './support/server.js';
import { useLogFile } from './support/temp-dir.js';

const KNOWN_TYPES = Object.keys(sessionEventTypes);

interface Outcome {
  frames: { type: string; code?: number }[];
  /** The close code, or an HTTP status when the upgrade was refused. */
  code: number;
  refusedStatus?: number;
  /** The connection is open (a valid subscription): the test closed it. */
  open: boolean;
}

/**
 * Connects to `url`, reads frames until the server closes the socket, or until `hello` shows a
 * valid subscription (`isReset` says whether that hello must be followed by a reset).
 */
function connectOnce(url: string, isReset: (head: number) => boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    const frames: Outcome['frames'] = [];
    let done = false;
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      resolve(outcome);
    };
    socket.on('unexpected-response', (_request, response) => {
      finish({ frames, code: 0, refusedStatus: response.statusCode ?? 0, open: false });
      socket.terminate();
    });
    socket.on('error', () => {});
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Outcome['frames'][number] & { head?: number };
      frames.push(frame);
      if (frame.type === 'hello' && !isReset(frame.head ?? 0)) {
        socket.close(1000);
        finish({ frames, code: 1000, open: true });
      }
    });
    socket.on('close', (code) => finish({ frames, code, open: false }));
    // A server that neither answers nor closes fails the property here, not by a test timeout.
    setTimeout(() => {
      finish({ frames, code: -1, open: false });
      socket.terminate();
    }, 5000).unref();
  });
}

const junk = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '%', '%zz', '-1', '1.5', '1e3', '0x1', 'null', '☃'),
);

/** Every after=, logId=, streams=, types= a client could send, and unknown parameters. */
function subscriptionQueries(logId: string) {
  const list = (item: fc.Arbitrary<string>) =>
    fc.oneof(
      fc.array(item, { maxLength: 5 }).map((items) => items.join(',')),
      fc
        .integer({ min: 90, max: 150 })
        .map((n) => Array.from({ length: n }, (_, i) => `s${i}`).join(',')),
      fc.constant(Array.from({ length: 3 }, () => 'x'.repeat(201)).join(',')),
    );
  return fc
    .record(
      {
        after: fc.oneof(
          fc.integer({ min: 0, max: 5 }).map(String),
          fc.constantFrom('9'.repeat(15), '9'.repeat(16), '9'.repeat(300), '100000'),
          junk,
        ),
        logId: fc.oneof(
          fc.constant(logId),
          fc.constant(randomUUID()),
          fc.constantFrom('', 'x'.repeat(101)),
          junk,
        ),
        streams: list(fc.oneof(fc.constant('s1'), junk)),
        types: list(
          fc.oneof(
            fc.constantFrom(...KNOWN_TYPES),
            fc.constantFrom('Nope', 'sessionstarted'),
            junk,
          ),
        ),
        junk,
      },
      { requiredKeys: [] },
    )
    .map((params) => {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(params)) {
        query.set(name, value.replace(/[\ud800-\udfff]/g, '\ufffd'));
      }
      return query;
    });
}

/** What the server makes of `query`: a reset is due for another log or a position beyond the head. */
function resetDue(query: URLSearchParams, logId: string, head: number): boolean {
  const wantedLog = query.get('logId');
  const after = query.get('after');
  return (
    (wantedLog !== null && wantedLog !== logId) ||
    (after !== null && after !== '' && Number(after) > head)
  );
}

async function seed(server: RunningServer): Promise<void> {
  await server.log.store.append('s1', [
    { type: 'SessionStarted', data: { cwd: '/tmp', hostname: 'h', platform: 'linux' } },
  ]);
}

describe('fuzzing the WebSocket gateway', () => {
  const startServer = useServers();
  const logFile = useLogFile();

  it('answers any subscription URL with a subscription, an error frame and 4400, or a reset and 4409', async () => {
    const server = await startServer({ db: logFile() });
    await seed(server);
    const { logId } = server.log.store;
    const base = server.url.replace(/^http/, 'ws');
    let sockets = 0;
    await fc.assert(
      fc.asyncProperty(subscriptionQueries(logId), async (query) => {
        sockets++;
        const outcome = await connectOnce(`${base}/ws?${query}`, (head) =>
          resetDue(query, logId, head),
        );
        const label = `${query} → ${JSON.stringify(outcome)}`.slice(0, 400);
        if (outcome.refusedStatus !== undefined) {
          // A URL past Node's header limit is refused before the upgrade (431).
          expect(outcome.refusedStatus, label).toBeGreaterThanOrEqual(400);
          expect(outcome.refusedStatus, label).toBeLessThan(500);
        } else if (outcome.open) {
          // Frames that raced the client's own close (live, events) may follow the hello.
          expect(outcome.frames[0], label).toMatchObject({ type: 'hello' });
          const refusals = outcome.frames.filter((f) => f.type === 'error' || f.type === 'reset');
          expect(refusals, label).toEqual([]);
        } else if (outcome.frames[0]?.type === 'error') {
          expect(outcome, label).toMatchObject({ code: 4400, frames: [{ code: 4400 }] });
        } else {
          expect(outcome, label).toMatchObject({
            code: 4409,
            frames: [{ type: 'hello' }, { type: 'reset' }],
          });
        }
      }),
      { numRuns: 80 },
    );
    expect(sockets).toBeLessThanOrEqual(100);
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    expect(await server.log.store.head()).toBe(1);
  }, 60_000);

  it('closes with 4400 when the error echoes multi-byte characters past 123 bytes', async () => {
    const server = await startServer({ db: logFile() });
    const base = server.url.replace(/^http/, 'ws');
    const query = new URLSearchParams({ types: '☃'.repeat(60) });
    const outcome = await connectOnce(`${base}/ws?${query}`, () => false);
    expect(outcome).toMatchObject({ code: 4400, frames: [{ type: 'error', code: 4400 }] });
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });

  it('survives any frame a client sends: the sender is closed or ignored, the others keep receiving', async () => {
    const server = await startServer({ db: logFile() });
    await seed(server);
    const base = server.url.replace(/^http/, 'ws');
    // A witness that must hear of every commit while the others misbehave.
    const witness = new WebSocket(`${base}/ws?after=0`);
    const positions: number[] = [];
    witness.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as {
        type: string;
        events?: { position: number }[];
      };
      if (frame.type === 'events') positions.push(...(frame.events ?? []).map((e) => e.position));
    });
    await new Promise((resolve) => witness.once('open', resolve));

    const frameArb = fc.oneof(
      fc.string({ maxLength: 200 }).map((text) => ({ data: text, binary: false })),
      fc
        .uint8Array({ maxLength: 2000 })
        .map((bytes) => ({ data: Buffer.from(bytes), binary: true })),
      fc.constantFrom(
        { data: Buffer.from([0xff, 0xfe, 0xfd]), binary: false }, // invalid UTF-8 as text
        { data: Buffer.from([0xed, 0xa0, 0x80]), binary: false },
        { data: '['.repeat(4000), binary: false },
        { data: `${'['.repeat(2000)}${']'.repeat(2000)}`, binary: false },
        { data: 'x'.repeat(5000), binary: false }, // past the 4 KiB a client may send
        { data: Buffer.alloc(1024 * 1024), binary: true },
        { data: '{"type":"subscribe","after":-1}', binary: false },
        { data: '', binary: false },
      ),
    );
    let sockets = 1;
    let appended = 1;
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 4 }), async (frames) => {
        sockets++;
        const socket = new WebSocket(`${base}/ws`);
        socket.on('error', () => {});
        const closed = new Promise<number>((resolve) => socket.once('close', resolve));
        await new Promise((resolve) => socket.once('open', resolve));
        for (const { data, binary } of frames) {
          if (socket.readyState !== WebSocket.OPEN) break;
          socket.send(data, { binary });
        }
        // Give the server a moment to judge, then leave if it did not.
        const code = await Promise.race([
          closed,
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 50)),
        ]);
        if (code !== undefined) {
          expect([1002, 1006, 1007, 1009]).toContain(code);
        } else {
          socket.close(1000);
          await closed;
        }
        await server.log.store.append('s1', [
          { type: 'SessionUpdated', data: { name: `n${appended}` } },
        ]);
        appended++;
      }),
      { numRuns: 40 },
    );
    expect(sockets).toBeLessThanOrEqual(100);
    const deadline = Date.now() + 10_000;
    while (positions.length < appended && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(positions).toEqual(Array.from({ length: appended }, (_, i) => i + 1));
    expect(witness.readyState).toBe(WebSocket.OPEN);
    witness.close();
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  }, 60_000);
});

describe('fuzzing the event stream', () => {
  const startServer = useServers();
  const logFile = useLogFile();

  it('answers any query string with a stream, or 400 problem+json', async () => {
    const server = await startServer({ db: logFile() });
    await seed(server);
    const { logId } = server.log.store;
    await fc.assert(
      fc.asyncProperty(
        subscriptionQueries(logId),
        fc.option(fc.oneof(junk, fc.constantFrom('0', '1', '99999')), { nil: undefined }),
        async (query, lastEventId) => {
          const abort = new AbortController();
          const headers: Record<string, string> = {};
          if (lastEventId !== undefined) headers['last-event-id'] = encodeURIComponent(lastEventId);
          const response = await fetch(`${server.url}/api/events/stream?${query}`, {
            headers,
            signal: abort.signal,
          });
          const label = `${query} (Last-Event-ID ${lastEventId}) → ${response.status}`;
          try {
            if (response.status === 200) {
              expect(response.headers.get('content-type'), label).toMatch(/^text\/event-stream/);
            } else {
              expect([400, 431], label).toContain(response.status);
              if (response.status === 400) {
                expect(response.headers.get('content-type'), label).toMatch(
                  /^application\/problem\+json/,
                );
                expect(await response.json(), label).toMatchObject({ status: 400 });
              }
            }
          } finally {
            abort.abort();
          }
        },
      ),
      { numRuns: 60 },
    );
    const deadline = Date.now() + 5000;
    while (server.hub.stats().connections > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    expect(await server.log.store.head()).toBe(1);
  }, 60_000);
});
