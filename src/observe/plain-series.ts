import type { Registry } from 'prom-client';

/** The label values of one series, in the order they are written. */
export type Labels = Record<string, string | number>;

/** One value of a metric as prom-client's registry writes it. */
interface MetricValue {
  labels: Labels;
  /** Written after `labels` (prom-client's histograms put `le` first). */
  sharedLabels?: Labels;
  value: number;
  metricName?: string;
}

interface Described {
  name: string;
  help: string;
}

/**
 * Registers, in prom-client's registry, a metric that gives its values as prom-client's own
 * metrics do: the registry writes it and resets it with the others.
 */
function register(
  registry: Registry,
  { name, help }: Described,
  type: 'counter' | 'histogram',
  values: () => MetricValue[],
  reset: () => void,
): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: values() }),
    reset,
  };
  (registry.registerMetric.bind(registry) as (metric: unknown) => void)(metric);
}

interface CounterSeries {
  labels: Labels;
  value: number;
  /** Written at scrape: since its first `inc` after the last reset (or always, unlabelled). */
  shown: boolean;
}

/** One series of a `PlainCounter`: keep it, and count on it. */
export interface CounterChild {
  inc(by?: number): void;
}

/**
 * A counter in plain numbers, written at scrape as prom-client's Counter writes it. Theirs
 * hashes a label object on every `inc`; a series here is found once (`labels`) and kept by its
 * caller, and counting is adding to a number.
 */
export class PlainCounter {
  readonly #series = new Map<string, CounterSeries>();
  readonly #name: string;

  constructor(registry: Registry, described: Described) {
    this.#name = described.name;
    register(
      registry,
      described,
      'counter',
      () => this.#values(),
      () => {
        for (const series of this.#series.values()) {
          series.value = 0;
          series.shown = false;
        }
      },
    );
  }

  /** The series of these label values (the same one for the same values). */
  labels(labels: Labels): CounterChild {
    const key = JSON.stringify(Object.values(labels));
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { labels, value: 0, shown: false };
      this.#series.set(key, series);
    }
    const counted = series;
    return {
      inc(by = 1) {
        counted.value += by;
        counted.shown = true;
      },
    };
  }

  /** What the registry writes, as prom-client's `get` gives it. */
  async get(): Promise<{ name: string; values: MetricValue[] }> {
    return { name: this.#name, values: this.#values() };
  }

  #values(): MetricValue[] {
    return [...this.#series.values()]
      .filter((series) => series.shown)
      .map(({ labels, value }) => ({ labels, value }));
  }
}

interface HistogramSeries {
  labels: Labels;
  /** Observations per bucket (not cumulative), the last one past every bound. */
  buckets: Float64Array;
  sum: number;
  count: number;
  /** Written at scrape: since its first observation after the last reset (or, unlabelled, from the start). */
  shown: boolean;
}

/** One series of a `PlainHistogram`: keep it, and observe on it. */
export interface HistogramChild {
  observe(value: number): void;
}

/**
 * A histogram in plain numbers, written at scrape as prom-client's Histogram writes it. Theirs
 * hashes a label object, and looks its bucket up by the bound turned into a string, on every
 * observation, a few µs each; here an observation adds to three numbers. Without label names
 * it has one series, written from the start until a reset (as theirs is); otherwise a series
 * is written once it has an observation.
 */
export class PlainHistogram {
  readonly #series = new Map<string, HistogramSeries>();
  readonly #bounds: readonly number[];
  readonly #unlabelled: HistogramChild | undefined;

  constructor(
    registry: Registry,
    described: Described & { bounds: readonly number[]; labelled?: boolean },
  ) {
    this.#bounds = described.bounds;
    register(
      registry,
      described,
      'histogram',
      () => this.#values(described.name),
      () => {
        for (const series of this.#series.values()) {
          series.buckets.fill(0);
          series.sum = 0;
          series.count = 0;
          series.shown = false;
        }
      },
    );
    if (described.labelled !== true) {
      this.#unlabelled = this.labels({});
      (this.#series.get('[]') as HistogramSeries).shown = true;
    }
  }

  /** The series of these label values (the same one for the same values). */
  labels(labels: Labels): HistogramChild {
    const key = JSON.stringify(Object.values(labels));
    let series = this.#series.get(key);
    if (series === undefined) {
      const buckets = new Float64Array(this.#bounds.length + 1);
      series = { labels, buckets, sum: 0, count: 0, shown: false };
      this.#series.set(key, series);
    }
    const observed = series;
    const bounds = this.#bounds;
    return {
      observe(value) {
        let bucket = 0;
        while (bucket < bounds.length && value > (bounds[bucket] as number)) bucket++;
        (observed.buckets[bucket] as number)++;
        observed.sum += value;
        observed.count++;
        observed.shown = true;
      },
    };
  }

  /** An observation on the one series of a histogram without label names. */
  observe(value: number): void {
    if (this.#unlabelled === undefined) throw new Error('a labelled histogram observes by labels');
    this.#unlabelled.observe(value);
  }

  #values(name: string): MetricValue[] {
    return [...this.#series.values()]
      .filter((series) => series.shown)
      .flatMap(({ labels, buckets, sum, count }) => {
        const bucket = (le: number | string, value: number): MetricValue => ({
          labels: { le },
          sharedLabels: labels,
          value,
          metricName: `${name}_bucket`,
        });
        let below = 0;
        const values = this.#bounds.map((le, i) => {
          below += buckets[i] as number;
          return bucket(le, below);
        });
        values.push(
          bucket('+Inf', count),
          { labels: {}, sharedLabels: labels, value: sum, metricName: `${name}_sum` },
          { labels: {}, sharedLabels: labels, value: count, metricName: `${name}_count` },
        );
        return values;
      });
  }
}
