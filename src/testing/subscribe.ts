import { WebSocket } from 'ws';
import type { AnyEvent, Envelope } from '../events/envelope.js';
import type { ServerFrame } from '../http/gateway/protocol.js';

/** A frame as the client receives it, events included. */
export type ClientFrame = ServerFrame | { type: 'events'; events: Envelope<AnyEvent>[] };

export interface SubscribeOptions {
  /** The last position the client has (default: the head, i.e. only new events). */
  after?: number;
  logId?: string;
  streams?: readonly string[];
  types?: readonly string[];
  token?: string;
  /** Sent as the Origin header, as a browser would. */
  origin?: string;
}

export interface WaitOptions {
  /** Milliseconds before the wait fails (default 5000). */
  timeout?: number;
}

/** A live subscription to a server's `/ws` that collects what it receives. */
export interface Collector {
  /** Every event received, in order of arrival. */
  readonly events: readonly Envelope<AnyEvent>[];
  /** Every frame received, events frames included. */
  readonly frames: readonly ClientFrame[];
  /** The last position the server vouched for (an event, `live` or `position`): resume from it. */
  readonly position: number;
  readonly logId: string;
  /** Resolves with the close code and reason when the server or the client closes. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Waits until `position` has been reached, or `predicate(events)` holds. */
  waitFor(
    target: number | ((events: readonly Envelope<AnyEvent>[]) => boolean),
    options?: WaitOptions,
  ): Promise<void>;
  close(): Promise<void>;
  /** Drops the connection without a close handshake, as a network failure would. */
  cut(): void;
}

/**
 * Opens `/ws` on a server (`url` is its origin, `http://…`) and collects its frames. Resolves
 * once the `hello` frame arrived; rejects if the server refuses the connection.
 */
export function subscribe(url: string, options: SubscribeOptions = {}): Promise<Collector> {
  const wsUrl = new URL('/ws', url.replace(/^http/, 'ws'));
  const { after, logId, streams, types, token, origin } = options;
  if (after !== undefined) wsUrl.searchParams.set('after', String(after));
  if (logId !== undefined) wsUrl.searchParams.set('logId', logId);
  if (streams !== undefined) wsUrl.searchParams.set('streams', streams.join(','));
  if (types !== undefined) wsUrl.searchParams.set('types', types.join(','));
  if (token !== undefined) wsUrl.searchParams.set('token', token);
  const socket = new WebSocket(wsUrl, origin === undefined ? {} : { origin });
  const events: Envelope<AnyEvent>[] = [];
  const frames: ClientFrame[] = [];
  const waiters = new Set<() => void>();
  let position = after ?? 0;
  let logIdSeen = '';
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const wake of waiters) wake();
    });
  });

  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ClientFrame;
      frames.push(frame);
      if (frame.type === 'hello') {
        logIdSeen = frame.logId;
        position = frame.after;
        resolve(collector);
      } else if (frame.type === 'events') {
        events.push(...frame.events);
        position = frame.events.at(-1)?.position ?? position;
      } else if (frame.type === 'live' || frame.type === 'position') {
        position = frame.position;
      } else if (frame.type === 'error') {
        reject(new Error(`refused: ${frame.code} ${frame.message}`));
      }
      for (const wake of waiters) wake();
    });
    const collector: Collector = {
      events,
      frames,
      get position() {
        return position;
      },
      get logId() {
        return logIdSeen;
      },
      closed,
      waitFor(target, { timeout = 5000 } = {}) {
        const done = () => (typeof target === 'number' ? position >= target : target(events));
        if (done()) return Promise.resolve();
        return new Promise<void>((resolveWait, rejectWait) => {
          const timer = setTimeout(() => {
            waiters.delete(check);
            rejectWait(
              new Error(
                `timed out after ${timeout} ms waiting for ${typeof target === 'number' ? `position ${target}` : 'a matching event'} (at position ${position}, ${events.length} events)`,
              ),
            );
          }, timeout);
          const check = () => {
            if (!done()) return;
            clearTimeout(timer);
            waiters.delete(check);
            resolveWait();
          };
          waiters.add(check);
        });
      },
      cut() {
        socket.terminate();
      },
      async close() {
        if (socket.readyState !== WebSocket.CLOSED) {
          socket.close(1000);
          await closed;
        }
      },
    };
  });
}
