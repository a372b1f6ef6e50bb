import { describe, expect, it } from 'vitest';
import type { AnyEvent, Envelope } from '../src/events/envelope.js';
import { createLogger } from '../src/observe/logger.js';
import { Metrics } from '../src/observe/metrics.js';
import { commitCounter } from '../src/observe/observers.js';

const event = (type: string, position: number) =>
  ({ type, position, stream: `s${position}`, data: {} }) as unknown as Envelope<AnyEvent>;

async function appended(metrics: Metrics): Promise<Record<string, number>> {
  const metric = await metrics.eventsAppended.get();
  return Object.fromEntries(metric.values.map(({ labels, value }) => [labels.type, value]));
}

describe('the events-appended counter', () => {
  it('counts every event of a commit by type, whatever the order of the types', async () => {
    const metrics = new Metrics();
    const counting = commitCounter(metrics, createLogger({ level: 'silent' }));
    const types = [
      'SessionStarted',
      'FileChanged',
      'FileChanged',
      'SessionStarted',
      'SessionEnded',
    ];
    counting(types.map((type, i) => event(type, i + 1)));
    counting([event('FileChanged', 6)]);
    counting([]);
    expect(await appended(metrics)).toEqual({ SessionStarted: 2, FileChanged: 3, SessionEnded: 1 });
  });
});
