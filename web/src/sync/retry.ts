import { type BackoffOptions, backoffDelay } from './backoff.js';
import type { Timers } from './ports.js';

export interface RetryOptions {
  timers: Timers;
  clock: () => number;
  /** In [0, 1): the jitter of the backoff. */
  random: () => number;
  backoff: BackoffOptions;
  /** Told of each wait as it begins: the try's number, when it runs (by `clock`), and why. */
  waiting(attempt: number, retryAt: number, reason: string): void;
  /** The try itself. */
  run(): void;
}

/** The next try after a failed one: at most one waiting, each further wait longer. */
export interface Retry {
  /** Counts one more try and waits for it: `delay`, or the backoff for its number. */
  later(reason: string, delay?: number): void;
  /** Drops the waiting try; says whether there was one. */
  cancel(): boolean;
  /** Started, or live again: the next failure is the first. */
  restart(): void;
}

export function createRetry({ timers, clock, random, backoff, waiting, run }: RetryOptions): Retry {
  let timer: unknown;
  // Tries since the start or since the last time live: what the backoff grows with.
  let attempt = 0;

  return {
    later(reason, delay) {
      attempt++;
      const wait = delay ?? backoffDelay(attempt, random, backoff);
      waiting(attempt, clock() + wait, reason);
      timer = timers.setTimeout(() => {
        timer = undefined;
        run();
      }, wait);
    },
    cancel() {
      const was = timer !== undefined;
      timers.clearTimeout(timer);
      timer = undefined;
      return was;
    },
    restart() {
      attempt = 0;
    },
  };
}
