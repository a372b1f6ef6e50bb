/** Repeated samples of one figure: machines are noisy, so the median speaks for them. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  samples: readonly number[];
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples to summarize');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted.at(-1) as number, samples };
}

/** Sample-by-sample quotients of two figures measured in the same rounds. */
export function pairedRatios(top: readonly number[], bottom: readonly number[]): number[] {
  if (top.length !== bottom.length) throw new Error('paired figures need as many rounds');
  return top.map((value, i) => value / (bottom[i] as number));
}

/**
 * A distribution-free confidence interval for the median of `samples` (at `confidence`, 90 %
 * by default): between the k-th smallest and the k-th largest sample, k the largest for which
 * fewer than k of n samples fall below the true median with probability at most (1 − c) / 2.
 * It assumes nothing about the noise's shape, which on a shared machine is anything but
 * normal; with too few samples for the confidence asked, it spans them all.
 */
export function medianInterval(
  samples: readonly number[],
  confidence = 0.9,
): { low: number; high: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) throw new Error('no samples to bound');
  const tail = (1 - confidence) / 2;
  // P(Binomial(n, ½) ≤ k − 1): the chance that the k-th smallest lies above the median.
  let k = 0;
  let below = 0;
  let term = 0.5 ** n;
  while (k < Math.floor(n / 2) && below + term <= tail) {
    below += term;
    term = (term * (n - k)) / (k + 1);
    k++;
  }
  const at = Math.max(k, 1) - 1;
  return { low: sorted[at] as number, high: sorted[n - 1 - at] as number };
}
