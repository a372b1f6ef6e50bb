import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../src/events/envelope.js';
import type { RunningServer } from '../src/server.js';
import { backoffDelay } from '../web/src/sync/backoff.js';
import type { FetchLike, OpenSocket, SocketHandlers } from '../web/src/sync/ports.js';
import { createSyncEngine, type SyncEngine } from '../web/src/sync/sync-engine.js';
import { useServers } from './support/server.js';
import { useTempDir } from './support/temp-dir.js';
import { engineFor, manualTime, until } from './support/web-engine.js';

/** A port nothing listens on: connections to it are refused. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('reconnecting with backoff', () => {
  it('doubles the ceiling each attempt, waits at least half of it, and caps it', () => {
    const options = { baseMs: 500, maxMs: 30_000 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, () => 0, options))).toEqual([
      250, 500, 1000, 2000,
    ]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, () => 0.999_999, options))).toEqual([
      500, 1000, 2000, 4000,
    ]);
    expect(backoffDelay(30, () => 0.999_999, options)).toBe(30_000);
    expect(backoffDelay(30, () => 0, options)).toBe(15_000);
  });

  it('waits longer after each refused attempt, each wait drawn at random', async () => {
    const time = manualTime();
    const draws = [0.1, 0.9, 0.4, 0.7, 0.2];
    const engine = createSyncEngine({
      baseUrl: `http://127.0.0.1:${await deadPort()}`,
      fetch: (url, init) => fetch(url, init),
      openSocket: () => {
        throw new Error('no socket before a snapshot');
      },
      timers: time.timers,
      clock: time.clock,
      random: () => draws.shift() ?? 0.5,
      backoff: { baseMs: 1000, maxMs: 60_000 },
    });
    engine.start();
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      await until(
        () => {
          const connection = engine.connection.value;
          return connection.state === 'reconnecting' && connection.attempt === attempt;
        },
        { what: `attempt ${attempt}` },
      );
      const connection = engine.connection.value;
      if (connection.state !== 'reconnecting') throw new Error('unreachable');
      expect(connection.reason).not.toBe('');
      waits.push(connection.retryAt - time.clock());
      time.advance(waits.at(-1) ?? 0);
    }
    engine.stop();
    // Ceilings 1, 2, 4, 8, 16 s; half sure, half random.
    expect(waits).toEqual([550, 1900, 2800, 6800, 9600]);
    expect(time.delays).toEqual(waits);
  });
});

describe('noticing a dead connection', () => {
  const startServer = useServers();
  const workDir = useTempDir();
  let engine: SyncEngine | undefined;
  afterEach(() => engine?.stop());

  async function liveEngine(server: RunningServer) {
    const time = manualTime();
    const made = engineFor(server.url, { timers: time.timers, clock: time.clock });
    engine = made.engine;
    engine.start();
    await until(() => engine?.connection.value.state === 'live', { what: 'live' });
    return { engine: made.engine, sockets: made.sockets, time };
  }

  const createSession = (server: RunningServer) =>
    fetch(`${server.url}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cwd: workDir() }),
    });

  it('reconnects after twice the heartbeat interval of silence, and resumes', async () => {
    const server = await startServer({ db: ':memory:' });
    const { engine, sockets, time } = await liveEngine(server);
    time.advance(30_000);
    expect(engine.connection.value.state).toBe('live');

    time.advance(5_000);
    const connection = engine.connection.value;
    expect(connection.state).toBe('reconnecting');
    if (connection.state === 'reconnecting') expect(connection.reason).toMatch(/nothing heard/);
    await createSession(server);
    time.advance(1_000);
    await until(() => engine.position.value === 1 && engine.connection.value.state === 'live', {
      what: 'the missed session',
    });
    expect(sockets.urls.map((url) => new URL(url).searchParams.get('after'))).toEqual(['0', '0']);
  });

  it('keeps a connection that keeps talking', async () => {
    const server = await startServer({ db: ':memory:' });
    const { engine, sockets, time } = await liveEngine(server);
    for (let i = 1; i <= 3; i++) {
      time.advance(25_000);
      await createSession(server);
      await until(() => engine.position.value === i, { what: `event ${i}` });
    }
    time.advance(25_000);
    expect(engine.connection.value.state).toBe('live');
    expect(sockets.urls).toHaveLength(1);
  });

  it('reconnects at once when the clock jumps (the laptop slept)', async () => {
    const server = await startServer({ db: ':memory:' });
    const { engine, sockets, time } = await liveEngine(server);
    time.advance(4_000);
    time.jump(20_000);
    time.advance(1_000);
    const connection = engine.connection.value;
    expect(connection.state).toBe('reconnecting');
    if (connection.state === 'reconnecting') expect(connection.reason).toMatch(/clock jumped/);
    time.advance(1_000);
    await until(() => sockets.urls.length === 2 && engine.connection.value.state === 'live', {
      what: 'a second connection',
    });
  });

  it('does not take a throttled timer for a sleep while frames keep arriving', async () => {
    const server = await startServer({ db: ':memory:' });
    const { engine, sockets, time } = await liveEngine(server);
    // A background tab: the watchdog's timer fires a minute late, the socket kept talking.
    time.jump(60_000);
    await createSession(server);
    await until(() => engine.position.value === 1, { what: 'the event' });
    time.advance(5_000);
    expect(engine.connection.value.state).toBe('live');
    expect(sockets.urls).toHaveLength(1);
  });
});

describe('applying events', () => {
  /** A server made of scripted frames: the snapshot at `snapshotAt`, then `frames`. */
  function scripted(snapshotAt: number, frames: unknown[]) {
    const answers: Record<string, unknown> = {
      '/api/health': { logId: 'log-1' },
      '/api/sessions': { sessions: [], position: snapshotAt },
    };
    const fakeFetch: FetchLike = async (url) => ({
      ok: true,
      status: 200,
      json: async () => answers[new URL(url).pathname],
    });
    let handlers: SocketHandlers | undefined;
    let sockets = 0;
    const openSocket: OpenSocket = (_url, on) => {
      handlers = on;
      sockets++;
      return { close() {} };
    };
    const engine = createSyncEngine({
      baseUrl: 'http://127.0.0.1:1',
      fetch: fakeFetch,
      openSocket,
    });
    const replay = async (count: number) => {
      await until(() => sockets === count, { what: `socket ${count}` });
      for (const frame of frames) handlers?.message(JSON.stringify(frame));
    };
    return {
      engine,
      async play() {
        engine.start();
        await replay(1);
      },
      /** The same frames again, on the second socket. */
      playAgain: () => replay(2),
    };
  }

  const started = (position: number, stream = `session-${position}`): Envelope => ({
    position,
    id: `e${position}`,
    stream,
    version: 1,
    type: 'SessionStarted',
    time: '2026-01-01T00:00:00.000Z',
    data: { cwd: '/tmp', hostname: 'h', platform: 'linux' },
    meta: { schemaVersion: 1 },
    hash: 'h',
  });

  it('ignores events at or below the position it has applied', async () => {
    const { engine, play } = scripted(2, [
      { type: 'hello', logId: 'log-1', head: 5, after: 2 },
      { type: 'events', events: [started(1), started(2), started(3)] },
      { type: 'events', events: [started(3), started(4)] },
      { type: 'live', position: 4 },
      { type: 'events', events: [started(4), started(5)] },
    ]);
    const applied: number[] = [];
    engine.onEvents((events) => applied.push(...events.map((event) => event.position)));
    await play();
    engine.stop();
    expect(applied).toEqual([3, 4, 5]);
    expect([...engine.sessions.value.keys()]).toEqual(['session-3', 'session-4', 'session-5']);
  });

  it('reloads at once after a reset, and backs off when the server keeps resetting', async () => {
    const reset = { type: 'reset', logId: 'log-2', head: 0, reason: 'another log' };
    const { engine, play, playAgain } = scripted(0, [
      { type: 'hello', logId: 'log-2', head: 0, after: 0 },
      reset,
    ]);
    const seen: string[] = [];
    engine.connection.subscribe((c) => {
      seen.push(c.state === 'reconnecting' ? `reconnecting ${c.attempt}` : c.state);
    });
    await play();
    await until(() => engine.epoch.value === 2, { what: 'a second snapshot' });
    await playAgain();
    engine.stop();
    expect(seen).toEqual(['stopped', 'connecting', 'reset', 'reconnecting 1', 'stopped']);
  });

  it('counts the missed events down while replaying, then goes live', async () => {
    const { engine, play } = scripted(0, [
      { type: 'hello', logId: 'log-1', head: 3, after: 0 },
      { type: 'events', events: [started(1)] },
      { type: 'events', events: [started(2), started(3)] },
      { type: 'live', position: 3 },
    ]);
    const seen: string[] = [];
    engine.connection.subscribe((c) => {
      seen.push(c.state === 'replaying' ? `replaying ${c.missed}` : c.state);
    });
    await play();
    engine.stop();
    expect(seen).toEqual([
      'stopped',
      'connecting',
      'replaying 3',
      'replaying 2',
      'replaying 0',
      'live',
      'stopped',
    ]);
  });
});
