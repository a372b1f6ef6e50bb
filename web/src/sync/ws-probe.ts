import { type BackoffOptions, backoffDelay } from './backoff.js';
import type { Timers } from './ports.js';
import type { Transport, TransportHandlers } from './transport.js';

export interface WsProbeOptions {
  timers: Timers;
  /** In [0, 1): the jitter of the wait. */
  random: () => number;
  /** The wait before a probe, backed off as probes fail. */
  backoff: BackoffOptions;
  /** A probe that has not said `hello` by then has failed. */
  timeoutMs: number;
  /** Opens a WebSocket from the applied position. */
  open(on: TransportHandlers): Transport;
  /** After a failed probe: whether another is still wanted (live on the event stream). */
  wanted(): boolean;
  /**
   * The probe said `hello`: `line` is the engine's connection now. Returns the handlers that
   * hear from it from then on, that `hello` included.
   */
  adopt(line: Transport): TransportHandlers;
}

/** While on the event stream: a WebSocket tried beside it, to move back once one works. */
export interface WsProbe {
  /** In a while, try the WebSocket; nothing if a probe is already waiting or running. */
  schedule(): void;
  /** Try the WebSocket now (the network changed, say); nothing if a probe is running. */
  now(): void;
  /** Drops the waiting or running probe. */
  stop(): void;
}

type Running = { phase: 'running'; line: Transport; timeout: unknown };
type State = { phase: 'waiting'; timer: unknown } | Running;

/**
 * A probe is a WebSocket from the applied position, beside the event stream. Once it says
 * `hello` it takes over and the event stream is closed: whatever the stream applied meanwhile
 * comes again on the socket, at or below the applied position, and the table skips it;
 * nothing after the position can be missed, since the socket started from it.
 */
export function createWsProbe({
  timers,
  random,
  backoff,
  timeoutMs,
  open,
  wanted,
  adopt,
}: WsProbeOptions): WsProbe {
  // Waiting and running exclude each other: one state, so that both cannot be set at once.
  let state: State | undefined;
  let failures = 0;

  function schedule(): void {
    if (state !== undefined) return;
    const timer = timers.setTimeout(
      () => {
        state = undefined;
        start();
      },
      backoffDelay(failures + 1, random, backoff),
    );
    state = { phase: 'waiting', timer };
  }

  function start(): void {
    const failed = () => {
      if (state !== run) return;
      stop();
      failures++;
      if (wanted()) schedule();
    };
    const timeout = timers.setTimeout(failed, timeoutMs);
    // Filled in once open() returns (a transport may call back before it does).
    const holder: { line?: Transport } = {};
    const run: Running = { phase: 'running', line: { close: () => holder.line?.close() }, timeout };
    state = run;
    let taken: TransportHandlers | undefined;
    holder.line = open({
      heard() {
        taken?.heard();
      },
      frame(frame) {
        if (taken === undefined) {
          if (state !== run || frame.type !== 'hello') return;
          timers.clearTimeout(timeout);
          state = undefined;
          failures = 0;
          taken = adopt(run.line);
        }
        taken.frame(frame);
      },
      closed(end) {
        if (taken === undefined) failed();
        else taken.closed(end);
      },
    });
  }

  function stop(): void {
    const was = state;
    state = undefined;
    if (was?.phase === 'waiting') timers.clearTimeout(was.timer);
    if (was?.phase === 'running') {
      timers.clearTimeout(was.timeout);
      was.line.close();
    }
  }

  return {
    schedule,
    now() {
      if (state?.phase === 'running') return;
      stop();
      start();
    },
    stop,
  };
}
