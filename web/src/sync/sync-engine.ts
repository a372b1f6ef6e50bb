import { batch, type ReadonlySignal, signal } from '@preact/signals';
import type { Envelope } from '../../../src/events/envelope.js';
import type { Session } from '../../../src/sessions/session.js';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { CLOSE_UNAUTHORIZED, type Frame } from './frames.js';
import type { FetchLike, OpenEventStream, OpenSocket, Timers } from './ports.js';
import { realTimers } from './ports.js';
import { SessionTable } from './session-table.js';
import { loadSnapshot, type Snapshot, Unauthorized } from './snapshot.js';
import { eventStreamTransport } from './sse-transport.js';
import type {
  OpenTransport,
  Transport,
  TransportEnd,
  TransportHandlers,
  TransportKind,
} from './transport.js';
import { startWatchdog, type Watchdog } from './watchdog.js';
import { webSocketTransport } from './websocket-transport.js';

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
  /**
   * The fallback (issue 9): `GET /api/events/stream`, used after `fallbackAfter` WebSocket
   * failures in a row. Without it the engine only ever uses the WebSocket.
   */
  openEventStream?: OpenEventStream | undefined;
  /** WebSocket failures in a row (refused, closed before `hello`, or cut) before the fallback. */
  fallbackAfter?: number;
  /** While on the fallback, how often to try the WebSocket again (backed off as it fails). */
  probeBackoff?: BackoffOptions;
  /** A WebSocket live this long before it broke was working: its failures start over. */
  stableMs?: number;
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
  /** The transport in use, or being tried: the WebSocket, or its fallback. */
  readonly transport: ReadonlySignal<TransportKind>;
  /** Every event up to this position has been applied. */
  readonly position: ReadonlySignal<number>;
  /** The highest position the server has told of. */
  readonly head: ReadonlySignal<number>;
  readonly logId: ReadonlySignal<string | undefined>;
  /** Goes up each time a snapshot replaces the table: views of the old log reload. */
  readonly epoch: ReadonlySignal<number>;
  start(): void;
  stop(): void;
  /**
   * While reconnecting: try now instead of waiting (the network came back, say). While live
   * on the fallback: try the WebSocket now, as the network that broke it may have changed.
   */
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
    openEventStream,
    fallbackAfter = 3,
    probeBackoff = { baseMs: 30_000, maxMs: 300_000 },
    stableMs = 60_000,
  } = options;
  const transports: Record<TransportKind, OpenTransport | undefined> = {
    websocket: webSocketTransport(openSocket, baseUrl, token),
    sse: openEventStream && eventStreamTransport(openEventStream, baseUrl, token),
  };
  const table = new SessionTable();
  const sessions = signal<ReadonlyMap<string, Session>>(new Map());
  const connection = signal<Connection>({ state: 'stopped' });
  const transport = signal<TransportKind>('websocket');
  const position = signal(0);
  const head = signal(0);
  const logId = signal<string | undefined>(undefined);
  const epoch = signal(0);
  const listeners = new Set<(events: readonly Envelope[]) => void>();

  // Each connection attempt has a number; callbacks of an abandoned one are ignored, so a
  // socket that dies late cannot disturb its successor.
  let generation = 0;
  let line: Transport | undefined;
  let watchdog: Watchdog | undefined;
  let retryTimer: unknown;
  let attempt = 0;
  // Resets since the last time live: a server that keeps answering with resets is backed off.
  let resets = 0;
  let needsSnapshot = true;
  let replayTarget = 0;
  // The fallback: WebSocket failures in a row, when the current WebSocket went live, and the
  // probe that, while on the event stream, tries the WebSocket again.
  let wsFailures = 0;
  // Whether the current connection said `hello`: a connection dying before it is a failure.
  let greeted = false;
  let liveSince: number | undefined;
  let probe: { id: number; line: Transport; timeout: unknown } | undefined;
  let probeIds = 0;
  let probeTimer: unknown;
  let probeAttempt = 0;

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
    const kind = transport.value;
    greeted = false;
    liveSince = undefined;
    watchdog = watch(current);
    line = open(
      kind,
      handlers(kind, () => current === generation),
    );
  }

  function open(kind: TransportKind, on: TransportHandlers): Transport {
    const openTransport = transports[kind] ?? transports.websocket;
    if (openTransport === undefined) throw new Error('unreachable: the WebSocket is always there');
    return openTransport({ after: table.position, logId: logId.value }, on);
  }

  function watch(current: number): Watchdog {
    return startWatchdog({
      timers,
      clock,
      silenceMs: 2 * heartbeatMs,
      intervalMs: watchdogMs,
      jumpMs: 2 * watchdogMs,
      onDead: (reason) => {
        if (current !== generation) return;
        const kind = transport.value;
        abandon();
        // Silent before `hello`: this path swallows connections (a proxy, say).
        lost(kind, { kind: 'lost', reason, failure: !greeted });
      },
    });
  }

  /** The engine's side of one connection; `current` says whether it is still the one. */
  function handlers(kind: TransportKind, current: () => boolean): TransportHandlers {
    return {
      heard() {
        if (current()) watchdog?.heard();
      },
      frame(frame) {
        if (current()) onFrame(frame);
      },
      closed(end) {
        if (!current()) return;
        abandon();
        if (end.kind === 'unauthorized') unauthorized(end.reason);
        else if (end.kind === 'reset') reset(end.reason);
        else lost(kind, end);
      },
    };
  }

  /** A connection ended: which transport to try next, and when. */
  function lost(kind: TransportKind, end: TransportEnd & { kind: 'lost' }): void {
    const wasLiveFor = liveSince === undefined ? 0 : clock() - liveSince;
    liveSince = undefined;
    if (transports.sse === undefined) {
      retryLater(end.reason);
      return;
    }
    if (kind === 'websocket') {
      if (wasLiveFor >= stableMs || !end.failure) wsFailures = 0;
      if (end.failure) wsFailures++;
      if (wsFailures >= fallbackAfter) {
        // Another path is a fresh try, not a retry of the failing one: no wait.
        switchTo('sse');
        attempt++;
        schedule(end.reason, 0);
        return;
      }
    } else if (end.failure) {
      // The event stream could not start either: the server may be down rather than the
      // WebSocket blocked. Try the WebSocket next; one more failure there comes back here.
      switchTo('websocket');
      wsFailures = fallbackAfter - 1;
    }
    retryLater(end.reason);
  }

  function switchTo(kind: TransportKind): void {
    transport.value = kind;
    if (kind === 'sse') return;
    timers.clearTimeout(probeTimer);
    probeTimer = undefined;
  }

  /** While live on the event stream: in a while, see whether the WebSocket works again. */
  function scheduleProbe(): void {
    if (probe !== undefined || probeTimer !== undefined) return;
    const delay = backoffDelay(probeAttempt + 1, random, probeBackoff);
    probeTimer = timers.setTimeout(() => {
      probeTimer = undefined;
      startProbe();
    }, delay);
  }

  /**
   * A WebSocket from the applied position, beside the event stream. Once it says `hello` it
   * takes over and the event stream is closed: whatever the stream applied meanwhile comes
   * again on the socket, at or below the applied position, and the table skips it; nothing
   * after the position can be missed, since the socket started from it.
   */
  function startProbe(): void {
    const id = ++probeIds;
    let adopted: number | undefined;
    const mine = () => probe?.id === id;
    const failed = () => {
      if (!mine()) return;
      stopProbe();
      probeAttempt++;
      if (transport.value === 'sse' && connection.value.state === 'live') scheduleProbe();
    };
    const taken = handlers('websocket', () => adopted === generation);
    const timeout = timers.setTimeout(failed, 2 * heartbeatMs);
    // Filled in once open() returns (a transport may call back before it does).
    const holder: { line?: Transport } = {};
    const opened: Transport = { close: () => holder.line?.close() };
    probe = { id, line: opened, timeout };
    holder.line = open('websocket', {
      heard() {
        taken.heard();
      },
      frame(frame) {
        if (adopted === undefined) {
          if (!mine() || frame.type !== 'hello') return;
          timers.clearTimeout(timeout);
          probe = undefined;
          abandon();
          adopted = generation;
          liveSince = undefined;
          switchTo('websocket');
          wsFailures = 0;
          probeAttempt = 0;
          line = opened;
          watchdog = watch(generation);
        }
        taken.frame(frame);
      },
      closed(end) {
        if (adopted === undefined) failed();
        else taken.closed(end);
      },
    });
  }

  function stopProbe(): void {
    timers.clearTimeout(probeTimer);
    probeTimer = undefined;
    if (probe === undefined) return;
    timers.clearTimeout(probe.timeout);
    const { line: opened } = probe;
    probe = undefined;
    opened.close();
  }

  function onFrame(frame: Frame): void {
    switch (frame.type) {
      case 'hello':
        greeted = true;
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
        liveSince = clock();
        connection.value = { state: 'live' };
        if (transport.value === 'sse') scheduleProbe();
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

  /** Drops the current connection (and any probe); late callbacks are ignored from here on. */
  function abandon(): void {
    generation++;
    watchdog?.stop();
    watchdog = undefined;
    stopProbe();
    line?.close();
    line = undefined;
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

  function schedule(reason: string, delay = backoffDelay(attempt, random, backoff)): void {
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
    transport,
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
      if (transport.value === 'sse' && connection.value.state === 'live' && probe === undefined) {
        timers.clearTimeout(probeTimer);
        probeTimer = undefined;
        startProbe();
        return;
      }
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
