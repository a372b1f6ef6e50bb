import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../src/events/envelope.js';
import '../src/testing/vitest.js';

/** Envelopes as the log records them: ids, times and hashes a test does not care about. */
function envelopes(...events: Pick<Envelope, 'type' | 'stream' | 'data'>[]): Envelope[] {
  return events.map(
    (event, i) =>
      ({
        ...event,
        position: i + 1,
        id: `id-${i + 1}`,
        version: i + 1,
        time: '2026-01-01T00:00:00.000Z',
        meta: { schemaVersion: 1 },
        hash: 'f'.repeat(64),
      }) as Envelope,
  );
}

const started = (stream: string) => ({
  type: 'SessionStarted' as const,
  stream,
  data: { cwd: '/w', hostname: 'h', platform: 'linux' },
});
const ended = (stream: string, status: 'completed' | 'failed') => ({
  type: 'SessionEnded' as const,
  stream,
  data: { status },
});
const events = envelopes(started('a'), started('b'), ended('b', 'failed'), ended('a', 'completed'));

/** The message an assertion fails with. */
function failure(assertion: () => void): string {
  try {
    assertion();
  } catch (error) {
    return stripVTControlCharacters((error as Error).message);
  }
  throw new Error('the assertion passed');
}

describe('toContainEvents', () => {
  it('finds partial events in order, with others between them, at any depth', () => {
    expect(events).toContainEvents([
      { type: 'SessionStarted', stream: 'a' },
      { type: 'SessionEnded', data: { status: 'completed' } },
    ]);
    expect(events).toContainEvents([{ position: expect.any(Number), stream: 'b' }]);
    expect(events).toContainEvents([]);
  });

  it('fails when the order differs, and says which partial event is missing after what', () => {
    const message = failure(() =>
      expect(events).toContainEvents([
        { type: 'SessionEnded', stream: 'a' },
        { type: 'SessionEnded', data: { status: 'failed' } },
      ]),
    );
    expect(message).toContain(
      'matched 1 of 2 partial events in order; nothing after position 4 matches partial event 2:',
    );
    expect(message).toContain('(no events left to compare)');
    expect(message).toContain('#3 SessionEnded b {"status":"failed"}');
  });

  it('shows the nearest event of the same type, cut to the fields asked for', () => {
    const message = failure(() =>
      expect(events).toContainEvents([{ type: 'SessionEnded', data: { status: 'cancelled' } }]),
    );
    expect(message).toContain('nothing matches partial event 1:');
    expect(message).toMatch(/-\s+"status": "cancelled"/);
    expect(message).toMatch(/\+\s+"status": "failed"/);
    expect(message).not.toContain('hash');
  });

  it('reads a collector’s events, and works with .not', () => {
    expect({ events }).toContainEvents([{ stream: 'b' }]);
    expect(events).not.toContainEvents([{ type: 'SessionDeleted' }]);
    const message = failure(() => expect(events).not.toContainEvents([{ stream: 'a' }]));
    expect(message).toContain(
      'expected the events not to contain these in order, but they do (#1)',
    );
  });

  it('says so when it is given no events at all', () => {
    expect(failure(() => expect(42).toContainEvents([]))).toContain(
      'expected an array of events or a collector',
    );
  });
});

describe('toEqualEvents', () => {
  it('matches exactly these partial events, one for one', () => {
    expect(events).toEqualEvents([
      { type: 'SessionStarted' },
      { type: 'SessionStarted' },
      { type: 'SessionEnded', stream: 'b' },
      { type: 'SessionEnded', stream: 'a', data: { status: 'completed' } },
    ]);
    expect(events.slice(0, 0)).toEqualEvents([]);
  });

  it('fails on an extra or a missing event, with a diff of the fields asked for', () => {
    const message = failure(() =>
      expect(events).toEqualEvents([
        { type: 'SessionStarted' },
        { type: 'SessionStarted' },
        { type: 'SessionEnded', stream: 'b' },
      ]),
    );
    expect(message).toContain('expected exactly 3 events, received 4');
    expect(message).toMatch(/\+\s+"type": "SessionEnded"/);
    expect(message).not.toContain('"hash"');
  });

  it('fails on one wrong field deep in the data', () => {
    const message = failure(() =>
      expect(events.slice(2, 3)).toEqualEvents([{ data: { status: 'completed' } }]),
    );
    expect(message).toMatch(/-\s+"status": "completed"/);
    expect(message).toMatch(/\+\s+"status": "failed"/);
  });
});
