import type { Frame } from '../../../src/protocol/frames.js';

/** The two ways the engine can tail the log: the same frames, the same guarantees. */
export type TransportKind = 'websocket' | 'sse';

/** Where one connection starts: the last applied position, and the log it belongs to. */
export interface Subscription {
  after: number;
  logId: string | undefined;
}

/** How one connection ended, as far as the engine's next step is concerned. */
export type TransportEnd =
  | { kind: 'unauthorized'; reason: string }
  | { kind: 'reset'; reason: string }
  /**
   * Anything else: resume from the applied position. `failure`: the connection never
   * reached `hello`, or broke off abnormally; repeated, it says this path does not work.
   */
  | { kind: 'lost'; reason: string; failure: boolean };

/** What the engine is told about one connection. */
export interface TransportHandlers {
  /** Anything arrived, heartbeats included: the line is alive. */
  heard(): void;
  frame(frame: Frame): void;
  /** Called once, unless the engine closed the connection first. */
  closed(end: TransportEnd): void;
}

export interface Transport {
  close(): void;
}

/** Opens one subscription, over the WebSocket or an event stream. */
export type OpenTransport = (subscription: Subscription, on: TransportHandlers) => Transport;
