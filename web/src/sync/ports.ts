import type { SseItem } from '../../../src/protocol/sse-parser.js';

/**
 * What the sync engine needs from its surroundings, named so that a browser, Node (with `ws`
 * and its own fetch) and a test with a hand-driven clock can each supply it.
 */

/** What the engine is told about one socket. */
export interface SocketHandlers {
  open(): void;
  message(text: string): void;
  close(code: number, reason: string): void;
}

/** An open (or opening) socket. */
export interface SocketHandle {
  close(code?: number, reason?: string): void;
}

/** Opens a WebSocket to `url` and reports to `on`; the browser's or `ws`, behind an adapter. */
export type OpenSocket = (url: string, on: SocketHandlers) => SocketHandle;

/** What the engine is told about one `text/event-stream` response. */
export interface EventStreamHandlers {
  /** The server answered 200 with an event stream. */
  open(): void;
  /** What one read of the body completed, in order; comments are the heartbeat. */
  received(items: readonly SseItem[]): void;
  /**
   * The stream is over, or never began: `status` is the HTTP status of a refusal, 200 for a
   * stream that ended, 0 when no answer came at all. Not called after `close()`.
   */
  close(status: number, reason: string): void;
}

/** Opens an event stream (a fetch and a body reader in practice; a fake in some tests). */
export type OpenEventStream = (
  url: string,
  headers: Record<string, string>,
  on: EventStreamHandlers,
) => { close(): void };

/** The part of a fetch Response the engine reads. */
export interface ResponseLike {
  readonly ok: boolean;
  readonly status: number;
  json(): Promise<unknown>;
}

/** The part of `fetch` the engine calls: the global one satisfies it. */
export type FetchLike = (
  url: string,
  init: { headers: Record<string, string> },
) => Promise<ResponseLike>;

/** Timers, injectable so that tests can drive time by hand. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The platform's timers. */
export const realTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};
