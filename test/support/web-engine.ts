import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import type { OpenSocket, Timers } from '../../web/src/sync/ports.js';
import {
  createSyncEngine,
  type SyncEngine,
  type SyncOptions,
} from '../../web/src/sync/sync-engine.js';

/** Node's stand-in for the browser's WebSocket: `ws`, with a way to cut every connection. */
export function nodeSockets() {
  const open = new Set<WebSocket>();
  const urls: string[] = [];
  const openSocket: OpenSocket = (url, on) => {
    const socket = new WebSocket(url);
    urls.push(url);
    open.add(socket);
    socket.on('open', () => on.open());
    socket.on('message', (data) => on.message(data.toString()));
    socket.on('close', (code, reason) => {
      open.delete(socket);
      on.close(code, reason.toString());
    });
    // A refused or failed connection reports `close` (1006) right after: that is what counts.
    socket.on('error', () => {});
    return { close: () => socket.terminate() };
  };
  return {
    openSocket,
    /** Every URL a socket was opened to, in order. */
    urls,
    /** Drops every connection without a close handshake, as a network failure would. */
    cutAll(): void {
      for (const socket of open) socket.terminate();
    },
  };
}

/** Time that moves only when a test moves it. */
export function manualTime(start = 1_700_000_000_000) {
  let now = start;
  let sequence = 0;
  const pending = new Map<number, { at: number; run: () => void }>();
  /** Every delay a timer was set for, in order. */
  const delays: number[] = [];
  const timers: Timers = {
    setTimeout(callback, ms) {
      const id = ++sequence;
      delays.push(ms);
      pending.set(id, { at: now + ms, run: callback });
      return id;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };
  return {
    timers,
    clock: () => now,
    delays,
    /** Moves the clock forward, running each timer as it falls due. */
    advance(ms: number): void {
      const end = now + ms;
      for (;;) {
        let next: [number, { at: number; run: () => void }] | undefined;
        for (const entry of pending) {
          if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry;
        }
        if (next === undefined) break;
        pending.delete(next[0]);
        now = Math.max(now, next[1].at);
        next[1].run();
      }
      now = end;
    },
    /** Moves the clock without running anything, as a sleeping laptop would. */
    jump(ms: number): void {
      now += ms;
    },
  };
}

/** Polls until `check` holds, in real time. */
export async function until(
  check: () => boolean,
  { timeout = 5000, what = 'a condition' }: { timeout?: number; what?: string } = {},
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** A sync engine on a server's origin, with Node's fetch and `ws`, stopped after the test. */
export function engineFor(
  baseUrl: string,
  options: Partial<SyncOptions> = {},
): { engine: SyncEngine; sockets: ReturnType<typeof nodeSockets> } {
  const sockets = nodeSockets();
  const engine = createSyncEngine({
    baseUrl,
    fetch: (url, init) => fetch(url, init),
    openSocket: sockets.openSocket,
    // Fast retries: the tests are about what happens, not how long it waits.
    backoff: { baseMs: 20, maxMs: 200 },
    ...options,
  });
  return { engine, sockets };
}
