import type { AnyEvent } from '../../events/envelope.js';
import type { EventStore } from '../../events/store.js';
import { type TailFeed, tailSignal } from './tail-signal.js';

/**
 * The tail signal of every stream served from one log: fed by the store's commits (on
 * PostgreSQL, every node's), so live reads wake when something is committed, never by polling.
 */
export async function logTail(
  store: Pick<EventStore<AnyEvent>, 'head' | 'subscribe'>,
): Promise<TailFeed & { close(): void }> {
  const feed = tailSignal();
  const unsubscribe = store.subscribe((events) => {
    const last = events.at(-1);
    if (last !== undefined) feed.heard(last.position);
  });
  feed.heard(await store.head());
  return {
    get closing() {
      return feed.closing;
    },
    heard: (position) => feed.heard(position),
    wait: (position, ms, abort) => feed.wait(position, ms, abort),
    close() {
      unsubscribe();
      feed.close();
    },
  };
}
