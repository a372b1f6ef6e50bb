import { afterEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../src/events/envelope.js';
import type { RunningServer } from '../src/server.js';
import type { Session } from '../src/sessions/session.js';
import type { Connection, SyncEngine } from '../web/src/sync/sync-engine.js';
import { useServers } from './support/server.js';
import { useLogFile, useTempDir } from './support/temp-dir.js';
import { engineFor, until } from './support/web-engine.js';

/** The dashboard's sync engine against a real server, with Node's fetch and `ws`. */
describe('the dashboard sync engine', () => {
  const startServer = useServers();
  const logFile = useLogFile();
  const workDir = useTempDir();
  const engines: SyncEngine[] = [];
  const started = (engine: SyncEngine) => {
    engines.push(engine);
    engine.start();
    return engine;
  };
  afterEachStop(engines);

  async function api(server: RunningServer, method: string, path: string, body?: unknown) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
    return (await response.json()) as { session: Session; position: number };
  }
  const startSession = (server: RunningServer, name: string) =>
    api(server, 'POST', '/api/sessions', { cwd: workDir(), name });

  /** The server's table right after `position`, by id. */
  async function serverTable(server: RunningServer, position: number) {
    const response = await fetch(`${server.url}/api/sessions?asOf=${position}`);
    const { sessions } = (await response.json()) as { sessions: Session[] };
    return byId(sessions);
  }
  const byId = (sessions: Iterable<Session>) =>
    [...sessions].sort((a, b) => a.id.localeCompare(b.id));

  const head = async (server: RunningServer) =>
    ((await (await fetch(`${server.url}/api/health`)).json()) as { head: number }).head;

  /** Records each state the engine goes through, and every event it applies. */
  function record(engine: SyncEngine) {
    const states: Connection['state'][] = [];
    const positions: number[] = [];
    engine.connection.subscribe((connection) => {
      if (states.at(-1) !== connection.state) states.push(connection.state);
    });
    engine.onEvents((events) => positions.push(...events.map((event) => event.position)));
    return { states, positions };
  }

  async function caughtUp(engine: SyncEngine, server: RunningServer) {
    const target = await head(server);
    await until(() => engine.position.value >= target && engine.connection.value.state === 'live', {
      what: `position ${target}, live (at ${engine.position.value}, ${engine.connection.value.state})`,
    });
  }

  it('builds the same table as the server from a snapshot and the tail', async () => {
    const server = await startServer({ db: ':memory:' });
    const before = await startSession(server, 'before');
    await api(server, 'PATCH', `/api/sessions/${before.session.id}`, { status: 'in_progress' });
    const gone = await startSession(server, 'to delete');

    const { engine } = engineFor(server.url);
    started(engine);
    await caughtUp(engine, server);
    expect(byId(engine.sessions.value.values())).toEqual(
      await serverTable(server, engine.position.value),
    );

    // The tail: every kind of event, including file changes and a deletion.
    const during = await startSession(server, 'during');
    await server.log.store.append(during.session.id, [
      { type: 'FileChanged', data: { change: 'created', path: 'a.txt', kind: 'file' } },
      { type: 'FileChanged', data: { change: 'modified', path: 'a.txt', kind: 'file' } },
    ]);
    await api(server, 'PATCH', `/api/sessions/${before.session.id}`, {
      status: 'completed',
      summary: 'done',
    });
    await api(server, 'PATCH', `/api/sessions/${during.session.id}`, { name: 'renamed' });
    await api(server, 'DELETE', `/api/sessions/${gone.session.id}`);
    await caughtUp(engine, server);

    const table = byId(engine.sessions.value.values());
    expect(table).toEqual(await serverTable(server, engine.position.value));
    expect(table.map((s) => [s.name, s.status, s.fileChanges])).toEqual(
      expect.arrayContaining([
        ['before', 'completed', 0],
        ['renamed', 'pending', 2],
      ]),
    );
    expect(engine.sessions.value.has(gone.session.id)).toBe(false);
  });

  it('resumes after a cut without a gap or a double', async () => {
    const server = await startServer({ db: ':memory:' });
    await startSession(server, 'first');
    // A long wait before each retry, cut short by retryNow once the test has written.
    const { engine, sockets } = engineFor(server.url, {
      backoff: { baseMs: 60_000, maxMs: 60_000 },
    });
    const seen = record(started(engine));
    await caughtUp(engine, server);
    const from = engine.position.value;

    for (let cut = 0; cut < 3; cut++) {
      sockets.cutAll();
      await until(() => engine.connection.value.state === 'reconnecting', { what: 'reconnecting' });
      await startSession(server, `while cut ${cut}`);
      await startSession(server, `while cut ${cut}, again`);
      engine.retryNow();
      await caughtUp(engine, server);
    }

    const last = engine.position.value;
    expect(seen.positions).toEqual(Array.from({ length: last - from }, (_, i) => from + i + 1));
    expect(seen.states).toEqual([
      'connecting',
      'live',
      ...Array(3).fill(['reconnecting', 'replaying', 'live']).flat(),
    ]);
    // Each reconnection asked for what came after the last position it had.
    expect(sockets.urls.slice(1).map((url) => new URL(url).searchParams.get('after'))).toEqual([
      String(from),
      String(from + 2),
      String(from + 4),
    ]);
    expect(byId(engine.sessions.value.values())).toEqual(await serverTable(server, last));
  });

  it('resumes across a server restart on the same log', async () => {
    const db = logFile();
    let server = await startServer({ db });
    await startSession(server, 'before the restart');
    const { engine } = engineFor(server.url);
    const seen = record(started(engine));
    await caughtUp(engine, server);
    const logId = engine.logId.value;

    const { port } = server;
    await server.close();
    await until(() => engine.connection.value.state === 'reconnecting', { what: 'reconnecting' });
    server = await startServer({ db, port });
    await startSession(server, 'after the restart');
    await caughtUp(engine, server);

    expect(engine.logId.value).toBe(logId);
    expect(seen.states).not.toContain('reset');
    expect(engine.epoch.value).toBe(1);
    expect(new Set(seen.positions).size).toBe(seen.positions.length);
    expect(byId(engine.sessions.value.values())).toEqual(
      await serverTable(server, engine.position.value),
    );
  });

  it('reloads the snapshot when the server comes back with another log', async () => {
    let server = await startServer({ db: logFile() });
    await startSession(server, 'old log, one');
    await startSession(server, 'old log, two');
    await startSession(server, 'old log, three');
    const { engine } = engineFor(server.url);
    const seen = record(started(engine));
    await caughtUp(engine, server);
    const oldLog = engine.logId.value;

    const { port } = server;
    await server.close();
    // A fresh log, shorter than what the client has seen: only the log id tells them apart.
    server = await startServer({ db: ':memory:', port });
    await startSession(server, 'new log');
    await caughtUp(engine, server);

    expect(engine.logId.value).not.toBe(oldLog);
    // Reset, then live again: reloading the snapshot is not a failed attempt.
    expect(seen.states.slice(seen.states.indexOf('reset'))).toEqual(['reset', 'live']);
    expect(engine.epoch.value).toBe(2);
    const table = byId(engine.sessions.value.values());
    expect(table.map((session) => session.name)).toEqual(['new log']);
    expect(table).toEqual(await serverTable(server, engine.position.value));
  });

  it('shows its own write at once and lists it once when its event arrives', async () => {
    const server = await startServer({ db: ':memory:' });
    const { engine, sockets } = engineFor(server.url, {
      backoff: { baseMs: 60_000, maxMs: 60_000 },
    });
    started(engine);
    await caughtUp(engine, server);
    // Hold the events back: the answer alone must put the row in the table.
    sockets.cutAll();
    await until(() => engine.connection.value.state === 'reconnecting', { what: 'reconnecting' });
    const { session, position } = await startSession(server, 'mine');
    engine.confirm(session, position);
    expect(engine.sessions.value.get(session.id)).toEqual(session);

    engine.retryNow();
    await caughtUp(engine, server);
    expect([...engine.sessions.value.keys()]).toEqual([session.id]);
    expect(engine.sessions.value.get(session.id)).toEqual(session);
  });

  it('hides its own deletion at once', async () => {
    const server = await startServer({ db: ':memory:' });
    const { session } = await startSession(server, 'doomed');
    const { engine } = engineFor(server.url);
    started(engine);
    await caughtUp(engine, server);
    const response = await fetch(`${server.url}/api/sessions/${session.id}`, { method: 'DELETE' });
    const { position } = (await response.json()) as { position: number };
    engine.confirmDeleted(session.id, position);
    expect(engine.sessions.value.has(session.id)).toBe(false);
    await caughtUp(engine, server);
    expect(engine.sessions.value.size).toBe(0);
  });

  it('sends the token on HTTP and on the socket', async () => {
    const server = await startServer({ db: ':memory:', token: 'tok-en' });
    const { engine } = engineFor(server.url, { token: 'tok-en' });
    started(engine);
    await until(() => engine.connection.value.state === 'live', { what: 'live' });
  });

  it('stops and says so when the token is wrong', async () => {
    const server = await startServer({ db: ':memory:', token: 'right' });
    const { engine, sockets } = engineFor(server.url, { token: 'wrong' });
    started(engine);
    await until(() => engine.connection.value.state === 'unauthorized', { what: 'unauthorized' });
    expect(sockets.urls).toEqual([]);
  });

  it('holds the active sessions and the newest ended ones, and reads older ones on demand', async () => {
    const server = await startServer({ db: ':memory:' });
    const { store } = server.log;
    const start = { cwd: '/tmp', hostname: 'h', platform: 'linux' };
    for (let n = 0; n < 75; n++) {
      const id = `session-${String(n).padStart(3, '0')}`;
      await store.append(id, [{ type: 'SessionStarted', data: start }]);
      if (n < 70) await store.append(id, [{ type: 'SessionEnded', data: { status: 'completed' } }]);
    }
    const { engine } = engineFor(server.url);
    started(engine);
    await caughtUp(engine, server);
    // The 5 active ones and a page of 50 ended ones, the most recently ended first.
    expect(engine.sessions.value.size).toBe(55);
    expect(engine.sessions.value.has('session-069')).toBe(true);
    expect(engine.sessions.value.has('session-019')).toBe(false);
    expect(engine.ended.value.cursor).toBeDefined();

    await engine.olderEnded();
    expect(engine.sessions.value.size).toBe(75);
    expect(engine.ended.value.cursor).toBeUndefined();
    await engine.searchSessions('nothing matches this');
    expect(engine.search.value).toMatchObject({ loaded: true, cursor: undefined });
    expect(byId(engine.sessions.value.values())).toEqual(
      await serverTable(server, engine.position.value),
    );
  });

  it('keeps every row exact when the snapshot pages are read while sessions change', async () => {
    const server = await startServer({ db: ':memory:' });
    const ids: string[] = [];
    for (let n = 0; n < 30; n++) ids.push((await startSession(server, `busy ${n}`)).session.id);
    // File changes on every session, and ends, while the engine reads its pages and tails.
    let writing = true;
    const writer = (async () => {
      for (let round = 0; writing || round < 5; round++) {
        await Promise.all(
          ids.map((id) =>
            server.log.commands.recordFileChange(id, {
              change: 'modified',
              path: `f${round}.txt`,
              kind: 'file',
            }),
          ),
        );
        if (round === 3)
          await api(server, 'PATCH', `/api/sessions/${ids[0]}`, { status: 'failed' });
        if (round === 3) ids.shift();
      }
    })();
    const { engine } = engineFor(server.url);
    started(engine);
    await until(() => engine.connection.value.state === 'live', { what: 'live' });
    writing = false;
    await writer;
    await caughtUp(engine, server);
    expect(byId(engine.sessions.value.values())).toEqual(
      await serverTable(server, engine.position.value),
    );
  });

  it('takes a new snapshot instead of replaying when it missed more than its bound', async () => {
    const server = await startServer({ db: ':memory:' });
    const kept = await startSession(server, 'kept');
    const { engine, sockets } = engineFor(server.url, {
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      resnapshotAfter: 20,
    });
    const seen = record(started(engine));
    await caughtUp(engine, server);

    // Under the bound: a replay, as before.
    sockets.cutAll();
    await until(() => engine.connection.value.state === 'reconnecting', { what: 'reconnecting' });
    for (let n = 0; n < 20; n++)
      await server.log.commands.recordFileChange(kept.session.id, {
        change: 'created',
        path: `a${n}`,
        kind: 'file',
      });
    engine.retryNow();
    await caughtUp(engine, server);
    expect(engine.epoch.value).toBe(1);

    // Over it: a new snapshot, tailed from its position; nothing of the gap is replayed.
    sockets.cutAll();
    await until(() => engine.connection.value.state === 'reconnecting', { what: 'reconnecting' });
    const missedFrom = engine.position.value;
    for (let n = 0; n < 21; n++)
      await server.log.commands.recordFileChange(kept.session.id, {
        change: 'created',
        path: `b${n}`,
        kind: 'file',
      });
    await startSession(server, 'while away');
    const away = await head(server);
    engine.retryNow();
    await caughtUp(engine, server);
    expect(engine.epoch.value).toBe(2);
    expect(seen.states.slice(-2)).toEqual(['reloading', 'live']);
    expect(seen.positions.filter((p) => p > missedFrom)).toEqual([]);
    expect(new URL(sockets.urls.at(-1) ?? '').searchParams.get('after')).toBe(String(away));
    expect(engine.sessions.value.get(kept.session.id)?.fileChanges).toBe(41);
    expect(byId(engine.sessions.value.values())).toEqual(await serverTable(server, away));
  });

  it('hands each applied event to its listeners once, in order', async () => {
    const server = await startServer({ db: ':memory:' });
    const { engine } = engineFor(server.url);
    const received: Envelope[] = [];
    engine.onEvents((events) => received.push(...events));
    started(engine);
    await caughtUp(engine, server);
    const { session } = await startSession(server, 'watched');
    await api(server, 'PATCH', `/api/sessions/${session.id}`, { name: 'watched, renamed' });
    await caughtUp(engine, server);
    expect(received.map((event) => event.type)).toEqual(['SessionStarted', 'SessionUpdated']);
  });
});

function afterEachStop(engines: SyncEngine[]): void {
  // Registered after useServers' own afterEach, so it runs first (vitest runs "after" hooks
  // as a stack): engines stop before their servers go, and retry nothing into the next test.
  afterEach(() => {
    for (const engine of engines.splice(0)) engine.stop();
  });
}
