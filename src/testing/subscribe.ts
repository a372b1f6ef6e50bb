import { WebSocket } from 'ws';
import type { Envelope } from '../events/envelope.js';
import { CloseCode } from '../protocol/close-codes.js';
import type { Frame } from '../protocol/frames.js';
import { type SubscriptionParams, subscriptionUrl } from '../protocol/subscription-url.js';
import { type WaitTarget, waitUntil } from './wait-until.js';

export type { WaitTarget };

/** A frame as the client receives it, events included (the name `sessionlog/testing` gives it). */
export type ClientFrame = Frame;

export interface SubscribeOptions extends SubscriptionParams {
  /** Sent as the Origin header, as a browser would (default: none, as a server-side client). */
  origin?: string;
}

export interface WaitOptions {
  /** Milliseconds before the wait fails (default 5000). */
  timeout?: number;
}

/** A live subscription to a server's `/ws` that collects what it receives. */
export interface Collector {
  /** Every event received, in order of arrival (which is position order). */
  readonly events: readonly Envelope[];
  /** Every frame received, events frames included. */
  readonly frames: readonly ClientFrame[];
  /** The last position the server vouched for (an event, `live` or `position`): resume from it. */
  readonly position: number;
  readonly logId: string;
  /** Resolves with the close code and reason when the server or the client closes. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /**
   * Waits until `target` is reached (a position) or holds (a predicate over the events so
   * far). Rejects after `timeout`, or when the connection closes first, saying where it got to.
   */
  waitFor(target: WaitTarget, options?: WaitOptions): Promise<void>;
  /** Closes the connection (code 1000) and waits for the close to complete. */
  close(): Promise<void>;
  /** Drops the connection without a close handshake, as a network failure would. */
  cut(): void;
}

/**
 * Opens `/ws` on a server (`url`: its origin `http://…`, or its `ws://…/ws` URL) and collects
 * its frames. Resolves once the `hello` frame arrived; rejects if the server refuses the
 * subscription (an `error` frame, an HTTP refusal, or a close before `hello`).
 *
 * @example
 * const collector = await subscribe(server.url, { after: 0, types: ['SessionEnded'] });
 * await collector.waitFor((events) => events.length === 2);
 * await collector.close();
 */
export function subscribe(url: string, options: SubscribeOptions = {}): Promise<Collector> {
  const { origin, ...params } = options;
  const socket = new WebSocket(
    subscriptionUrl(url, params, 'websocket'),
    origin === undefined ? {} : { origin },
  );
  const events: Envelope[] = [];
  const frames: ClientFrame[] = [];
  const waiters = new Set<() => void>();
  let position = params.after ?? 0;
  let logId = '';
  let closeCode: number | undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => {
      closeCode = code;
      resolve({ code, reason: reason.toString() });
      for (const wake of waiters) wake();
    });
  });

  const collector: Collector = {
    events,
    frames,
    get position() {
      return position;
    },
    get logId() {
      return logId;
    },
    closed,
    waitFor(target, { timeout = 5000 } = {}) {
      const ended = () =>
        closeCode === undefined ? undefined : `the connection closed (${closeCode})`;
      return waitUntil({ waiters, position: () => position, events, ended }, target, timeout);
    },
    cut() {
      socket.terminate();
    },
    async close() {
      if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) {
        socket.close(CloseCode.normal);
      }
      await closed;
    },
  };

  return new Promise((resolve, reject) => {
    let greeted = false;
    socket.on('error', (error) => {
      if (!greeted) reject(new Error(`cannot subscribe: ${error.message}`));
    });
    socket.on('close', (code, reason) => {
      if (!greeted) reject(new Error(`refused: closed ${code} ${reason.toString()}`.trim()));
    });
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ClientFrame;
      frames.push(frame);
      if (frame.type === 'hello') {
        greeted = true;
        logId = frame.logId;
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
  });
}
