import { expect } from 'vitest';
import type { AnyEvent, Envelope } from '../../src/events/envelope.js';
import { ConflictError } from '../../src/events/errors.js';
import type { EventStore } from '../../src/events/store.js';
import { fileChanged, started } from './events.js';

/** A redecide that records the versions it missed and appends a change naming them. */
function naming(tag: string, calls: string[]) {
  return (missed: readonly Envelope<AnyEvent>[]) => {
    const versions = missed.map((event) => event.version).join(',');
    calls.push(`${tag}: ${versions}`);
    return [fileChanged(`${tag} after ${versions}`)];
  };
}

/**
 * Three appends decided on version 1, in one commit of `store`, after `other` (another node's
 * store on the same log, or the same store) moved the stream to version 2: the first two are
 * decided again on what they missed, the third's decision refuses it, alone.
 */
export async function expectRedecided(
  store: EventStore<AnyEvent>,
  other: EventStore<AnyEvent> = store,
): Promise<void> {
  await store.append('s', [started]);
  await other.append('s', [fileChanged('elsewhere')]);
  const calls: string[] = [];
  const results = await Promise.allSettled([
    store.append('s', [fileChanged('a')], { expectedVersion: 1, redecide: naming('a', calls) }),
    store.append('s', [fileChanged('b')], { expectedVersion: 1, redecide: naming('b', calls) }),
    store.append('s', [fileChanged('c')], {
      expectedVersion: 1,
      redecide: () => {
        throw new ConflictError('not after that');
      },
    }),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
  expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
  // The second saw the first's event, written earlier in the same commit.
  expect(calls.slice(-2)).toEqual(['a: 2', 'b: 2,3']);
  const stream = await store.readStream('s');
  expect(stream.map((e) => (e.data as { path?: string }).path ?? e.type)).toEqual([
    'SessionStarted',
    'elsewhere',
    'a after 2',
    'b after 2,3',
  ]);
}
