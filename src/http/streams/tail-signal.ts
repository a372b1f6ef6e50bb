/**
 * Wakes live readers when a stream grows, without polling: `heard` is the highest position
 * announced, and a wait for a position already passed returns at once (so a commit between
 * reading the head and waiting is never missed).
 */
export interface TailSignal {
  /** True once a commit past `position` is heard; false at the timeout, an abort or close. */
  wait(position: number, ms: number, abort?: AbortSignal): Promise<boolean>;
  readonly closing: boolean;
}

export interface TailFeed extends TailSignal {
  /** A commit made the stream reach `position`. */
  heard(position: number): void;
  /** Ends every wait (false) and every later one: the server is shutting down. */
  close(): void;
}

export function tailSignal(): TailFeed {
  let heard = 0;
  let closing = false;
  const waiters = new Set<{ position: number; done: (woken: boolean) => void }>();
  return {
    get closing() {
      return closing;
    },
    heard(position) {
      if (position <= heard) return;
      heard = position;
      for (const waiter of waiters) if (waiter.position < heard) waiter.done(true);
    },
    close() {
      closing = true;
      for (const waiter of waiters) waiter.done(false);
    },
    wait(position, ms, abort) {
      if (closing || abort?.aborted) return Promise.resolve(false);
      if (heard > position) return Promise.resolve(true);
      return new Promise((resolve) => {
        const waiter = {
          position,
          done: (woken: boolean) => {
            waiters.delete(waiter);
            clearTimeout(timer);
            abort?.removeEventListener('abort', aborted);
            resolve(woken);
          },
        };
        const aborted = () => waiter.done(false);
        const timer = setTimeout(aborted, ms);
        abort?.addEventListener('abort', aborted);
        waiters.add(waiter);
      });
    },
  };
}
