import type { Envelope } from '../events/envelope.js';

/** What `waitFor` waits for: a position, or a condition on the events received so far. */
export type WaitTarget = number | ((events: readonly Envelope[]) => boolean);

export interface WaitState {
  /** Called back whenever something arrives or the connection ends. */
  waiters: Set<() => void>;
  position(): number;
  events: readonly Envelope[];
  /** Why the target can no longer be reached (the connection ended), or undefined. */
  ended(): string | undefined;
}

/**
 * Resolves once `target` is reached; rejects when the connection ends first or after
 * `timeout` ms, saying where the collector got to. Shared by the WebSocket and SSE collectors.
 */
export function waitUntil(state: WaitState, target: WaitTarget, timeout: number): Promise<void> {
  const { waiters, position, events, ended } = state;
  const reached = () => (typeof target === 'number' ? position() >= target : target(events));
  const what = typeof target === 'number' ? `position ${target}` : 'a matching event';
  const where = () => `at position ${position()}, ${events.length} events received`;
  return new Promise<void>((resolve, reject) => {
    const check = () => {
      const gone = ended();
      if (reached()) finish(resolve);
      else if (gone !== undefined)
        finish(() => reject(new Error(`${gone} before ${what} (${where()})`)));
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(new Error(`timed out after ${timeout} ms waiting for ${what} (${where()})`)),
        ),
      timeout,
    );
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      waiters.delete(check);
      settle();
    };
    waiters.add(check);
    check();
  });
}
