import type { WatchOptions } from './watch-options.js';

/** The changes a burst left out: how many, and between which times. */
export interface CappedBurst {
  count: number;
  from: Date;
  to: Date;
}

type RateOptions = Pick<
  WatchOptions,
  'ratePerSecond' | 'rateWindowMs' | 'burstQuietMs' | 'burstSummaryMaxMs'
>;

/**
 * A token bucket: `ratePerSecond` on average, up to `rateWindowMs` worth at once. What does
 * not fit is counted, and each burst is summarized once, after `burstQuietMs` without a
 * capped change (or every `burstSummaryMaxMs` while it goes on), so that an `npm install`
 * in a watched directory costs the log a few events instead of thousands.
 */
export class RateCap {
  readonly #options: RateOptions;
  readonly #capacity: number;
  readonly #summarize: (burst: CappedBurst) => void;
  #tokens: number;
  #refilledAt = Date.now();
  #burst: { count: number; from: number; to: number } | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RateOptions, summarize: (burst: CappedBurst) => void) {
    this.#options = options;
    this.#capacity = Math.max(1, (options.ratePerSecond * options.rateWindowMs) / 1000);
    this.#tokens = this.#capacity;
    this.#summarize = summarize;
  }

  /** Takes one change's place if there is one; false when the change is over the cap. */
  take(): boolean {
    const now = Date.now();
    const refill = ((now - this.#refilledAt) * this.#options.ratePerSecond) / 1000;
    this.#tokens = Math.min(this.#capacity, this.#tokens + refill);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Counts one change that is not recorded. */
  skip(): void {
    const now = Date.now();
    if (this.#burst === undefined) this.#burst = { count: 0, from: now, to: now };
    this.#burst.count++;
    this.#burst.to = now;
    if (now - this.#burst.from >= this.#options.burstSummaryMaxMs) this.flush();
    else this.#timer ??= setTimeout(() => this.#quiet(), this.#options.burstQuietMs);
  }

  /** Summarizes the burst under way, if any, now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const burst = this.#burst;
    this.#burst = undefined;
    if (burst !== undefined) {
      this.#summarize({ count: burst.count, from: new Date(burst.from), to: new Date(burst.to) });
    }
  }

  // One timer per burst, pushed back while capped changes keep coming.
  #quiet(): void {
    this.#timer = undefined;
    const burst = this.#burst;
    if (burst === undefined) return;
    const wait = burst.to + this.#options.burstQuietMs - Date.now();
    if (wait > 0) this.#timer = setTimeout(() => this.#quiet(), wait);
    else this.flush();
  }
}
