import { type ReadonlySignal, signal } from '@preact/signals';
import { CloseCode } from '../../../src/protocol/close-codes.js';
import type { Frame } from '../../../src/protocol/frames.js';
import type { BackoffOptions } from './backoff.js';
import type { Connection } from './connection-state.js';
import type { LiveTable } from './live-table.js';
import type { Timers } from './ports.js';
import { createRetry } from './retry.js';
import { type Snapshot, Unauthorized } from './snapshot.js';
import type { Transport, TransportEnd, TransportHandlers, TransportKind } from './transport.js';
import type { TransportPolicy } from './transport-policy.js';
import type { Watchdog } from './watchdog.js';
import { createWsProbe } from './ws-probe.js';

export interface ConnectionOptions {
  table: LiveTable;
  policy: TransportPolicy;
  loadSnapshot(): Promise<Snapshot>;
  timers: Timers;
  clock: () => number;
  random: () => number;
  backoff: BackoffOptions;
  probeBackoff: BackoffOptions;
  /** A probe that has not said `hello` by then has failed. */
  probeTimeoutMs: number;
  /**
   * A line whose `hello` tells of more missed events than this takes a new snapshot
   * instead of replaying them: reading the live set again costs less than the history.
   */
  resnapshotAfter: number;
  /** Starts watching one line for a death TCP does not report. */
  watch(onDead: (reason: string) => void): Watchdog;
}

export interface ConnectionMachine {
  readonly connection: ReadonlySignal<Connection>;
  start(): void;
  stop(): void;
  retryNow(): void;
}

/**
 * One try at following the log: a snapshot (if the table needs one), then one transport.
 * Everything known of it dies with it, so a successor starts clean.
 */
interface Line {
  kind: TransportKind;
  transport?: Transport;
  watchdog?: Watchdog;
  /** The head its `hello` told of; undefined before `hello` (dying then is a failure). */
  head?: number;
  /** When it went live, by the clock. */
  liveSince?: number;
}

/**
 * Snapshot and tail: loads the table, follows the log from its position, and when the line
 * breaks, backs off and resumes from the last applied position, reloading the table when
 * the server holds another log or when more was missed than a replay is worth. Which transport to use is the policy's; moving back to the
 * WebSocket from the event stream is the probe's.
 */
export function createConnection(options: ConnectionOptions): ConnectionMachine {
  const { table, policy, timers, clock, random } = options;
  const connection = signal<Connection>({ state: 'stopped' });
  const retry = createRetry({
    timers,
    clock,
    random,
    backoff: options.backoff,
    waiting: (attempt, retryAt, reason) => {
      connection.value = { state: 'reconnecting', attempt, retryAt, reason };
    },
    run: () => void connect(),
  });
  const probe = createWsProbe({
    timers,
    random,
    backoff: options.probeBackoff,
    timeoutMs: options.probeTimeoutMs,
    open: (on) => policy.open('websocket', subscription(), on),
    wanted: () => policy.kind.value === 'sse' && connection.value.state === 'live',
    adopt,
  });

  // Callbacks of a line that is not `current` any more are ignored, so a socket that dies
  // late cannot disturb its successor.
  let current: Line | undefined;
  // Resets since the last time live: a server that keeps answering with resets is backed off.
  let resets = 0;
  let needsSnapshot = true;

  const subscription = () => ({ after: table.position.value, logId: table.logId.value });

  async function connect(): Promise<void> {
    const line: Line = { kind: policy.kind.value };
    current = line;
    try {
      if (needsSnapshot) {
        const snapshot = await options.loadSnapshot();
        if (line !== current) return;
        table.adopt(snapshot);
        needsSnapshot = false;
      }
      line.transport = policy.open(line.kind, subscription(), follow(line));
    } catch (error) {
      if (line !== current) return;
      if (error instanceof Unauthorized) unauthorized(error.message);
      else retry.later(error instanceof Error ? error.message : String(error));
    }
  }

  /** Watches `line`; returns what its transport reports to. */
  function follow(line: Line): TransportHandlers {
    line.watchdog = options.watch((reason) => {
      if (line !== current) return;
      abandon();
      // Silent before `hello`: this path swallows connections (a proxy, say).
      lost(line, { kind: 'lost', reason, failure: line.head === undefined });
    });
    return {
      heard() {
        if (line === current) line.watchdog?.heard();
      },
      frame(frame) {
        if (line === current) onFrame(line, frame);
      },
      closed(end) {
        if (line !== current) return;
        abandon();
        if (end.kind === 'unauthorized') unauthorized(end.reason);
        else if (end.kind === 'reset') reset(end.reason);
        else lost(line, end);
      },
    };
  }

  /** The probe's WebSocket said `hello`: it replaces the event stream. */
  function adopt(transport: Transport): TransportHandlers {
    abandon();
    policy.recovered();
    const line: Line = { kind: 'websocket', transport };
    current = line;
    return follow(line);
  }

  function lost(line: Line, end: TransportEnd & { kind: 'lost' }): void {
    const liveFor = line.liveSince === undefined ? 0 : clock() - line.liveSince;
    retry.later(end.reason, policy.lost(line.kind, end, liveFor) === 'at once' ? 0 : undefined);
  }

  function onFrame(line: Line, frame: Frame): void {
    switch (frame.type) {
      case 'hello':
        line.head = frame.head;
        // The server answers a foreign logId with a reset frame; this only guards against
        // one that would not, so that two logs can never be mixed in one table.
        if (frame.logId !== table.logId.value) {
          abandon();
          reset(`this server holds log ${frame.logId}`);
          break;
        }
        table.heardOf(frame.head);
        if (frame.head - table.position.value > options.resnapshotAfter) {
          // The snapshot's rows are current at its position; the tail then starts there, so
          // what was missed is neither replayed nor lost, and views reload on the new epoch.
          const missed = frame.head - table.position.value;
          abandon();
          needsSnapshot = true;
          connection.value = { state: 'reloading', missed };
          void connect();
          break;
        }
        if (frame.head > table.position.value) {
          connection.value = { state: 'replaying', missed: frame.head - table.position.value };
        }
        break;
      case 'events': {
        const applied = table.apply(frame.events);
        if (connection.value.state === 'replaying') {
          const missed = (line.head ?? 0) - table.position.value;
          connection.value = { state: 'replaying', missed: Math.max(0, missed) };
        }
        table.notify(applied);
        break;
      }
      case 'live':
        table.advance(frame.position);
        retry.restart();
        resets = 0;
        line.liveSince = clock();
        connection.value = { state: 'live' };
        if (line.kind === 'sse') probe.schedule();
        break;
      case 'position':
        table.advance(frame.position);
        break;
      case 'heartbeat':
        table.heardOf(frame.head);
        break;
      case 'reset':
        abandon();
        reset(frame.reason);
        break;
      case 'error':
        // The close that follows says what to do; 4401 is the one worth naming now.
        if (frame.code === CloseCode.unauthorized) {
          abandon();
          unauthorized(frame.message);
        }
        break;
    }
  }

  /** Drops the current line (and any probe); its late callbacks are ignored from here on. */
  function abandon(): void {
    const line = current;
    current = undefined;
    line?.watchdog?.stop();
    probe.stop();
    line?.transport?.close();
    retry.cancel();
  }

  function reset(reason: string): void {
    needsSnapshot = true;
    resets++;
    if (resets > 1) {
      retry.later(reason);
      return;
    }
    // The state stays `reset` while the snapshot reloads, until the line is live again.
    connection.value = { state: 'reset', reason };
    void connect();
  }

  function unauthorized(reason: string): void {
    abandon();
    connection.value = { state: 'unauthorized', reason };
  }

  return {
    connection,
    start() {
      if (connection.value.state !== 'stopped') return;
      retry.restart();
      connection.value = { state: 'connecting' };
      void connect();
    },
    stop() {
      abandon();
      connection.value = { state: 'stopped' };
    },
    retryNow() {
      if (policy.kind.value === 'sse' && connection.value.state === 'live') {
        probe.now();
        return;
      }
      if (connection.value.state !== 'reconnecting' || !retry.cancel()) return;
      connection.value = { ...connection.value, retryAt: clock() };
      void connect();
    },
  };
}
