import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HttpSeries } from '../src/observe/http-series.js';

const BOUNDS = [0.001, 0.01, 0.1, 1];
const NAMES = { requests: 'x_requests_total', seconds: 'x_seconds' };
const HELP = { requests: 'requests', seconds: 'seconds' };

describe('the HTTP series counted in plain numbers', () => {
  it("write at scrape what prom-client's own Counter and Histogram write for the same requests", async () => {
    const ours = new Registry();
    const series = new HttpSeries(ours, NAMES, HELP, BOUNDS);
    const theirs = new Registry();
    const counter = new Counter({
      name: NAMES.requests,
      help: HELP.requests,
      labelNames: ['method', 'route', 'status'],
      registers: [theirs],
    });
    const histogram = new Histogram({
      name: NAMES.seconds,
      help: HELP.seconds,
      labelNames: ['method', 'route'],
      buckets: BOUNDS,
      registers: [theirs],
    });
    const routes = [
      ['POST', '/api/sessions'],
      ['GET', '/api/sessions/:id'],
      ['GET', 'unmatched'],
    ] as const;
    const answered = routes.map(([method, route]) => series.route(method, route));
    // Seconds on every bound, between, below the first and past the last.
    const seconds = [0.0005, 0.001, 0.004, 0.01, 0.05, 0.1, 0.7, 1, 3];
    for (let i = 0; i < 200; i++) {
      const r = i % 3 === 2 && i > 100 ? 0 : i % 2;
      const [method, route] = routes[r] ?? routes[0];
      const status = [200, 201, 404, 500][i % 4] as number;
      const s = seconds[i % seconds.length] as number;
      answered[r]?.(status, s);
      counter.inc({ method, route, status });
      histogram.observe({ method, route }, s);
    }
    const sorted = async (registry: Registry) => (await registry.metrics()).split('\n').sort();
    expect(await sorted(ours)).toEqual(await sorted(theirs));
    expect((await ours.metrics()).match(/x_seconds_bucket/g)).toHaveLength(2 * 5);
    // Reset, as the registry resets its own: nothing until the next request.
    ours.resetMetrics();
    theirs.resetMetrics();
    expect(await sorted(ours)).toEqual(await sorted(theirs));
    answered[0]?.(201, 0.002);
    counter.inc({ method: 'POST', route: '/api/sessions', status: 201 });
    histogram.observe({ method: 'POST', route: '/api/sessions' }, 0.002);
    expect(await sorted(ours)).toEqual(await sorted(theirs));
  });
});
