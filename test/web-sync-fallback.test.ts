import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import type { RunningServer } from '../src/server.js';
import type { Session } from '../src/sessions/session.js';
import {
  createSyncEngine,
  type SyncEngine,
  type SyncOptions,
} from '../web/src/sync/sync-engine.js';
import { blockableSockets, fakeEventStreams, realEventStreams } from './support/event-streams.js';
import { useServers } from './support/server.js';
import { useLogFile, useTempDir } from './support/temp-dir.js';
import { nodeSockets, until } from './support/web-engine.js';

/**
 * The sync engine's fallback, for networks that refuse WebSockets: Server-Sent Events after repeated WebSocket
 * failures, the WebSocket again once it works, each event applied once across each switch.
 * Every case runs twice: over a FAKE event stream that follows SPEC's contract on top
 * of the server's `/ws` (see fakeEventStreams), and over the server's real
 * `/api/events/stream` (skipped, saying so, while the server has none).
 */
for (const source of ['fake', 'real'] as const) {
  describe(`the sync engine's SSE fallback (${source} /api/events/stream)`, () => {
    const startServer = useServers();
    const logFile = useLogFile();
    const otherLogFile = useLogFile();
    const workDir = useTempDir();
    const engines: SyncEngine[] = [];
    // After useServers' afterEach in the stack: engines stop before their servers go.
    afterEach(() => {
      for (const engine of engines.splice(0)) engine.stop();
    });

    /** The real stream, or a skip that says why: the server half may not be there yet. */
    async function requireSource(server: RunningServer, context: TestContext) {
      if (source === 'fake') return;
      const response = await fetch(`${server.url}/api/events/stream?after=0`);
      const type = response.headers.get('content-type') ?? '';
      await response.body?.cancel();
      if (!type.startsWith('text/event-stream')) {
        context.skip(`the server has no /api/events/stream yet (answered ${response.status})`);
      }
    }

    async function fallbackEngine(server: RunningServer, options: Partial<SyncOptions> = {}) {
      const sockets = nodeSockets();
      const blocker = await blockableSockets(sockets.openSocket);
      const streams = source === 'fake' ? fakeEventStreams() : realEventStreams();
      const engine = createSyncEngine({
        baseUrl: server.url,
        fetch: (url, init) => fetch(url, init),
        openSocket: blocker.openSocket,
        openEventStream: streams.open,
        backoff: { baseMs: 20, maxMs: 200 },
        probeBackoff: { baseMs: 200, maxMs: 400 },
        ...options,
      });
      engines.push(engine);
      const positions: number[] = [];
      const states: string[] = [];
      // Where the table's snapshot stood: the events applied after it start right above.
      const snapshot = { at: 0 };
      engine.epoch.subscribe(() => {
        snapshot.at = engine.position.peek();
      });
      engine.onEvents((events) => positions.push(...events.map((event) => event.position)));
      engine.connection.subscribe(({ state }) => {
        const labelled = `${state}/${engine.transport.peek()}`;
        if (states.at(-1) !== labelled) states.push(labelled);
      });
      return { engine, sockets, blocker, streams, positions, states, snapshot };
    }

    async function post(server: RunningServer, name: string) {
      const send = () =>
        fetch(`${server.url}/api/sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ cwd: workDir(), name }),
        });
      // Right after a restart on the same port, fetch may reuse a pooled socket the old server
      // closed ("other side closed"): sent again under the same key, the write happens once.
      const key = randomUUID();
      const response = await send().catch(send);
      if (!response.ok) throw new Error(`POST answered ${response.status}`);
      return (await response.json()) as { session: Session; position: number };
    }
    const head = async (server: RunningServer) =>
      ((await (await fetch(`${server.url}/api/health`)).json()) as { head: number }).head;
    async function serverTable(server: RunningServer, position: number) {
      const response = await fetch(`${server.url}/api/sessions?asOf=${position}`);
      return byId(((await response.json()) as { sessions: Session[] }).sessions);
    }
    async function caughtUp(engine: SyncEngine, server: RunningServer, transport: string) {
      const target = await head(server);
      await until(
        () =>
          engine.position.value >= target &&
          engine.connection.value.state === 'live' &&
          engine.transport.value === transport,
        {
          timeout: 15_000,
          what: `position ${target}, live over ${transport} (at ${engine.position.value}, ${engine.connection.value.state} over ${engine.transport.value})`,
        },
      );
    }
    /** Each position from `from` + 1 on, once, in order: no gap, no double. */
    const contiguous = (positions: number[], from: number, to: number) =>
      expect(positions).toEqual(Array.from({ length: to - from }, (_, i) => from + i + 1));
    const after = (url: string | undefined) => Number(new URL(url ?? '').searchParams.get('after'));

    it('switches to SSE after three WebSocket failures and resumes from the applied position', async (context) => {
      const server = await startServer({ db: ':memory:' });
      await requireSource(server, context);
      await post(server, 'before');
      const made = await fallbackEngine(server);
      made.blocker.state.blocked = false;
      made.engine.start();
      await caughtUp(made.engine, server, 'websocket');
      const from = made.engine.position.value;

      // The WebSocket path breaks: the live socket is cut, and new ones are refused.
      made.blocker.state.blocked = true;
      made.sockets.cutAll();
      await post(server, 'during the switch');
      await caughtUp(made.engine, server, 'sse');
      // The cut, then two refusals: three failures in a row.
      expect(made.blocker.state.refusals).toBeGreaterThanOrEqual(2);
      expect(after(made.streams.urls[0])).toBe(from);

      for (const name of ['over SSE, one', 'over SSE, two']) await post(server, name);
      await caughtUp(made.engine, server, 'sse');
      contiguous(made.positions, made.snapshot.at, made.engine.position.value);
      expect(byId(made.engine.sessions.value.values())).toEqual(
        await serverTable(server, made.engine.position.value),
      );
      expect(made.states.slice(1, 3)).toEqual(['connecting/websocket', 'live/websocket']);
      expect(made.states.at(-1)).toBe('live/sse');
    });

    it('resumes over SSE from the applied position after each cut', async (context) => {
      const server = await startServer({ db: ':memory:' });
      await requireSource(server, context);
      await post(server, 'first');
      const made = await fallbackEngine(server);
      made.engine.start();
      await caughtUp(made.engine, server, 'sse');

      const cutAt: number[] = [];
      for (let cut = 0; cut < 3; cut++) {
        cutAt.push(made.engine.position.value);
        const before = made.streams.urls.length;
        made.streams.cutAll();
        await post(server, `while cut ${cut}`);
        await post(server, `while cut ${cut}, again`);
        await until(() => made.streams.urls.length > before, { what: 'a new stream' });
        await caughtUp(made.engine, server, 'sse');
      }
      contiguous(made.positions, made.snapshot.at, made.engine.position.value);
      // The stream after each cut asked for what came after the last applied position.
      const resumedFrom = cutAt.map(
        (position) => made.streams.urls.map(after).find((at) => at === position) ?? -1,
      );
      expect(resumedFrom).toEqual(cutAt);
      expect(byId(made.engine.sessions.value.values())).toEqual(
        await serverTable(server, made.engine.position.value),
      );
    });

    it('goes back to the WebSocket once a probe reaches hello, without a gap or a double', async (context) => {
      const server = await startServer({ db: ':memory:' });
      await requireSource(server, context);
      const made = await fallbackEngine(server);
      made.engine.start();
      await caughtUp(made.engine, server, 'sse');
      const from = made.engine.position.value;

      // Writes keep coming while the probe opens and takes over from the event stream.
      let writing = true;
      const writer = (async () => {
        for (let n = 0; writing; n++) await post(server, `during the switch ${n}`);
      })();
      await until(() => made.positions.length >= 5, { what: 'writes over SSE' });
      made.blocker.state.blocked = false;
      await until(() => made.engine.transport.value === 'websocket', {
        timeout: 15_000,
        what: 'back on the WebSocket',
      });
      const switchedAt = made.engine.position.value;
      await until(() => made.engine.position.value >= switchedAt + 5, { what: 'writes over /ws' });
      writing = false;
      await writer;
      await caughtUp(made.engine, server, 'websocket');

      contiguous(made.positions, from, made.engine.position.value);
      // Live throughout the switch: the socket took over before the stream was closed.
      const sinceSse = made.states.slice(made.states.lastIndexOf('live/sse'));
      expect(sinceSse.filter((state) => state !== 'replaying/websocket')).toEqual([
        'live/sse',
        'live/websocket',
      ]);
      expect(byId(made.engine.sessions.value.values())).toEqual(
        await serverTable(server, made.engine.position.value),
      );
    });

    it('reloads the snapshot on a reset over SSE', async (context) => {
      let server = await startServer({ db: logFile() });
      await requireSource(server, context);
      for (const name of ['old one', 'old two', 'old three']) await post(server, name);
      const made = await fallbackEngine(server);
      made.engine.start();
      await caughtUp(made.engine, server, 'sse');
      const oldLog = made.engine.logId.value;

      const { port } = server;
      await server.close();
      await until(() => made.engine.connection.value.state === 'reconnecting', {
        what: 'reconnecting',
      });
      // A fresh log, shorter than what the client has seen: only the log id tells them apart.
      server = await startServer({ db: otherLogFile(), port });
      await post(server, 'new log');
      await until(() => made.engine.logId.value !== oldLog, { timeout: 15_000, what: 'new log' });
      await caughtUp(made.engine, server, 'sse');

      expect(made.states).toContain('reset/sse');
      expect(made.engine.epoch.value).toBe(2);
      const table = byId(made.engine.sessions.value.values());
      expect(table.map((session) => session.name)).toEqual(['new log']);
      expect(table).toEqual(await serverTable(server, made.engine.position.value));
    });
  });
}

const byId = (sessions: Iterable<Session>) =>
  [...sessions].sort((a, b) => a.id.localeCompare(b.id));
