import type { AnyEvent, Envelope } from '../../events/envelope.js';
import type { EnvelopeText } from '../../events/store.js';
import type { ServerFrame } from '../../protocol/frames.js';
import type { Transport } from './subscription-observer.js';

export interface BatchLimits {
  /** Events in one frame at most (SPEC: 1000). */
  events: number;
  /** Bytes in one frame at most (SPEC: 256 KiB); a single larger event goes alone. */
  bytes: number;
}

/**
 * How a subscription's messages look on its transport: WebSocket frames (ws-encoder.ts) or
 * Server-Sent Events blocks (sse-encoder.ts). The cursor logic is the same for both.
 */
export interface WireEncoder {
  readonly transport: Transport;
  /** A message that is not events: hello, live, position, heartbeat, reset, error. */
  control(frame: ServerFrame): string | Buffer;
  /** Events read back from the log, as their JSON text, in position order. */
  replay(texts: readonly EnvelopeText[], limits: BatchLimits): readonly (string | Buffer)[];
  /**
   * A commit's (matching) envelopes. The same array goes to every unfiltered subscriber: an
   * encoder encodes it once.
   */
  commit(events: readonly Envelope<AnyEvent>[], limits: BatchLimits): readonly (string | Buffer)[];
}
