import { type ReadonlySignal, signal } from '@preact/signals';
import type {
  OpenTransport,
  Subscription,
  Transport,
  TransportEnd,
  TransportHandlers,
  TransportKind,
} from './transport.js';

export interface TransportPolicyOptions {
  websocket: OpenTransport;
  /** The event stream; without it the WebSocket is the only way and the policy never moves. */
  sse?: OpenTransport | undefined;
  /** WebSocket failures in a row before the event stream. */
  fallbackAfter: number;
  /** A WebSocket live this long before it broke was working: its failures start over. */
  stableMs: number;
}

/** What to do after a lost connection. */
export type NextTry =
  /** Back off, then try the transport in use (which may have just changed). */
  | 'after backoff'
  /** Switched to the event stream: another path is a fresh try, not a retry, so no wait. */
  | 'at once';

/**
 * Which transport to tail the log with: the WebSocket, until it has failed `fallbackAfter`
 * times in a row (a proxy that refuses upgrades, say), then the event stream. Failures are
 * counted only where they say something about the path: a WebSocket that was live for a
 * while and then broke is the network, not the path.
 */
export interface TransportPolicy {
  /** The transport in use, or being tried. */
  readonly kind: ReadonlySignal<TransportKind>;
  /** Opens a subscription over `kind`. */
  open(kind: TransportKind, subscription: Subscription, on: TransportHandlers): Transport;
  /** A connection over `kind`, live for `liveForMs` (0 if never), ended with `end`. */
  lost(kind: TransportKind, end: TransportEnd & { kind: 'lost' }, liveForMs: number): NextTry;
  /** A probe's WebSocket said `hello` beside the event stream: the WebSocket works again. */
  recovered(): void;
}

export function createTransportPolicy({
  websocket,
  sse,
  fallbackAfter,
  stableMs,
}: TransportPolicyOptions): TransportPolicy {
  const kind = signal<TransportKind>('websocket');
  let wsFailures = 0;

  return {
    kind,
    open(which, subscription, on) {
      return (which === 'sse' && sse !== undefined ? sse : websocket)(subscription, on);
    },
    lost(which, end, liveForMs) {
      if (sse === undefined) return 'after backoff';
      if (which === 'websocket') {
        if (liveForMs >= stableMs || !end.failure) wsFailures = 0;
        if (end.failure) wsFailures++;
        if (wsFailures >= fallbackAfter) {
          kind.value = 'sse';
          return 'at once';
        }
      } else if (end.failure) {
        // The event stream could not start either: the server may be down rather than the
        // WebSocket blocked. Try the WebSocket next; one more failure there comes back here.
        kind.value = 'websocket';
        wsFailures = fallbackAfter - 1;
      }
      return 'after backoff';
    },
    recovered() {
      kind.value = 'websocket';
      wsFailures = 0;
    },
  };
}
