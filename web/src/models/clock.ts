import { type ReadonlySignal, signal } from '@preact/signals';

/**
 * The time, once a second: what keeps relative times ("2 min ago") and countdowns ("next try
 * in 3 s") moving. One timer for the whole page.
 */
export function tickingNow(clock: () => number = Date.now): ReadonlySignal<number> {
  const now = signal(clock());
  setInterval(() => {
    now.value = clock();
  }, 1000);
  return now;
}
