import { TokenBucket } from './token-bucket.js';
import type { WatchOptions } from './watch-options.js';

/** The changes a burst left out: how many, between which times, and the bounds that did. */
export interface CappedBurst {
  count: number;
  from: Date;
  to: Date;
  caps: string[];
}

type RateOptions = Pick<
  WatchOptions,
  'ratePerSecond' | 'rateWindowMs' | 'burstQuietMs' | 'burstSummaryMaxMs'
>;

/**
 * A session's share of the changes recorded: `ratePerSecond` on average, up to
 * `rateWindowMs` worth at once, and no more than the shared buckets (its directory's, the
 * server's) allow. What does not fit is counted, and each burst is summarized once, after
 * `burstQuietMs` without a capped change (or every `burstSummaryMaxMs` while it goes on), so
 * that an `npm install` in a watched directory costs the log a few events instead of
 * thousands, however many sessions work there.
 */
export class RateCap {
  readonly #options: RateOptions;
  readonly #own: TokenBucket;
  readonly #buckets: readonly TokenBucket[];
  readonly #summarize: (burst: CappedBurst) => void;
  #burst: { count: number; from: number; to: number; caps: Set<string> } | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The bound that left out the change being skipped: the session's own unless told. */
  #cappedBy: string;

  constructor(
    options: RateOptions,
    summarize: (burst: CappedBurst) => void,
    shared: readonly TokenBucket[] = [],
  ) {
    this.#options = options;
    const { ratePerSecond, rateWindowMs } = options;
    this.#own = new TokenBucket(ratePerSecond, rateWindowMs, `${ratePerSecond} changes/s`);
    this.#buckets = [this.#own, ...shared];
    this.#cappedBy = this.#own.label;
    this.#summarize = summarize;
  }

  /** Takes one change's place if there is one; false when the change is over the cap. */
  take(): boolean {
    // A place in every bucket, or none taken: a change left out costs no other session.
    const full = this.#buckets.find((bucket) => !bucket.has());
    if (full !== undefined) {
      this.#cappedBy = full.label;
      return false;
    }
    for (const bucket of this.#buckets) bucket.spend();
    return true;
  }

  /** Counts one change that is not recorded. */
  skip(): void {
    const now = Date.now();
    if (this.#burst === undefined) this.#burst = { count: 0, from: now, to: now, caps: new Set() };
    this.#burst.count++;
    this.#burst.to = now;
    this.#burst.caps.add(this.#cappedBy);
    this.#cappedBy = this.#own.label;
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
      const { count, from, to } = burst;
      const caps = this.#buckets.map((b) => b.label).filter((label) => burst.caps.has(label));
      this.#summarize({ count, from: new Date(from), to: new Date(to), caps });
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
