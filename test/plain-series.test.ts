import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PlainCounter, PlainHistogram } from '../src/observe/plain-series.js';

const BOUNDS = [1, 2, 4, 8];
const sorted = async (registry: Registry) => (await registry.metrics()).split('\n').sort();

describe('the series counted in plain numbers', () => {
  it("write at scrape what prom-client's own write: an unlabelled histogram, a labelled counter, before and after a reset", async () => {
    const ours = new Registry();
    const histogram = new PlainHistogram(ours, { name: 'x_batch', help: 'batch', bounds: BOUNDS });
    const counter = new PlainCounter(ours, { name: 'x_events_total', help: 'events' });
    const theirs = new Registry();
    const theirHistogram = new Histogram({
      name: 'x_batch',
      help: 'batch',
      buckets: BOUNDS,
      registers: [theirs],
    });
    const theirCounter = new Counter({
      name: 'x_events_total',
      help: 'events',
      labelNames: ['type'],
      registers: [theirs],
    });
    // Nothing observed yet: the histogram's one series at 0, no counter series.
    expect(await sorted(ours)).toEqual(await sorted(theirs));
    const types = ['A', 'B', 'A', 'C'];
    const children = new Map(types.map((type) => [type, counter.labels({ type })]));
    // On every bound, between, below the first and past the last; counts of 1 and more.
    const values = [0.5, 1, 1.5, 2, 3, 4, 8, 9, 100];
    for (let i = 0; i < 50; i++) {
      const value = values[i % values.length] as number;
      histogram.observe(value);
      theirHistogram.observe(value);
      const type = types[i % types.length] as string;
      children.get(type)?.inc(i % 3);
      theirCounter.inc({ type }, i % 3);
    }
    expect(await sorted(ours)).toEqual(await sorted(theirs));
    expect((await ours.metrics()).match(/x_events_total\{/g)).toHaveLength(3);
    ours.resetMetrics();
    theirs.resetMetrics();
    expect(await sorted(ours)).toEqual(await sorted(theirs));
    // A series kept across the reset counts on.
    children.get('B')?.inc(2);
    theirCounter.inc({ type: 'B' }, 2);
    histogram.observe(3);
    theirHistogram.observe(3);
    expect(await sorted(ours)).toEqual(await sorted(theirs));
  });
});
