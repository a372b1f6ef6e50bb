import { batch, type ReadonlySignal, signal } from '@preact/signals';
import type { Envelope } from '../../../src/events/envelope.js';
import type { Session } from '../../../src/sessions/session.js';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { CLOSE_RESET, CLOSE_UNAUTHORIZED, closeReason, type Frame, parseFrame } from './frames.js';
import type { FetchLike, OpenSocket, SocketHandle, Timers } from './ports.js';
import { realTimers } from './ports.js';
import { SessionTable } from './session-table.js';
import { loadSnapshot, type Snapshot, Unauthorized } from './snapshot.js';
import { startWatchdog, type Watchdog } from './watchdog.js';

/** Where the engine stands with the server; what the connection indicator shows. */
export type Connection =
  /** Loading the first snapshot. */
  | { state: 'connecting' }
  /** Caught up: events arrive as they commit. */
  | { state: 'live' }
  /** Reconnected and catching up: `missed` events are still to come. */
  | { state: 'replaying'; missed: number }
  /** Waiting to try again (`retryAt`, a clock time; in the past while the try runs). */
  | { state: 'reconnecting'; attempt: number; retryAt: number; reason: string }
  /** The server holds another log, or is behind us: dropping the table, reloading it. */
  | { state: 'reset'; reason: string }
  /** The token is missing or wrong: trying again would not help. */
  | { state: 'unauthorized'; reason: string }
  | { state: 'stopped' };

export interface SyncOptions {
  /** The server's origin, e.g. `http://127.0.0.1:3001`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer` on HTTP and as `?token=` on `/ws`. */
  token?: string | undefined;
  fetch: FetchLike;
  openSocket: OpenSocket;
  timers?: Timers;
  /** Wall-clock milliseconds (Date.now): how sleeps are noticed. */
  clock?: () => number;
  /** In [0, 1): the jitter of the backoff. */
  random?: () => number;
  backoff?: BackoffOptions;
  /** SPEC: the server sends a heartbeat after 15 s of silence; twice that is a dead line. */
  heartbeatMs?: number;
  /** How often the watchdog looks at the connection. */
  watchdogMs?: number;
}

/** The client's live copy of the sessions table, and the log's events as they arrive. */
export interface SyncEngine {
  /** The sessions table (not deleted sessions), by id; equal to the server's at `position`. */
  readonly sessions: ReadonlySignal<ReadonlyMap<string, Session>>;
  readonly connection: ReadonlySignal<Connection>;
  /** Every event up to this position has been applied. */
  readonly position: ReadonlySignal<number>;
  /** The highest position the server has told of. */
  readonly head: ReadonlySignal<number>;
  readonly logId: ReadonlySignal<string | undefined>;
  /** Goes up each time a snapshot replaces the table: views of the old log reload. */
  readonly epoch: ReadonlySignal<number>;
  start(): void;
  stop(): void;
  /** While reconnecting: try now instead of waiting (the network came back, say). */
  retryNow(): void;
  /** The answer to this client's write: shown at once, replaced by the log's events. */
  confirm(session: Session, position: number): void;
  confirmDeleted(id: string, position: number): void;
  /** Calls `listener` with each run of applied events, in order, each event once. */
  onEvents(listener: (events: readonly Envelope[]) => void): () => void;
}

/**
 * Snapshot + tail (SPEC): `GET /api/sessions`, then `/ws?after=position&logId=…`, folding
 * each event with the server's own `evolve`. Reconnects with backoff and resumes from the
 * last position; a silent line, a sleep, or a log that is not ours any more are handled so
 * that the table never misses or doubles an event.
 */
export function createSyncEngine(options: SyncOptions): SyncEngine {
  const {
    baseUrl,
    token,
    fetch,
    openSocket,
    timers = realTimers,
    clock = Date.now,
    random = Math.random,
    backoff = DEFAULT_BACKOFF,
    heartbeatMs = 15_000,
    watchdogMs = 5_000,
  } = options;
  const table = new SessionTable();
  const sessions = signal<ReadonlyMap<string, Session>>(new Map());
  const connection = signal<Connection>({ state: 'stopped' });
  const position = signal(0);
  const head = signal(0);
  const logId = signal<string | undefined>(undefined);
  const epoch = signal(0);
  const listeners = new Set<(events: readonly Envelope[]) => void>();

  // Each connection attempt has a number; callbacks of an abandoned one are ignored, so a
  // socket that dies late cannot disturb its successor.
  let generation = 0;
  let socket: SocketHandle | undefined;
  let watchdog: Watchdog | undefined;
  let retryTimer: unknown;
  let attempt = 0;
  // Resets since the last time live: a server that keeps answering with resets is backed off.
  let resets = 0;
  let needsSnapshot = true;
  let replayTarget = 0;

  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;

  function publish(): void {
    batch(() => {
      sessions.value = table.rows();
      position.value = table.position;
      if (table.position > head.value) head.value = table.position;
    });
  }

  function adopt(snapshot: Snapshot): void {
    batch(() => {
      table.reset(snapshot.sessions, snapshot.position);
      logId.value = snapshot.logId;
      head.value = snapshot.position;
      epoch.value++;
      publish();
    });
    needsSnapshot = false;
  }

  async function connect(): Promise<void> {
    const current = ++generation;
    try {
      if (needsSnapshot) {
        const snapshot = await loadSnapshot(fetch, baseUrl, headers);
        if (current !== generation) return;
        adopt(snapshot);
      }
      listen(current);
    } catch (error) {
      if (current !== generation) return;
      if (error instanceof Unauthorized) unauthorized(error.message);
      else retryLater(error instanceof Error ? error.message : String(error));
    }
  }

  function listen(current: number): void {
    const url = new URL('/ws', baseUrl.replace(/^http/, 'ws'));
    url.searchParams.set('after', String(table.position));
    if (logId.value !== undefined) url.searchParams.set('logId', logId.value);
    if (token !== undefined) url.searchParams.set('token', token);
    watchdog = startWatchdog({
      timers,
      clock,
      silenceMs: 2 * heartbeatMs,
      intervalMs: watchdogMs,
      jumpMs: 2 * watchdogMs,
      onDead: (reason) => {
        if (current !== generation) return;
        abandon();
        retryLater(reason);
      },
    });
    socket = openSocket(url.toString(), {
      open() {},
      message(text) {
        if (current !== generation) return;
        watchdog?.heard();
        const frame = parseFrame(text);
        if (frame !== undefined) onFrame(frame);
      },
      close(code, reason) {
        if (current !== generation) return;
        abandon();
        if (code === CLOSE_UNAUTHORIZED) unauthorized(reason || 'the server refused the token');
        else if (code === CLOSE_RESET) reset(reason || 'the server asked for a reset');
        else retryLater(closeReason(code, reason));
      },
    });
  }

  function onFrame(frame: Frame): void {
    switch (frame.type) {
      case 'hello':
        // The server answers a foreign logId with a reset frame; this only guards against
        // one that would not, so that two logs can never be mixed in one table.
        if (frame.logId !== logId.value) {
          abandon();
          reset(`this server holds log ${frame.logId}`);
          break;
        }
        replayTarget = frame.head;
        if (frame.head > head.value) head.value = frame.head;
        if (frame.head > table.position) {
          connection.value = { state: 'replaying', missed: frame.head - table.position };
        }
        break;
      case 'events': {
        const applied = table.apply(frame.events);
        publish();
        if (connection.value.state === 'replaying') {
          connection.value = {
            state: 'replaying',
            missed: Math.max(0, replayTarget - table.position),
          };
        }
        if (applied.length > 0) for (const listener of listeners) listener(applied);
        break;
      }
      case 'live':
        table.advance(frame.position);
        publish();
        attempt = 0;
        resets = 0;
        connection.value = { state: 'live' };
        break;
      case 'position':
        table.advance(frame.position);
        publish();
        break;
      case 'heartbeat':
        if (frame.head > head.value) head.value = frame.head;
        break;
      case 'reset':
        abandon();
        reset(frame.reason);
        break;
      case 'error':
        // The close that follows says what to do; 4401 is the one worth naming now.
        if (frame.code === CLOSE_UNAUTHORIZED) {
          abandon();
          unauthorized(frame.message);
        }
        break;
    }
  }

  /** Drops the current socket; its late callbacks are ignored from here on. */
  function abandon(): void {
    generation++;
    watchdog?.stop();
    watchdog = undefined;
    socket?.close(1000, 'reconnecting');
    socket = undefined;
    timers.clearTimeout(retryTimer);
    retryTimer = undefined;
  }

  function reset(reason: string): void {
    needsSnapshot = true;
    resets++;
    if (resets > 1) {
      retryLater(reason);
      return;
    }
    // The state stays `reset` while the snapshot reloads, until the socket is live again.
    connection.value = { state: 'reset', reason };
    void connect();
  }

  function retryLater(reason: string): void {
    attempt++;
    schedule(reason);
  }

  function schedule(reason: string): void {
    const delay = backoffDelay(attempt, random, backoff);
    connection.value = { state: 'reconnecting', attempt, retryAt: clock() + delay, reason };
    retryTimer = timers.setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, delay);
  }

  function unauthorized(reason: string): void {
    abandon();
    connection.value = { state: 'unauthorized', reason };
  }

  return {
    sessions,
    connection,
    position,
    head,
    logId,
    epoch,
    start() {
      if (connection.value.state !== 'stopped') return;
      attempt = 0;
      connection.value = { state: 'connecting' };
      void connect();
    },
    stop() {
      abandon();
      connection.value = { state: 'stopped' };
    },
    retryNow() {
      if (connection.value.state !== 'reconnecting' || retryTimer === undefined) return;
      timers.clearTimeout(retryTimer);
      retryTimer = undefined;
      connection.value = { ...connection.value, retryAt: clock() };
      void connect();
    },
    confirm(session, at) {
      table.confirm(session, at);
      publish();
    },
    confirmDeleted(id, at) {
      table.confirmDeleted(id, at);
      publish();
    },
    onEvents(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
