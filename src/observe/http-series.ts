import type { Registry } from 'prom-client';

/** What a route's request adds to its series: its status, and its seconds to answer. */
export type Answered = (status: number, seconds: number) => void;

interface RouteCounts {
  labels: { method: string; route: string };
  /** Requests answered, by status. */
  byStatus: Map<number, number>;
  /** Requests per latency bucket (not cumulative), the last one past every bound. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** One value of a metric as prom-client's registry writes it. */
interface MetricValue {
  labels: Record<string, string | number>;
  /** Written after `labels` (prom-client's histograms put `le` first). */
  sharedLabels?: Record<string, string>;
  value: number;
  metricName?: string;
}

/**
 * The HTTP requests counter (by method, route and status) and latency histogram (by method and
 * route), counted in plain numbers per route and written at scrape by prom-client's registry as
 * its own Counter and Histogram write them. Theirs hash a label object and make a pair of
 * objects on every observation, several µs a request; here a request adds to three numbers.
 */
export class HttpSeries {
  readonly #routes: RouteCounts[] = [];
  readonly #bounds: readonly number[];

  constructor(
    registry: Registry,
    names: { requests: string; seconds: string },
    help: { requests: string; seconds: string },
    bounds: readonly number[],
  ) {
    this.#bounds = bounds;
    const metric = (
      name: string,
      type: string,
      text: string,
      values: () => MetricValue[],
      reset: (counts: RouteCounts) => void,
    ) => ({
      name,
      help: text,
      type,
      aggregator: 'sum',
      get: async () => ({ name, help: text, type, aggregator: 'sum', values: values() }),
      reset: () => {
        for (const counts of this.#routes) reset(counts);
      },
    });
    // The registry takes any object that gives its values as its own metrics do.
    const register = registry.registerMetric.bind(registry) as (metric: unknown) => void;
    register(
      metric(
        names.requests,
        'counter',
        help.requests,
        () => this.#requests(),
        (counts) => counts.byStatus.clear(),
      ),
    );
    register(
      metric(
        names.seconds,
        'histogram',
        help.seconds,
        () => this.#seconds(names.seconds),
        (counts) => {
          counts.buckets.fill(0);
          counts.sum = 0;
          counts.count = 0;
        },
      ),
    );
  }

  /** The series of one method and route pattern: call once per route, keep what it gives. */
  route(method: string, route: string): Answered {
    const counts: RouteCounts = {
      labels: { method, route },
      byStatus: new Map(),
      buckets: new Float64Array(this.#bounds.length + 1),
      sum: 0,
      count: 0,
    };
    this.#routes.push(counts);
    const bounds = this.#bounds;
    return (status, seconds) => {
      counts.byStatus.set(status, (counts.byStatus.get(status) ?? 0) + 1);
      let bucket = 0;
      while (bucket < bounds.length && seconds > (bounds[bucket] as number)) bucket++;
      (counts.buckets[bucket] as number)++;
      counts.sum += seconds;
      counts.count++;
    };
  }

  #requests(): MetricValue[] {
    return this.#routes.flatMap(({ labels, byStatus }) =>
      [...byStatus].map(([status, value]) => ({ labels: { ...labels, status }, value })),
    );
  }

  #seconds(name: string): MetricValue[] {
    return this.#routes
      .filter((counts) => counts.count > 0)
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
