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
