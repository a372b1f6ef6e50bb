/** The transports a subscription runs over (the wire encoders name theirs). */
export type Transport = 'ws' | 'sse';

/** Why a client was told to reset: a bounded set, fit for a metric's label. */
export type ResetKind = 'other-log' | 'beyond-head';

/**
 * What the gateway tells whoever watches it (metrics, logs); every call is on a path that
 * must stay cheap: no awaiting, no throwing.
 */
export interface SubscriptionObserver {
  /** A subscription was opened; `resumed`: the client gave a position to resume after. */
  opened(transport: Transport, resumed: boolean): void;
  /** Events read back from the log for a subscriber (the replay, or a catch-up). */
  replayed(transport: Transport, events: number): void;
  reset(transport: Transport, kind: ResetKind): void;
  /** A client closed with 4408 for reading too slowly. */
  slowConsumerClosed(transport: Transport, buffered: number): void;
  /** Reading the log for a subscriber failed (it is closed with 1011). */
  readFailed(transport: Transport, error: unknown): void;
}
