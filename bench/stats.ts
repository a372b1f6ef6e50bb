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
