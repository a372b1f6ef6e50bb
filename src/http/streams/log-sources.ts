import type { AnyEvent } from '../../events/envelope.js';
import type { SessionEvent } from '../../events/schemas.js';
import type { EventStore, ReadOptions } from '../../events/store.js';
import type { StreamMessage, StreamSource } from './stream-source.js';
import type { TailSignal } from './tail-signal.js';

export type LogStore = Pick<
  EventStore<AnyEvent>,
  'logId' | 'head' | 'read' | 'readJson' | 'readStream'
>;

const JSON_TYPE = 'application/json';

/** The whole log as a JSON-mode stream: one message per event, the envelope of `/api/events`. */
export function logEventsSource(store: LogStore, tail: TailSignal): StreamSource {
  return {
    tag: `${store.logId}/events`,
    contentType: JSON_TYPE,
    head: () => store.head(),
    read: (after, upTo, limit) => envelopes(store, { after, upTo, limit }),
    tail,
  };
}

/**
 * One session's events: the log's positions that belong to its stream (offsets are the log's
 * positions, so an offset says how far the log was read, not how many events the session has).
 * A deleted session takes no more events (the rules answer 410): its stream is closed at its
 * `SessionDeleted`.
 */
export function sessionEventsSource(
  store: LogStore,
  tail: TailSignal,
  sessionId: string,
): StreamSource {
  return {
    tag: `${store.logId}/sessions/${encodeURIComponent(sessionId)}/events`,
    contentType: JSON_TYPE,
    head: () => store.head(),
    read: (after, upTo, limit) => envelopes(store, { after, upTo, limit, streams: [sessionId] }),
    tail,
    async closedAt() {
      const [deleted] = await store.readStream(sessionId, { types: [DELETED], limit: 1 });
      return deleted?.position;
    },
  };
}

const DELETED = 'SessionDeleted' satisfies SessionEvent['type'];

async function envelopes(store: LogStore, options: ReadOptions): Promise<StreamMessage[]> {
  if (store.readJson !== undefined) {
    const texts = await store.readJson(options);
    return texts.map(({ position, json }) => ({ position, body: json }));
  }
  const events = await store.read(options);
  return events.map((event) => ({ position: event.position, body: JSON.stringify(event) }));
}
