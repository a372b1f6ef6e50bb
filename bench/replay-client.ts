import { WebSocket } from 'ws';
import type { ClientFrame } from '../src/testing/subscribe.js';

export interface Replay {
  /** From opening the connection to the event at `upTo`. */
  seconds: number;
  /** Share of that time this process (the client) was busy: near 1, the client was the limit. */
  busy: number;
}

/**
 * Reads the log from `/ws?after=0` until position `upTo`, parsing every frame as a real client
 * would, and checks the positions come 1, 2, 3… (SQLite's have no gaps): a fast replay with a
 * hole or a double is no figure. Fails after `timeoutMs`.
 */
export function replayFromStart(wsUrl: string, upTo: number, timeoutMs: number): Promise<Replay> {
  return new Promise((resolve, reject) => {
    const mark = performance.eventLoopUtilization();
    const started = performance.now();
    const socket = new WebSocket(`${wsUrl}?after=0`, { perMessageDeflate: false });
    let last = 0;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error === undefined) {
        const seconds = (performance.now() - started) / 1000;
        resolve({ seconds, busy: performance.eventLoopUtilization(mark).utilization });
      } else {
        reject(error);
      }
      socket.close(1000);
    };
    const timer = setTimeout(
      () => finish(new Error(`replay timed out at position ${last} of ${upTo}`)),
      timeoutMs,
    );
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as ClientFrame;
      if (frame.type === 'events') {
        for (const event of frame.events) {
          if (event.position !== last + 1) {
            return finish(new Error(`replay gave position ${event.position} after ${last}`));
          }
          last = event.position;
        }
        if (last >= upTo) finish();
      } else if (frame.type === 'error' || frame.type === 'reset') {
        finish(new Error(`replay refused: ${JSON.stringify(frame)}`));
      }
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', (code) =>
      finish(new Error(`closed ${code} at position ${last} of ${upTo}`)),
    );
  });
}
