/** Bucket width: 0.1 ms, far finer than the 50 ms target, and few buckets for millions. */
const RESOLUTION_MS = 0.1;

/** A histogram as it crosses IPC: [bucket, count] pairs and the exact maximum. */
export interface HistogramData {
  buckets: [number, number][];
  max: number;
}

/**
 * Latencies in 0.1 ms buckets: millions of deliveries recorded in several client processes
 * travel to the bench as a few thousand numbers, and merge there into exact-to-0.1 ms
 * percentiles over all of them.
 */
export class LatencyHistogram {
  readonly #counts = new Map<number, number>();
  #max = 0;
  #total = 0;

  get total(): number {
    return this.#total;
  }

  get max(): number {
    return this.#max;
  }

  record(ms: number): void {
    const bucket = Math.max(0, Math.floor(ms / RESOLUTION_MS));
    this.#counts.set(bucket, (this.#counts.get(bucket) ?? 0) + 1);
    this.#max = Math.max(this.#max, ms);
    this.#total++;
  }

  add({ buckets, max }: HistogramData): void {
    for (const [bucket, count] of buckets) {
      this.#counts.set(bucket, (this.#counts.get(bucket) ?? 0) + count);
      this.#total += count;
    }
    this.#max = Math.max(this.#max, max);
  }

  data(): HistogramData {
    return { buckets: [...this.#counts], max: this.#max };
  }

  /** The latency that `p` (0–1) of the samples do not exceed: its bucket's upper edge. */
  percentile(p: number): number {
    if (this.#total === 0) return Number.NaN;
    const rank = Math.ceil(p * this.#total);
    let seen = 0;
    for (const bucket of [...this.#counts.keys()].sort((a, b) => a - b)) {
      seen += this.#counts.get(bucket) ?? 0;
      if (seen >= rank) return Math.min((bucket + 1) * RESOLUTION_MS, this.#max);
    }
    return this.#max;
  }
}
