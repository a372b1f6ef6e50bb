import { batch, type ReadonlySignal } from '@preact/signals';
import type { Envelope } from '../../../src/events/envelope.js';
import type { Session } from '../../../src/sessions/session.js';
import { type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
import { createConnection } from './connection.js';
import type { Connection } from './connection-state.js';
import { createLiveTable } from './live-table.js';
import type { FetchLike, OpenEventStream, OpenSocket, Timers } from './ports.js';
import { realTimers } from './ports.js';
import { readJson } from './read-json.js';
import { createSessionReads, type Paged } from './session-reads.js';
import { loadSnapshot } from './snapshot.js';
import { eventStreamTransport } from './sse-transport.js';
import type { TransportKind } from './transport.js';
import { createTransportPolicy } from './transport-policy.js';
import { startWatchdog } from './watchdog.js';
import { webSocketTransport } from './websocket-transport.js';

export type { Connection } from './connection-state.js';

export interface SyncOptions {
  /** The server's origin, e.g. `http://127.0.0.1:3001`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer` on HTTP and as `?token=` on `/ws`. */
  token?: string | undefined;
  fetch: FetchLike;
  openSocket: OpenSocket;
  /**
   * The fallback, for paths that break WebSockets (a proxy that refuses upgrades, say):
   * `GET /api/events/stream`, used after `fallbackAfter` WebSocket failures in a row.
   * Without it the engine only ever uses the WebSocket.
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
  /** Back after missing more events than this: a new snapshot rather than a replay. */
  resnapshotAfter?: number;
}

/** The client's live copy of the sessions table, and the log's events as they arrive. */
export interface SyncEngine {
  /**
   * The sessions in view, by id: every active one, the ended ones read so far (the newest
   * on open, older ones by `olderEnded`, `search` and `loadSession`), each equal to the
   * server's row at `position`.
   */
  readonly sessions: ReadonlySignal<ReadonlyMap<string, Session>>;
  /** How far the ended sessions have been read, newest first. */
  readonly ended: ReadonlySignal<Paged>;
  /** The current search and how far its pages have been read. */
  readonly search: ReadonlySignal<Paged & { q: string }>;
  /** Reads the next page of ended sessions. */
  olderEnded(): Promise<void>;
  /** Starts a search of names and directories (empty: none), or reads its next page. */
  searchSessions(q: string): Promise<void>;
  /** Reads one session into the view; 'missing' when the log has none (or it was deleted). */
  loadSession(id: string): Promise<'found' | 'missing'>;
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
 * Snapshot + tail (SPEC): the active sessions and the newest ended ones
 * (`GET /api/sessions?status=…&limit=…`), then `/ws?after=position&logId=…`, folding
 * each event with the server's own `evolve`. Reconnects with backoff and resumes from the
 * last position; a silent line, a sleep, or a log that is not ours any more are handled so
 * that the table never misses or doubles an event. This wires the parts together: the
 * table's signals (live-table), the state machine (connection), which transport to use
 * (transport-policy) and the way back to the WebSocket (ws-probe).
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
    resnapshotAfter = 10_000,
  } = options;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const read = readJson(fetch, baseUrl, headers);
  const table = createLiveTable();
  const reads = createSessionReads(table, read);
  // A session the tail changes but the reads missed: read it (see SessionTable).
  table.onMissing((id) => void reads.session(id).catch(() => {}));
  const policy = createTransportPolicy({
    websocket: webSocketTransport(openSocket, baseUrl, token),
    sse: openEventStream && eventStreamTransport(openEventStream, baseUrl, token),
    fallbackAfter,
    stableMs,
  });
  const machine = createConnection({
    table: {
      ...table,
      adopt(snapshot) {
        batch(() => {
          table.adopt(snapshot);
          reads.adopted(snapshot);
        });
      },
    },
    policy,
    loadSnapshot: () => loadSnapshot(read),
    resnapshotAfter,
    timers,
    clock,
    random,
    backoff,
    probeBackoff,
    // SPEC: a heartbeat after 15 s of silence, so twice that without a frame is a dead line.
    probeTimeoutMs: 2 * heartbeatMs,
    watch: (onDead) =>
      startWatchdog({
        timers,
        clock,
        silenceMs: 2 * heartbeatMs,
        intervalMs: watchdogMs,
        jumpMs: 2 * watchdogMs,
        onDead,
      }),
  });

  return {
    sessions: table.sessions,
    ended: reads.ended,
    search: reads.searched,
    olderEnded: reads.olderEnded,
    searchSessions: reads.search,
    loadSession: reads.session,
    connection: machine.connection,
    transport: policy.kind,
    position: table.position,
    head: table.head,
    logId: table.logId,
    epoch: table.epoch,
    start: machine.start,
    stop: machine.stop,
    retryNow: machine.retryNow,
    confirm: table.confirm,
    confirmDeleted: table.confirmDeleted,
    onEvents: table.onEvents,
  };
}
