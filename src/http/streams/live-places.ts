import type { ConnectionSlots } from '../gateway/connection-budget.js';

export type LiveMode = 'long-poll' | 'sse';

/** A live read's place: given back once, when the read ends however it ends. */
export interface LivePlace {
  leave(): void;
}

/**
 * Durable Streams live reads hold a socket as long as a WebSocket does (a long-poll up to its
 * timeout, an SSE response up to a minute), so they take their places in the same budget:
 * past it in all or for one client they are refused, 429, as `/api/events/stream` is.
 */
export interface LivePlaces {
  /** A place for a live read by `client`, or why there is none. */
  enter(client: string, mode: LiveMode): LivePlace | { refusal: string };
  /** Live reads open now, by mode. */
  open(): Record<LiveMode, number>;
}

/** Places from `slots` (the hub's, shared with /ws and /api/events/stream). */
export function livePlaces(slots: ConnectionSlots): LivePlaces {
  const open: Record<LiveMode, number> = { 'long-poll': 0, sse: 0 };
  return {
    enter(client, mode) {
      const refusal = slots.refusal(client);
      if (refusal !== undefined) return { refusal };
      slots.take(client);
      open[mode]++;
      let left = false;
      return {
        leave() {
          if (left) return;
          left = true;
          open[mode]--;
          slots.give(client);
        },
      };
    },
    open: () => ({ ...open }),
  };
}
