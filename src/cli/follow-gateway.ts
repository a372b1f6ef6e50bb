import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { CloseCode, REFUSAL_CODES } from '../protocol/close-codes.js';
import type { Frame } from '../protocol/frames.js';
import { ndjsonLines } from '../protocol/ndjson.js';
import { subscriptionUrl } from '../protocol/subscription-url.js';
import type { DataWriter } from './data-writer.js';
import type { EventFilter } from './event-filter.js';

/** Where a followed stream goes, what stops it, and where notes about the connection go. */
export interface FollowOptions {
  writer: DataWriter;
  signal: AbortSignal;
  /** Where notes about the connection go (standard error). */
  note(line: string): void;
}

const MAX_BACKOFF_MS = 5000;

/**
 * Tails a server's log over its WebSocket gateway, writing each matching event after
 * `filter.after` as an NDJSON line, until `signal`. After a disconnect (a restart, a network
 * cut, 4408 for reading too slowly) it reconnects with `after` = the last position it has and
 * the log id it saw, so every event is written exactly once. Returns the exit code: 0 when
 * stopped, 1 when the server holds another log than the one being followed (reset), 2 when it
 * refuses the subscription or cannot be reached at all.
 */
export async function followGateway(
  origin: string,
  token: string | undefined,
  filter: EventFilter,
  { writer, signal, note }: FollowOptions,
): Promise<number> {
  let after = filter.after;
  let logId: string | undefined;
  let backoff = 250;
  let writing = Promise.resolve();
  for (let attempt = 0; !signal.aborted; attempt++) {
    const url = subscriptionUrl(origin, { ...filter, after, logId }, 'websocket');
    const socket = new WebSocket(url, {
      perMessageDeflate: false,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    let refusal: string | undefined;
    let failure = 'no answer';
    let greeted = false;
    let pending = 0;
    const stop = () => socket.close(CloseCode.normal);
    signal.addEventListener('abort', stop, { once: true });
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.type === 'hello') {
        greeted = true;
        logId = frame.logId;
        backoff = 250;
      } else if (frame.type === 'events') {
        const fresh = frame.events.filter((event) => event.position > after);
        if (fresh.length === 0) return;
        after = fresh.at(-1)?.position ?? after;
        const text = ndjsonLines(fresh);
        // Stop reading while the output is slow: the gateway then holds back, and closes
        // with 4408 if it must; the resume below picks up from the last position.
        pending++;
        socket.pause();
        writing = writing
          .then(() => writer.write(text))
          .then(() => {
            if (--pending === 0) socket.resume();
          });
      } else if (frame.type === 'live' || frame.type === 'position') {
        after = Math.max(after, frame.position);
      } else if (frame.type === 'reset' || frame.type === 'error') {
        refusal = frame.type === 'reset' ? frame.reason : frame.message;
      }
    });
    const code = await new Promise<number>((resolve) => {
      socket.on('error', (error) => {
        failure = error.message; // the close that follows ends the attempt
      });
      socket.on('close', resolve);
    });
    signal.removeEventListener('abort', stop);
    await writing;
    if (signal.aborted || writer.closed.aborted) return 0;
    if (code === CloseCode.reset) {
      note(`sessionlog events: the server holds another log now (${refusal}): stopping`);
      return 1;
    }
    if (REFUSAL_CODES.has(code))
      throw new Error(`the server refused: ${code} ${refusal ?? ''}`.trim());
    if (!greeted && attempt === 0) {
      throw new Error(`cannot subscribe at ${url.origin.replace(/^ws/, 'http')}: ${failure}`);
    }
    note(`sessionlog events: disconnected (${code}); resuming after position ${after}`);
    try {
      await sleep(backoff, undefined, { signal });
    } catch {
      return 0;
    }
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
  return 0;
}
