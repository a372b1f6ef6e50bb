import type { Registry } from 'prom-client';
import { type CounterChild, PlainCounter, PlainHistogram } from './plain-series.js';

/** What a route's request adds to its series: its status, and its seconds to answer. */
export type Answered = (status: number, seconds: number) => void;

/**
 * The HTTP requests counter (by method, route and status) and latency histogram (by method and
 * route), in plain numbers (plain-series.ts): a request adds to a few numbers.
 */
export class HttpSeries {
  readonly #requests: PlainCounter;
  readonly #seconds: PlainHistogram;

  constructor(
    registry: Registry,
    names: { requests: string; seconds: string },
    help: { requests: string; seconds: string },
    bounds: readonly number[],
  ) {
    this.#requests = new PlainCounter(registry, { name: names.requests, help: help.requests });
    this.#seconds = new PlainHistogram(registry, {
      name: names.seconds,
      help: help.seconds,
      bounds,
      labelled: true,
    });
  }

  /** The series of one method and route pattern: call once per route, keep what it gives. */
  route(method: string, route: string): Answered {
    const latency = this.#seconds.labels({ method, route });
    const byStatus = new Map<number, CounterChild>();
    return (status, seconds) => {
      let requests = byStatus.get(status);
      if (requests === undefined) {
        requests = this.#requests.labels({ method, route, status });
        byStatus.set(status, requests);
      }
      requests.inc();
      latency.observe(seconds);
    };
  }
}
